// fp8 encode/decode against torch's cast rules (mx-semantics.md §1-§2).
#include "formats/BFloat16.h"
#include "formats/Float8.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace mxjit;
using namespace mxjit::formats;

namespace {

bool isNanCode(uint8_t c, ElemFormat f) { return std::isnan(decodeFp8(c, f)); }

TEST(Float8, EveryCodeRoundTrips) {
  for (ElemFormat f : {ElemFormat::E4M3, ElemFormat::E5M2})
    for (int c = 0; c < 256; ++c) {
      const auto code = static_cast<uint8_t>(c);
      if (isNanCode(code, f)) {
        EXPECT_EQ(encodeFp8(decodeFp8(code, f), f), 0x7F) << "NaN code " << c;
      } else {
        EXPECT_EQ(encodeFp8(decodeFp8(code, f), f), code) << elemFormatName(f) << " code " << c;
      }
    }
}

TEST(Float8, E4M3ConstantsAndSpecialCodes) {
  EXPECT_EQ(decodeFp8(0x7E, ElemFormat::E4M3), 448.0f);
  EXPECT_EQ(decodeFp8(0x08, ElemFormat::E4M3), std::ldexp(1.0f, -6));
  EXPECT_EQ(decodeFp8(0x01, ElemFormat::E4M3), std::ldexp(1.0f, -9));
  EXPECT_TRUE(std::isnan(decodeFp8(0x7F, ElemFormat::E4M3)));
  EXPECT_TRUE(std::isnan(decodeFp8(0xFF, ElemFormat::E4M3)));
  EXPECT_EQ(decodeFp8(0x78, ElemFormat::E4M3), 256.0f);  // E=15 is an ordinary exponent in e4m3fn
}

TEST(Float8, E5M2ConstantsAndSpecialCodes) {
  EXPECT_EQ(decodeFp8(0x7B, ElemFormat::E5M2), 57344.0f);
  EXPECT_EQ(decodeFp8(0x04, ElemFormat::E5M2), std::ldexp(1.0f, -14));
  EXPECT_EQ(decodeFp8(0x01, ElemFormat::E5M2), std::ldexp(1.0f, -16));
  EXPECT_EQ(decodeFp8(0x7C, ElemFormat::E5M2), std::numeric_limits<float>::infinity());
  EXPECT_EQ(decodeFp8(0xFC, ElemFormat::E5M2), -std::numeric_limits<float>::infinity());
  for (int c : {0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF}) EXPECT_TRUE(isNanCode(static_cast<uint8_t>(c), ElemFormat::E5M2));
}

TEST(Float8, E4M3OverflowIsNotSaturatingAndNanIsCanonical) {
  EXPECT_EQ(encodeFp8(449.0f, ElemFormat::E4M3), 0x7E);
  EXPECT_EQ(encodeFp8(464.0f, ElemFormat::E4M3), 0x7E);  // tie rounds to even (448)
  EXPECT_EQ(encodeFp8(465.0f, ElemFormat::E4M3), 0x7F);  // rounds onto the NaN pattern
  EXPECT_EQ(encodeFp8(480.0f, ElemFormat::E4M3), 0x7F);
  EXPECT_EQ(encodeFp8(-1000.0f, ElemFormat::E4M3), 0x7F);  // NaN is always 0x7F, never 0xFF
  EXPECT_EQ(encodeFp8(std::numeric_limits<float>::infinity(), ElemFormat::E4M3), 0x7F);
  EXPECT_EQ(encodeFp8(-std::numeric_limits<float>::quiet_NaN(), ElemFormat::E4M3), 0x7F);
}

TEST(Float8, E5M2OverflowGoesToInf) {
  EXPECT_EQ(encodeFp8(61439.0f, ElemFormat::E5M2), 0x7B);
  EXPECT_EQ(encodeFp8(61440.0f, ElemFormat::E5M2), 0x7C);  // tie rounds to even, which is Inf
  EXPECT_EQ(encodeFp8(-70000.0f, ElemFormat::E5M2), 0xFC);
  EXPECT_EQ(encodeFp8(-std::numeric_limits<float>::quiet_NaN(), ElemFormat::E5M2), 0x7F);
}

TEST(Float8, SubnormalsRoundToNearestEven) {
  const float step = std::ldexp(1.0f, -9);
  EXPECT_EQ(encodeFp8(0.5f * step, ElemFormat::E4M3), 0x00);  // tie -> even (0)
  EXPECT_EQ(encodeFp8(1.5f * step, ElemFormat::E4M3), 0x02);  // tie -> even (2)
  EXPECT_EQ(encodeFp8(2.5f * step, ElemFormat::E4M3), 0x02);
  EXPECT_EQ(encodeFp8(7.5f * step, ElemFormat::E4M3), 0x08);  // rounds up into the smallest normal
  EXPECT_EQ(encodeFp8(-0.25f * step, ElemFormat::E4M3), 0x80);  // signed underflow
  EXPECT_EQ(encodeFp8(-0.0f, ElemFormat::E5M2), 0x80);
  EXPECT_EQ(encodeFp8(1.5f * std::ldexp(1.0f, -16), ElemFormat::E5M2), 0x02);
}

TEST(Float8, NormalRoundingTiesToEven) {
  EXPECT_EQ(encodeFp8(272.0f, ElemFormat::E4M3), 0x78);  // 272 tie -> 256
  EXPECT_EQ(encodeFp8(304.0f, ElemFormat::E4M3), 0x7A);  // 304 tie -> 320
  EXPECT_EQ(encodeFp8(336.0f, ElemFormat::E4M3), 0x7A);  // 336 -> 320
  EXPECT_EQ(encodeFp8(30720.0f, ElemFormat::E5M2), 0x78);  // tie -> 32768
}

TEST(BFloat16, RoundsToNearestEvenKeepingSubnormals) {
  EXPECT_EQ(floatToBf16(1.0f), 0x3F80);
  EXPECT_EQ(floatToBf16(floatFromBits(0x3F808000u)), 0x3F80);  // tie -> even
  EXPECT_EQ(floatToBf16(floatFromBits(0x3F818000u)), 0x3F82);  // tie -> even (up)
  EXPECT_EQ(floatToBf16(floatFromBits(0x00400000u)), 0x0040);  // 2^-127 is a bf16 subnormal
  EXPECT_EQ(floatToBf16(std::ldexp(1.0f, -136)), 0x0000);       // below half of 2^-133
  EXPECT_EQ(floatToBf16(floatFromBits(0x7F7FFFFFu)), 0x7F80);   // FLT_MAX rounds to Inf
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBf16(std::numeric_limits<float>::quiet_NaN()))));
}

}  // namespace
