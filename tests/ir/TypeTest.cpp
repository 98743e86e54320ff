#include "ir/Type.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace mxjit;
using namespace mxjit::ir;
using ::testing::HasSubstr;

namespace {

TensorType mxType(std::vector<Dim> dims, int32_t axis, ScaleLayout scales = ScaleLayout::Plain) {
  return TensorType{DType::E4M3, std::move(dims), MXEncoding{ElemFormat::E4M3, 32, axis, scales}};
}

TEST(Type, PlainTextHasDtypeAndDims) {
  EXPECT_EQ(typeString(TensorType{DType::BF16, {Dim::named("M"), Dim::fixed(2048)}, {}}), "bf16[M,2048]");
  EXPECT_EQ(typeString(TensorType{DType::I32, {Dim::fixed(8)}, {}}), "i32[8]");
  EXPECT_EQ(dimString(Dim::named("E")), "E");
  EXPECT_EQ(dimString(Dim::fixed(0)), "0");
}

TEST(Type, MXTextCarriesTheEncoding) {
  EXPECT_EQ(typeString(mxType({Dim::named("M"), Dim::fixed(2048)}, 1)),
            "mx<e4m3,block=32,axis=1,scales=plain>[M,2048]");
  TensorType t{
      DType::E5M2, {Dim::fixed(8), Dim::fixed(64)}, MXEncoding{ElemFormat::E5M2, 64, 0, ScaleLayout::PackedI32}};
  EXPECT_EQ(typeString(t), "mx<e5m2,block=64,axis=0,scales=packed_i32>[8,64]");
}

TEST(Type, ScaleLayoutNamesRoundTrip) {
  for (ScaleLayout l : {ScaleLayout::Plain, ScaleLayout::Blocked128x4, ScaleLayout::PackedI32})
    EXPECT_EQ(parseScaleLayout(scaleLayoutName(l)), l);
  EXPECT_EQ(parseScaleLayout("blocked"), std::nullopt);
}

TEST(Type, TypeErrorNamesTheRule) {
  EXPECT_EQ(typeError(mxType({Dim::fixed(4), Dim::fixed(64)}, 1)), "");
  EXPECT_THAT(typeError(TensorType{DType::F32, {}, {}}), HasSubstr("rank >= 1"));
  EXPECT_THAT(typeError(TensorType{DType::F32, {Dim::fixed(-1)}, {}}), HasSubstr("dim size -1 is negative"));
  EXPECT_THAT(typeError(TensorType{DType::F32, {Dim::named("2x")}, {}}), HasSubstr("'2x' is not a dim name"));
  EXPECT_THAT(typeError(TensorType{DType::U8, {Dim::fixed(4)}, {}}), HasSubstr("dtype u8 is not a plain tensor dtype"));
  EXPECT_THAT(typeError(mxType({Dim::fixed(4)}, 1)), HasSubstr("axis 1 is out of range for rank 1"));
  TensorType badBlock = mxType({Dim::fixed(4)}, 0);
  badBlock.mx->block = 48;
  EXPECT_THAT(typeError(badBlock), HasSubstr("block 48 is not a power of two"));
  TensorType badDtype = mxType({Dim::fixed(4)}, 0);
  badDtype.dtype = DType::BF16;
  EXPECT_THAT(typeError(badDtype), HasSubstr("does not match the MX element format e4m3"));
}

}  // namespace
