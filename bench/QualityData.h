// The MoE-like test data of the quality report and the quality gate test: one definition for both.
#pragma once
#include "formats/BFloat16.h"
#include "support/HostTensor.h"

#include <random>
#include <vector>

namespace mxjit::quality {

// bf16 bits of normal(0, stddev); with probability outlierRate an element is scaled by U(50, 100).
inline HostTensor normalBf16(std::vector<int64_t> shape, float stddev, double outlierRate, std::mt19937& rng) {
  HostTensor t(DType::BF16, std::move(shape));
  std::normal_distribution<float> normal(0.0f, stddev);
  std::bernoulli_distribution outlier(outlierRate);
  std::uniform_real_distribution<float> boost(50.0f, 100.0f);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const float x = normal(rng);
    t.data<uint16_t>()[i] = formats::floatToBf16(outlierRate > 0 && outlier(rng) ? x * boost(rng) : x);
  }
  return t;
}

inline std::vector<float> floats(const HostTensor& t) {
  if (t.dtype() == DType::F32) return {t.data<float>(), t.data<float>() + t.numel()};
  std::vector<float> v(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = formats::bf16ToFloat(t.data<uint16_t>()[i]);
  return v;
}

}  // namespace mxjit::quality
