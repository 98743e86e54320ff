// Random e8m0 scale codes for the scale layout tests.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

namespace mxjit::test {

/// n codes in [1, 255], so a zero in a relaid-out or packed result can only be padding.
inline std::vector<uint8_t> randomCodes(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(1, 255);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(dist(rng));
  return v;
}

}  // namespace mxjit::test
