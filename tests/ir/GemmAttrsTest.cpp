#include "ir/GemmAttrs.h"

#include <gtest/gtest.h>

using namespace mxjit;
using namespace mxjit::ir;

namespace {

TEST(GemmAttrs, KindAndLayoutNamesRoundTrip) {
  for (GemmKind k : {GemmKind::G2d3d, GemmKind::G2d2d}) EXPECT_EQ(parseGemmKind(gemmKindName(k)), k);
  EXPECT_EQ(parseGemmKind("3d3d"), std::nullopt);
  for (OperandLayout l : {OperandLayout::MK, OperandLayout::KM, OperandLayout::EKN, OperandLayout::ENK,
                          OperandLayout::MN, OperandLayout::NM}) {
    EXPECT_EQ(parseOperandLayout(operandLayoutName(l)), l);
    EXPECT_EQ(flipped(flipped(l)), l);
    EXPECT_NE(flipped(l), l);
  }
  EXPECT_EQ(flipped(OperandLayout::EKN), OperandLayout::ENK);
  EXPECT_EQ(flipped(OperandLayout::MN), OperandLayout::NM);
  EXPECT_EQ(parseOperandLayout("kn"), std::nullopt);
}

TEST(GemmAttrs, FusedQuantText) {
  const FusedQuant q{ElemFormat::E5M2, 64, ScaleMode::Floor};
  EXPECT_EQ(fusedQuantText(q), "e5m2.b64.floor");
  EXPECT_EQ(parseFusedQuant("e5m2.b64.floor"), q);
  EXPECT_EQ(parseFusedQuant("e4m3.b32.rceil"), (FusedQuant{ElemFormat::E4M3, 32, ScaleMode::RCeil}));
}

TEST(GemmAttrs, FusedQuantRejectsAnythingButTheCanonicalSpelling) {
  for (const char* s :
       {"", "e4m3", "e4m3.b32", "e4m3.32.rceil", "e4m3.b.rceil", "e4m3.b032.rceil", "e4m3.b+32.rceil",
        "e4m3.b32x.rceil", "e4m4.b32.rceil", "e4m3.b32.round", "e4m3.b32.rceil.x", "e4m3.b99999999999999999999.rceil"})
    EXPECT_EQ(parseFusedQuant(s), std::nullopt) << s;
}

}  // namespace
