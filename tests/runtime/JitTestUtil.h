// Shared fixtures for the JIT tests: random grouped-GEMM problems and exact comparison with the
// scalar reference.
#pragma once
#include "formats/BFloat16.h"
#include "support/HostTensor.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

namespace mxjit::test {

struct GemmProblem {
  HostTensor a, w, offs, gradOut;
  int64_t m, k, n, experts;
};

/// Wide-range bf16 data (exponents -6..6) so FLOOR saturation and the quantization axes matter.
inline HostTensor randomBf16(std::vector<int64_t> shape, std::mt19937& rng) {
  HostTensor t(DType::BF16, std::move(shape));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-6, 6);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<uint16_t>()[i] = formats::floatToBf16(std::ldexp(normal(rng), exponent(rng)));
  return t;
}

inline HostTensor offsTensor(const std::vector<int32_t>& groupSizes) {
  HostTensor t(DType::I32, {static_cast<int64_t>(groupSizes.size())});
  int32_t end = 0;
  for (size_t g = 0; g < groupSizes.size(); ++g) t.data<int32_t>()[g] = end += groupSizes[g];
  return t;
}

inline GemmProblem makeProblem(const std::vector<int32_t>& groupSizes, int64_t extraRows, int64_t k, int64_t n, bool enk,
                               unsigned seed) {
  std::mt19937 rng(seed);
  GemmProblem p;
  p.experts = static_cast<int64_t>(groupSizes.size());
  p.offs = offsTensor(groupSizes);
  p.m = (p.experts ? p.offs.data<int32_t>()[p.experts - 1] : 0) + extraRows;
  p.k = k, p.n = n;
  p.a = randomBf16({p.m, k}, rng);
  p.w = randomBf16(enk ? std::vector<int64_t>{p.experts, n, k} : std::vector<int64_t>{p.experts, k, n}, rng);
  p.gradOut = randomBf16({p.m, n}, rng);
  return p;
}

/// Number of differing bytes (the JIT must match the reference bit for bit: same summation order).
inline int64_t differingElements(const HostTensor& got, const HostTensor& want) {
  EXPECT_EQ(got.shape(), want.shape());
  const int64_t size = dtypeSize(got.dtype());
  int64_t bad = 0;
  for (int64_t i = 0; i < got.numel(); ++i) bad += std::memcmp(got.bytes() + i * size, want.bytes() + i * size, size) != 0;
  return bad;
}

}  // namespace mxjit::test
