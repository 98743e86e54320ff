// Block quantization: the worked examples and special blocks of mx-semantics.md §4.6-§4.7, and a
// brute-force oracle (nearest fp8 value by search over all 256 codes) on wide-range random blocks.
#include "formats/BFloat16.h"
#include "formats/BlockQuantize.h"
#include "formats/Float8.h"
#include "formats/ScaleCode.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace mxjit;
using namespace mxjit::formats;

namespace {

struct Quantized {
  uint8_t code;
  std::vector<uint8_t> q;
};

Quantized quantize32(std::vector<float> head, ElemFormat f, ScaleMode m) {
  head.resize(32, 0.0f);
  Quantized r{0, std::vector<uint8_t>(32)};
  r.code = quantizeBlock(head.data(), 1, 32, f, m, r.q.data());
  return r;
}

void expectBlock(std::vector<float> in, ElemFormat f, ScaleMode m, int code, std::vector<uint8_t> bytes) {
  const Quantized r = quantize32(std::move(in), f, m);
  EXPECT_EQ(r.code, code) << elemFormatName(f) << " " << scaleModeName(m);
  for (size_t i = 0; i < bytes.size(); ++i) EXPECT_EQ(r.q[i], bytes[i]) << "element " << i;
}

constexpr auto E4 = ElemFormat::E4M3;
constexpr auto E5 = ElemFormat::E5M2;

TEST(BlockQuantize, WorkedExamplesOfSection47) {
  expectBlock({1.0f}, E4, ScaleMode::Floor, 119, {0x78});
  for (ScaleMode m : {ScaleMode::Floor, ScaleMode::Even})
    expectBlock({449, 464, 480, -456}, E4, m, 127, {0x7E, 0x7E, 0x7E, 0xFE});
  for (ScaleMode m : {ScaleMode::RCeil, ScaleMode::Ceil})
    expectBlock({449, 464, 480, -456}, E4, m, 128, {0x76, 0x76, 0x77, 0xF6});
  expectBlock({1.0625f, 1.1875f, 1.3125f, -1.0625f}, E4, ScaleMode::Floor, 119, {0x78, 0x7A, 0x7A, 0xF8});
  expectBlock({1.0625f, 1.1875f, 1.3125f, -1.0625f}, E4, ScaleMode::Ceil, 120, {0x70, 0x72, 0x72, 0xF0});
  expectBlock({15.0f}, E4, ScaleMode::Floor, 122, {0x7E});
  expectBlock({15.0f}, E4, ScaleMode::Even, 122, {0x7E});
  expectBlock({15.0f}, E4, ScaleMode::Ceil, 123, {0x77});
  expectBlock({15.0f}, E4, ScaleMode::RCeil, 123, {0x77});
  expectBlock({57344, 61440, -57344, 1}, E5, ScaleMode::Floor, 127, {0x7B, 0x7B, 0xFB, 0x3C});
  for (ScaleMode m : {ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even})
    expectBlock({57344, 61440, -57344, 1}, E5, m, 128, {0x77, 0x78, 0xF7, 0x38});
  for (ScaleMode m : {ScaleMode::Floor, ScaleMode::RCeil})
    expectBlock({0.1f, -0.3f, 2.5f, 7.0f, 1e-6f}, E4, m, 121, {0x4D, 0xDA, 0x72, 0x7E, 0x00});
  expectBlock({0.1f, -0.3f, 2.5f, 7.0f, 1e-6f}, E5, ScaleMode::RCeil, 114, {0x62, 0xE9, 0x75, 0x7B, 0x20});
}

TEST(BlockQuantize, SpecialBlocksOfSection46) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const float big = std::numeric_limits<float>::max();
  expectBlock({0.0f, -0.0f}, E4, ScaleMode::Floor, 0, {0x00, 0x80});
  expectBlock({1e-40f}, E4, ScaleMode::RCeil, 0, {0x09});
  expectBlock({std::ldexp(1.0f, -126)}, E4, ScaleMode::Floor, 0, {0x40});
  expectBlock({std::ldexp(1.0f, -133)}, E4, ScaleMode::Floor, 0, {0x08});
  expectBlock({std::ldexp(1.0f, -149), -std::ldexp(1.0f, -149)}, E4, ScaleMode::Floor, 0, {0x00, 0x80});
  for (ElemFormat f : {E4, E5}) {
    expectBlock({1.0f, nan, -2.0f}, f, ScaleMode::RCeil, 255, {0x7F, 0x7F, 0x7F});
    expectBlock({1.0f, -inf, 3.0f}, f, ScaleMode::Floor, 255, {0x7F, 0x7F, 0x7F});
  }
  expectBlock({big, -big}, E4, ScaleMode::Floor, 246, {0x7E, 0xFE});
  expectBlock({big}, E4, ScaleMode::Ceil, 247, {0x78});
  expectBlock({big, 1.0f}, E4, ScaleMode::RCeil, 247, {0x78, 0x00});
  expectBlock({big}, E4, ScaleMode::Even, 255, {0x7F});
}

// The fp8 value nearest to y (ties to the even code), saturating to +-MAX, found by search.
uint8_t nearestCodeBySearch(float y, ElemFormat f) {
  const double maxNormal = elemTraits(f).maxNormal;
  const double target = std::clamp<double>(y, -maxNormal, maxNormal);
  int best = -1;
  double bestErr = 0;
  for (int c = 0; c < 256; ++c) {
    const float v = decodeFp8(static_cast<uint8_t>(c), f);
    if (!std::isfinite(v) || std::signbit(v) != std::signbit(target)) continue;
    const double err = std::fabs(static_cast<double>(v) - target);
    if (best < 0 || err < bestErr || (err == bestErr && (c & 1) == 0)) best = c, bestErr = err;
  }
  return static_cast<uint8_t>(best);
}

TEST(BlockQuantize, ElementsAreNearestFp8OfScaledValueOnWideRangeData) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> mantissa(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-30, 30);
  for (ElemFormat f : {E4, E5})
    for (ScaleMode m : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even})
      for (int trial = 0; trial < 200; ++trial) {
        std::vector<float> x(32);
        for (float& v : x) v = std::ldexp(mantissa(rng), exponent(rng));
        const Quantized r = quantize32(x, f, m);
        for (int i = 0; i < 32; ++i) {
          const float y = x[i] * e8m0Reciprocal(r.code);
          ASSERT_EQ(r.q[i], nearestCodeBySearch(y, f)) << "x=" << x[i] << " code=" << int(r.code);
        }
      }
}

TEST(BlockQuantize, ShortBlockEqualsZeroPaddedBlock) {
  std::vector<float> x = {3.0f, -0.25f, 100.0f, 1e-3f, 7.0f};
  std::vector<uint8_t> q(5);
  const uint8_t c = quantizeBlock(x.data(), 1, 5, E4, ScaleMode::Floor, q.data());
  const Quantized padded = quantize32(x, E4, ScaleMode::Floor);
  EXPECT_EQ(c, padded.code);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(q[i], padded.q[i]);
}

TEST(BlockQuantize, DequantizeRoundsToBf16WithSubnormals) {
  // c = 0 with q = e4m3 2^-9: 2^-136 is below half of bf16's smallest subnormal, so it becomes +0.
  EXPECT_EQ(dequantizeValue(0x01, 0, E4, DequantRounding::Bf16), 0.0f);
  EXPECT_EQ(dequantizeValue(0x01, 0, E4, DequantRounding::Fp32), std::ldexp(1.0f, -136));
  EXPECT_EQ(dequantizeValue(0x40, 0, E4, DequantRounding::Bf16), std::ldexp(1.0f, -126));
  EXPECT_EQ(dequantizeValue(0x78, 247, E4, DequantRounding::Bf16), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(dequantizeValue(0x38, 255, E4, DequantRounding::Fp32)));
  EXPECT_EQ(dequantizeValue(0xF6, 128, E4, DequantRounding::Fp32), -448.0f);
}

}  // namespace
