// Whole-tensor quantize/dequantize: axes, block sizes, dtypes and argument errors.
#include "common/ErrorOf.h"
#include "formats/BFloat16.h"
#include "formats/Quantize.h"
#include "mxjit/Error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

using namespace mxjit;
using namespace mxjit::formats;
using ::testing::HasSubstr;
using mxjit::test::errorOf;

namespace {

HostTensor randomF32(std::vector<int64_t> shape, unsigned seed) {
  HostTensor t(DType::F32, std::move(shape));
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-12, 12);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = std::ldexp(normal(rng), exponent(rng));
  return t;
}

TEST(Quantize, AxisZeroEqualsTransposeThenLastAxis) {
  const int64_t rows = 64, cols = 24;
  HostTensor x = randomF32({rows, cols}, 1), xt(DType::F32, {cols, rows});
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) xt.data<float>()[c * rows + r] = x.data<float>()[r * cols + c];
  const MXTensor a = quantize(x.view(), 0, ElemFormat::E4M3, 32, ScaleMode::Floor);
  const MXTensor b = quantize(xt.view(), -1, ElemFormat::E4M3, 32, ScaleMode::Floor);
  ASSERT_EQ(a.scales.shape(), (std::vector<int64_t>{2, cols}));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      ASSERT_EQ(a.qdata.bytes()[r * cols + c], b.qdata.bytes()[c * rows + r]);
      ASSERT_EQ(a.scales.bytes()[(r / 32) * cols + c], b.scales.bytes()[c * 2 + r / 32]);
    }
}

TEST(Quantize, Block128SharesOneScalePer128Elements) {
  HostTensor x(DType::F32, {3, 256});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = 0.5f + float(i % 7) / 8;
  x.data<float>()[5] = 1000.0f;  // dominates the first block of 128 only
  const MXTensor m = quantize(x.view(), 1, ElemFormat::E4M3, 128, ScaleMode::RCeil);
  ASSERT_EQ(m.scales.shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(m.scales.bytes()[0], 129);  // 1000/448 -> 2^2
  EXPECT_EQ(m.scales.bytes()[1], 119);  // amax 1.25: 1.25/448 rounds up to 2^-8
  const HostTensor back = dequantize(m, DType::F32);
  EXPECT_EQ(back.data<float>()[5], 1024.0f);  // 1000/4 = 250 -> 256 in e4m3
}

TEST(Quantize, Bf16InputIsWidenedExactly) {
  // fp32 0x43FFFFFF keeps FLOOR scale 2^0; its bf16 rounding (512) would get 2^1 (§4.1).
  HostTensor f(DType::F32, {32});
  f.data<float>()[0] = floatFromBits(0x43FFFFFFu);
  EXPECT_EQ(quantize(f.view(), -1, ElemFormat::E4M3, 32, ScaleMode::Floor).scales.bytes()[0], 127);
  HostTensor b(DType::BF16, {32});
  b.data<uint16_t>()[0] = floatToBf16(floatFromBits(0x43FFFFFFu));
  EXPECT_EQ(quantize(b.view(), -1, ElemFormat::E4M3, 32, ScaleMode::Floor).scales.bytes()[0], 128);
}

TEST(Quantize, DequantizeRoundTripsWithinFp8Precision) {
  const HostTensor x = randomF32({8, 64}, 3);
  for (ElemFormat f : {ElemFormat::E4M3, ElemFormat::E5M2}) {
    const HostTensor back = dequantize(quantize(x.view(), -1, f, 32, ScaleMode::RCeil), DType::F32);
    const float tol = f == ElemFormat::E4M3 ? 1.0f / 16 : 1.0f / 8;  // half an ulp of 3 or 2 mantissa bits
    for (int64_t i = 0; i < x.numel(); ++i) {
      const float v = x.data<float>()[i], w = back.data<float>()[i];
      if (std::fabs(v) > 1e-3f * 4096) {
        EXPECT_LE(std::fabs(w - v), tol * std::fabs(v)) << i;
      }
    }
    const HostTensor bf = dequantize(quantize(x.view(), -1, f, 32, ScaleMode::RCeil), DType::BF16);
    for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(bf16ToFloat(bf.data<uint16_t>()[i]), back.data<float>()[i]);
  }
}

TEST(Quantize, RejectsBadArguments) {
  HostTensor x = randomF32({4, 48}, 4);
  EXPECT_THAT(errorOf([&] { quantize(x.view(), -1, ElemFormat::E4M3, 32, ScaleMode::Floor); }),
              HasSubstr("dim 1 (size 48) is not a multiple of the block size 32"));
  EXPECT_THAT(errorOf([&] { quantize(x.view(), 2, ElemFormat::E4M3, 16, ScaleMode::Floor); }),
              HasSubstr("axis 2 is out of range"));
  EXPECT_THAT(errorOf([&] { quantize(x.view(), -1, ElemFormat::E4M3, 24, ScaleMode::Floor); }),
              HasSubstr("block size 24 is not supported"));
  HostTensor ints(DType::I32, {4, 32});
  EXPECT_THAT(errorOf([&] { quantize(ints.view(), -1, ElemFormat::E4M3, 32, ScaleMode::Floor); }),
              HasSubstr("has dtype i32; expected f32 or bf16"));
}

}  // namespace
