// e8m0 scale codes for the four modes, against §4.3's rules and the worked examples of §4.6-§4.7.
#include "formats/BFloat16.h"
#include "formats/ScaleCode.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace mxjit;
using namespace mxjit::formats;

namespace {

uint8_t code(float amax, ElemFormat f, ScaleMode m) { return scaleCode(floatBits(std::fabs(amax)), f, m); }

constexpr auto E4 = ElemFormat::E4M3;
constexpr auto E5 = ElemFormat::E5M2;

TEST(ScaleCode, WorkedExamples) {
  EXPECT_EQ(code(1.0f, E4, ScaleMode::Floor), 119);
  EXPECT_EQ(code(15.0f, E4, ScaleMode::Floor), 122);
  EXPECT_EQ(code(15.0f, E4, ScaleMode::Even), 122);
  EXPECT_EQ(code(15.0f, E4, ScaleMode::Ceil), 123);
  EXPECT_EQ(code(15.0f, E4, ScaleMode::RCeil), 123);
  EXPECT_EQ(code(480.0f, E4, ScaleMode::Floor), 127);
  EXPECT_EQ(code(480.0f, E4, ScaleMode::RCeil), 128);
  EXPECT_EQ(code(61440.0f, E5, ScaleMode::Floor), 127);
  EXPECT_EQ(code(61440.0f, E5, ScaleMode::Even), 128);
  EXPECT_EQ(code(7.0f, E4, ScaleMode::RCeil), 121);
  EXPECT_EQ(code(7.0f, E5, ScaleMode::RCeil), 114);
}

TEST(ScaleCode, ZeroAndSubnormalAmaxGiveCodeZeroInEveryMode) {
  for (ScaleMode m : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even})
    for (ElemFormat f : {E4, E5}) {
      EXPECT_EQ(code(0.0f, f, m), 0);
      EXPECT_EQ(code(1e-40f, f, m), 0);
      EXPECT_EQ(code(std::ldexp(1.0f, -126), f, m), 0);
    }
}

TEST(ScaleCode, NonFiniteAmaxGives255) {
  for (ScaleMode m : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even}) {
    EXPECT_EQ(code(std::numeric_limits<float>::infinity(), E4, m), 255);
    EXPECT_EQ(code(std::numeric_limits<float>::quiet_NaN(), E5, m), 255);
  }
}

TEST(ScaleCode, FltMaxPerMode) {
  const float big = std::numeric_limits<float>::max();
  EXPECT_EQ(code(big, E4, ScaleMode::Floor), 246);
  EXPECT_EQ(code(big, E4, ScaleMode::Ceil), 247);
  EXPECT_EQ(code(big, E4, ScaleMode::RCeil), 247);
  EXPECT_EQ(code(big, E4, ScaleMode::Even), 255);  // the rounding carries amax into Inf
}

TEST(ScaleCode, RceilUsesTheFp32MultiplyNotExactDivision) {
  // §4.3: the single amax per format where fl32(amax * fl32(1/MAX)) lands exactly on 2^-127.
  EXPECT_EQ(scaleCode(0x04600001u, E4, ScaleMode::RCeil), 0);
  EXPECT_EQ(scaleCode(0x07E00001u, E5, ScaleMode::RCeil), 0);
}

// Independent oracle: the codes from real logarithms, valid away from the clamp and the RCEIL corner.
TEST(ScaleCode, MatchesLog2DefinitionOnNormalAmax) {
  for (ElemFormat f : {E4, E5}) {
    const double maxNormal = f == E4 ? 448.0 : 57344.0;
    const int target = f == E4 ? 8 : 15;
    for (uint32_t bits = 0x0A000000u; bits < 0x7F000000u; bits += 0x00012345u) {
      const double amax = floatFromBits(bits);
      const int floorLog = static_cast<int>(std::floor(std::log2(amax)));
      EXPECT_EQ(scaleCode(bits, f, ScaleMode::Floor), floorLog - target + 127);
      EXPECT_EQ(scaleCode(bits, f, ScaleMode::Ceil), static_cast<int>(std::ceil(std::log2(amax))) - target + 127);
      EXPECT_EQ(scaleCode(bits, f, ScaleMode::RCeil), static_cast<int>(std::ceil(std::log2(amax / maxNormal))) + 127)
          << std::hex << bits;
    }
  }
}

TEST(ScaleCode, E8M0ValuesAndReciprocals) {
  EXPECT_EQ(floatBits(e8m0Value(0)), 0x00400000u);
  EXPECT_EQ(e8m0Value(127), 1.0f);
  EXPECT_EQ(e8m0Value(254), std::ldexp(1.0f, 127));
  EXPECT_TRUE(std::isnan(e8m0Value(255)));
  EXPECT_EQ(e8m0Reciprocal(0), std::ldexp(1.0f, 127));
  EXPECT_EQ(e8m0Reciprocal(119), 256.0f);
  EXPECT_EQ(floatBits(e8m0Reciprocal(254)), 0x00400000u);
  EXPECT_TRUE(std::isnan(e8m0Reciprocal(255)));
}

}  // namespace
