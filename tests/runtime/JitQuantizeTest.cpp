// The JIT quantize kernels against the scalar ground truth: along the last axis (any rank), along M,
// and along M restarting at group starts (the wgrad rule), bit for bit.
#include "JitTestUtil.h"
#include "common/ErrorOf.h"
#include "formats/BlockQuantize.h"
#include "formats/Quantize.h"
#include "mxjit/Ops.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace mxjit;
using namespace mxjit::test;
using ::testing::HasSubstr;

namespace {

class JitQuantize : public ::testing::TestWithParam<std::tuple<int, int, int>> {};  // elem, mode, f32 input

TEST_P(JitQuantize, LastAxisMatchesScalar) {
  const auto [elemIndex, modeIndex, f32] = GetParam();
  const ElemFormat elem = ElemFormat(elemIndex);
  const ScaleMode mode = ScaleMode(modeIndex);
  std::mt19937 rng(3);
  HostTensor x = randomBf16({3, 5, 64}, rng);
  if (f32) {
    HostTensor xf(DType::F32, x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) xf.data<float>()[i] = formats::bf16ToFloat(x.data<uint16_t>()[i]) * 1.0001f;
    x = std::move(xf);
  }
  const formats::MXTensor want = formats::quantize(x.view(), -1, elem, 32, mode);
  HostTensor q(want.qdata.dtype(), x.shape()), s(DType::E8M0, want.scales.shape());
  quantize(x.view(), -1, elem, 32, mode, q.view(), s.view());
  EXPECT_EQ(differingElements(q, want.qdata), 0);
  EXPECT_EQ(differingElements(s, want.scales), 0);
}

TEST_P(JitQuantize, AlongMMatchesScalar) {
  const auto [elemIndex, modeIndex, f32] = GetParam();
  (void)f32;
  const ElemFormat elem = ElemFormat(elemIndex);
  const ScaleMode mode = ScaleMode(modeIndex);
  std::mt19937 rng(4);
  const HostTensor x = randomBf16({96, 40}, rng);
  const formats::MXTensor want = formats::quantize(x.view(), 0, elem, 32, mode);
  HostTensor q(want.qdata.dtype(), x.shape()), s(DType::E8M0, want.scales.shape());
  quantize(x.view(), 0, elem, 32, mode, q.view(), s.view());
  EXPECT_EQ(differingElements(q, want.qdata), 0);
  EXPECT_EQ(differingElements(s, want.scales), 0);
}

INSTANTIATE_TEST_SUITE_P(Recipes, JitQuantize, ::testing::Combine(::testing::Values(0, 1), ::testing::Values(0, 1, 2, 3), ::testing::Values(0, 1)));

TEST(JitQuantizeMiddleAxis, MatchesScalarOnRank3) {
  std::mt19937 rng(6);
  const HostTensor w = randomBf16({3, 64, 40}, rng);  // e.g. [E, K, N] weights quantized along K
  const formats::MXTensor want = formats::quantize(w.view(), 1, ElemFormat::E4M3, 32, ScaleMode::Floor);
  HostTensor q(DType::E4M3, w.shape()), s(DType::E8M0, want.scales.shape());
  quantize(w.view(), 1, ElemFormat::E4M3, 32, ScaleMode::Floor, q.view(), s.view());
  EXPECT_EQ(differingElements(q, want.qdata), 0);
  EXPECT_EQ(differingElements(s, want.scales), 0);
}

TEST(JitQuantizeGrouped, BlocksRestartAtEveryGroup) {
  std::mt19937 rng(5);
  const std::vector<int32_t> sizes = {5, 0, 40, 33};
  const HostTensor offs = offsTensor(sizes);
  const TensorView offsView = offs.view();
  const int64_t cols = 72;  // two whole 32-column registers and a scalar remainder
  const HostTensor x = randomBf16({78, cols}, rng);
  const int64_t scaleRows = 1 + 0 + 2 + 2;
  HostTensor q(DType::E4M3, x.shape()), s(DType::E8M0, {scaleRows, cols});
  quantize(x.view(), 0, ElemFormat::E4M3, 32, ScaleMode::Floor, q.view(), s.view(), &offsView);
  // Each group quantized on its own, zero-padded to whole blocks, is the oracle.
  int64_t begin = 0, scaleRow = 0;
  for (int32_t size : sizes) {
    const int64_t padded = (size + 31) / 32 * 32;
    HostTensor part(DType::BF16, {padded, cols});
    std::copy_n(x.data<uint16_t>() + begin * cols, size * cols, part.data<uint16_t>());
    if (padded) {
      const formats::MXTensor want = formats::quantize(part.view(), 0, ElemFormat::E4M3, 32, ScaleMode::Floor);
      for (int64_t i = 0; i < size * cols; ++i) ASSERT_EQ(q.bytes()[begin * cols + i], want.qdata.bytes()[i]) << "group at " << begin;
      for (int64_t i = 0; i < want.scales.numel(); ++i) ASSERT_EQ(s.bytes()[scaleRow * cols + i], want.scales.bytes()[i]);
    }
    begin += size, scaleRow += padded / 32;
  }
}

// Blocks the vector path hands back to the scalar codec (values that are fp8 subnormals at their block's
// scale, Inf and NaN, a block of zeros, bf16 subnormals) mixed with ordinary ones, along both axes.
TEST(JitQuantizeSpecialValues, EveryBlockMatchesScalar) {
  std::mt19937 rng(9);
  const int64_t cols = 83 * 32;  // along K: a 64-block span (groups of 16 blocks), then 19 blocks (16 + 3)
  HostTensor x = randomBf16({64, cols}, rng);
  uint16_t* v = x.data<uint16_t>();
  for (int64_t i = 0; i < x.numel(); i += 37) v[i] = formats::floatToBf16(std::ldexp(formats::bf16ToFloat(v[i]), -24));
  v[5] = 0x7F80, v[cols * 40 + 70] = 0x7FC1, v[cols * 33 + 3] = 0xFF80, v[17] = 0x0001, v[cols * 2 + 580] = 0x7F80, v[cols * 3 + 2100] = 0xFFC0;
  for (int64_t i = 0; i < 32; ++i) v[cols * 10 + 32 + i] = 0, v[cols * (32 + i) + 64] = 0x8000;
  for (ElemFormat elem : {ElemFormat::E4M3, ElemFormat::E5M2})
    for (ScaleMode mode : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even})
      for (int axis : {1, 0}) {
        const formats::MXTensor want = formats::quantize(x.view(), axis, elem, 32, mode);
        HostTensor q(want.qdata.dtype(), x.shape()), s(DType::E8M0, want.scales.shape());
        quantize(x.view(), axis, elem, 32, mode, q.view(), s.view());
        EXPECT_EQ(differingElements(q, want.qdata), 0) << elemFormatName(elem) << " " << scaleModeName(mode) << " axis " << axis;
        EXPECT_EQ(differingElements(s, want.scales), 0) << elemFormatName(elem) << " " << scaleModeName(mode) << " axis " << axis;
      }
}

TEST(JitQuantizeErrors, NamesTheProblem) {
  HostTensor x(DType::BF16, {4, 48}), q(DType::E4M3, {4, 48}), s(DType::E8M0, {4, 1});
  EXPECT_THAT(test::errorOf([&] { quantize(x.view(), -1, ElemFormat::E4M3, 32, ScaleMode::Floor, q.view(), s.view()); }),
              HasSubstr("dim 1 (size 48) is not a multiple of the block size 32"));
  HostTensor x3(DType::BF16, {4, 32, 32}), q3(DType::E4M3, {4, 32, 32}), s3(DType::E8M0, {4, 2, 32});
  EXPECT_THAT(test::errorOf([&] { quantize(x3.view(), 1, ElemFormat::E4M3, 32, ScaleMode::Floor, q3.view(), s3.view()); }),
              HasSubstr("scales has shape [4, 2, 32]; expected [4, 1, 32]"));
  HostTensor x2(DType::BF16, {4, 64}), wrongScales(DType::E8M0, {4, 3});
  HostTensor q2(DType::E4M3, {4, 64});
  EXPECT_THAT(test::errorOf([&] { quantize(x2.view(), -1, ElemFormat::E4M3, 32, ScaleMode::Floor, q2.view(), wrongScales.view()); }),
              HasSubstr("scales has shape [4, 3]; expected [4, 2]"));
}

}  // namespace
