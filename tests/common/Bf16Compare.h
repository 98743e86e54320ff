// Ulp statistics between bf16 tensors, for reporting how close a result is to the golden one.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>

namespace mxjit::test {

/// Distance between two bf16 patterns along the ordered number line (+0 and -0 are 1 apart).
inline int64_t bf16UlpDistance(uint16_t a, uint16_t b) {
  auto key = [](uint16_t u) -> int64_t { return (u & 0x8000) ? 0x8000 - (u & 0x7FFF) : 0x8000 + int64_t(u); };
  return std::llabs(key(a) - key(b));
}

struct UlpStats {
  int64_t count = 0, identical = 0, within1 = 0, maxUlp = 0;
  double fractionIdentical() const { return count ? double(identical) / count : 1.0; }
  double fractionWithin1() const { return count ? double(within1) / count : 1.0; }
};

inline UlpStats compareBf16(const uint16_t* got, const uint16_t* want, int64_t n) {
  UlpStats s;
  s.count = n;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t d = bf16UlpDistance(got[i], want[i]);
    s.identical += d == 0;
    s.within1 += d <= 1;
    s.maxUlp = std::max(s.maxUlp, d);
  }
  return s;
}

}  // namespace mxjit::test
