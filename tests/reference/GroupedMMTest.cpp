// The reference grouped GEMM against a naive oracle written independently here: quantize each operand
// with formats::quantize (whole tensors; wgrad through explicit zero-padded per-group buffers), dequantize
// to bf16, multiply in f64. Random jagged shapes, empty groups, 1-token groups, both weight layouts.
#include "formats/BFloat16.h"
#include "formats/Quantize.h"
#include "reference/GroupedMM.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace mxjit;

namespace {

struct Sizes {
  int64_t m, k, n;
  std::vector<int32_t> groupSizes;
};

HostTensor randomBf16(std::vector<int64_t> shape, std::mt19937& rng) {
  HostTensor t(DType::BF16, std::move(shape));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-6, 6);  // wide range so FLOOR saturation and axes matter
  for (int64_t i = 0; i < t.numel(); ++i) t.data<uint16_t>()[i] = formats::floatToBf16(std::ldexp(normal(rng), exponent(rng)));
  return t;
}

std::vector<float> dequantBf16(const TensorView& x, int axis, ElemFormat f, const QuantRecipe& r) {
  const HostTensor d = formats::dequantize(formats::quantize(x, axis, f, r.block, r.mode), DType::F32);
  std::vector<float> v(d.data<float>(), d.data<float>() + d.numel());
  for (float& e : v) e = formats::roundToBf16(e);
  return v;
}

// |got - exact| must stay within fp32 accumulation error: n * 2^-23 * sum|terms| (+ a tiny floor).
void expectNear(float got, double exact, double absSum, int64_t n, const std::string& where) {
  const double bound = (n + 1) * std::ldexp(1.0, -23) * absSum + 1e-30;
  ASSERT_LE(std::fabs(got - exact), bound) << where << " got " << got << " want " << exact;
}

struct Run {
  Sizes s;
  QuantRecipe recipe;
  WeightLayout layout;
};

class ReferenceVsNaive : public ::testing::TestWithParam<int> {};

TEST_P(ReferenceVsNaive, ForwardDgradWgrad) {
  std::mt19937 rng(1000 + GetParam());
  std::uniform_int_distribution<int> groupCount(1, 6), groupSize(0, 40), kBlocks(1, 3), nBlocks(1, 2), pick(0, 3);
  const int experts = groupCount(rng);
  std::vector<int32_t> offsValues;
  int32_t m = 0;
  for (int g = 0; g < experts; ++g) offsValues.push_back(m += (pick(rng) == 0 ? pick(rng) % 2 : groupSize(rng)));
  const int64_t rows = m + pick(rng) % 2 * 3;  // sometimes rows past offs[-1]
  const int64_t k = 32 * kBlocks(rng), n = 32 * nBlocks(rng);
  const QuantRecipe recipe{ElemFormat::E4M3, pick(rng) % 2 ? ElemFormat::E5M2 : ElemFormat::E4M3, 32,
                           static_cast<ScaleMode>(pick(rng))};
  const WeightLayout layout = pick(rng) % 2 ? WeightLayout::EKN : WeightLayout::ENK;
  SCOPED_TRACE(::testing::Message() << "G=" << experts << " M=" << rows << " K=" << k << " N=" << n << " mode="
                                    << scaleModeName(recipe.mode) << " grad=" << elemFormatName(recipe.gradElem)
                                    << " W=" << weightLayoutName(layout));

  const HostTensor a = randomBf16({rows, k}, rng), gradOut = randomBf16({rows, n}, rng);
  const HostTensor w = randomBf16(layout == WeightLayout::ENK ? std::vector<int64_t>{experts, n, k}
                                                             : std::vector<int64_t>{experts, k, n}, rng);
  HostTensor offs(DType::I32, {experts});
  std::copy(offsValues.begin(), offsValues.end(), offs.data<int32_t>());

  HostTensor out(DType::F32, {rows, n}), gradA(DType::F32, {rows, k}), gradB(DType::F32, {experts, k, n});
  std::fill_n(out.data<float>(), out.numel(), 123.0f);  // rows past offs[-1] must be overwritten with 0
  reference::groupedMMForward(a.view(), w.view(), layout, offs.view(), recipe, out.view());
  reference::groupedMMDgrad(gradOut.view(), w.view(), layout, offs.view(), recipe, gradA.view());
  reference::groupedMMWgrad(a.view(), gradOut.view(), offs.view(), recipe, gradB.view());

  // Naive forward and dgrad: W element (e, kk, nn) in either layout.
  const int kAxis = layout == WeightLayout::ENK ? 2 : 1, nAxis = layout == WeightLayout::ENK ? 1 : 2;
  const std::vector<float> aq = dequantBf16(a.view(), 1, recipe.fwdElem, recipe);
  const std::vector<float> wqK = dequantBf16(w.view(), kAxis, recipe.fwdElem, recipe);
  const std::vector<float> wqN = dequantBf16(w.view(), nAxis, recipe.fwdElem, recipe);
  const std::vector<float> gq = dequantBf16(gradOut.view(), 1, recipe.gradElem, recipe);
  auto wAt = [&](const std::vector<float>& wq, int64_t e, int64_t kk, int64_t nn) {
    return layout == WeightLayout::ENK ? wq[(e * n + nn) * k + kk] : wq[(e * k + kk) * n + nn];
  };
  auto groupOf = [&](int64_t r) {
    for (int g = 0; g < experts; ++g) if (r < offsValues[g]) return g;
    return -1;
  };
  for (int64_t r = 0; r < rows; ++r) {
    const int g = groupOf(r);
    for (int64_t j = 0; j < n; ++j) {
      double exact = 0, absSum = 0;
      for (int64_t kk = 0; g >= 0 && kk < k; ++kk) {
        const double t = double(aq[r * k + kk]) * wAt(wqK, g, kk, j);
        exact += t, absSum += std::fabs(t);
      }
      expectNear(out.data<float>()[r * n + j], exact, absSum, k, "out");
    }
    for (int64_t kk = 0; kk < k; ++kk) {
      double exact = 0, absSum = 0;
      for (int64_t j = 0; g >= 0 && j < n; ++j) {
        const double t = double(gq[r * n + j]) * wAt(wqN, g, kk, j);
        exact += t, absSum += std::fabs(t);
      }
      expectNear(gradA.data<float>()[r * k + kk], exact, absSum, n, "grad_A");
    }
  }
  // Naive wgrad: copy each group into a zero buffer padded to whole 32-token blocks, quantize along M.
  for (int g = 0; g < experts; ++g) {
    const int64_t begin = g ? offsValues[g - 1] : 0, size = offsValues[g] - begin, padded = (size + 31) / 32 * 32;
    HostTensor ag(DType::BF16, {padded, k}), gg(DType::BF16, {padded, n});
    std::copy_n(a.data<uint16_t>() + begin * k, size * k, ag.data<uint16_t>());
    std::copy_n(gradOut.data<uint16_t>() + begin * n, size * n, gg.data<uint16_t>());
    const std::vector<float> agq = padded ? dequantBf16(ag.view(), 0, recipe.fwdElem, recipe) : std::vector<float>{};
    const std::vector<float> ggq = padded ? dequantBf16(gg.view(), 0, recipe.gradElem, recipe) : std::vector<float>{};
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t j = 0; j < n; ++j) {
        double exact = 0, absSum = 0;
        for (int64_t t = 0; t < size; ++t) {
          const double p = double(agq[t * k + kk]) * ggq[t * n + j];
          exact += p, absSum += std::fabs(p);
        }
        expectNear(gradB.data<float>()[(g * k + kk) * n + j], exact, absSum, size, "grad_B");
      }
  }
}

INSTANTIATE_TEST_SUITE_P(RandomShapes, ReferenceVsNaive, ::testing::Range(0, 24));

TEST(ReferenceGroupedMM, Bf16OutputIsTheRoundedF32Output) {
  std::mt19937 rng(5);
  const HostTensor a = randomBf16({40, 64}, rng), w = randomBf16({2, 32, 64}, rng);
  HostTensor offs(DType::I32, {2});
  offs.data<int32_t>()[0] = 7, offs.data<int32_t>()[1] = 40;
  HostTensor f(DType::F32, {40, 32}), b(DType::BF16, {40, 32});
  const QuantRecipe recipe{};
  reference::groupedMMForward(a.view(), w.view(), WeightLayout::ENK, offs.view(), recipe, f.view());
  reference::groupedMMForward(a.view(), w.view(), WeightLayout::ENK, offs.view(), recipe, b.view());
  for (int64_t i = 0; i < f.numel(); ++i) ASSERT_EQ(b.data<uint16_t>()[i], formats::floatToBf16(f.data<float>()[i]));
}

TEST(ReferenceGroupedMM, BlockSize128) {
  std::mt19937 rng(6);
  const HostTensor a = randomBf16({8, 128}, rng), w = randomBf16({1, 128, 16}, rng);
  HostTensor offs(DType::I32, {1}), out(DType::F32, {8, 16});
  offs.data<int32_t>()[0] = 8;
  const QuantRecipe recipe{ElemFormat::E4M3, ElemFormat::E4M3, 128, ScaleMode::Floor};
  reference::groupedMMForward(a.view(), w.view(), WeightLayout::EKN, offs.view(), recipe, out.view());
  const std::vector<float> aq = dequantBf16(a.view(), 1, ElemFormat::E4M3, recipe);
  const std::vector<float> wq = dequantBf16(w.view(), 1, ElemFormat::E4M3, recipe);
  for (int64_t r = 0; r < 8; ++r)
    for (int64_t j = 0; j < 16; ++j) {
      double exact = 0, absSum = 0;
      for (int64_t kk = 0; kk < 128; ++kk) exact += double(aq[r * 128 + kk]) * wq[kk * 16 + j], absSum += std::fabs(aq[r * 128 + kk] * wq[kk * 16 + j]);
      expectNear(out.data<float>()[r * 16 + j], exact, absSum, 128, "out");
    }
}

}  // namespace
