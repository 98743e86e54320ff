// Ulp statistics between bf16 tensors, and the project's bar for a bf16 result against a golden one.
#pragma once
#include "support/HostTensor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

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

/// The bf16 tensor `got` against the golden `want`: same shape, at least 99.9% of elements within 1 ulp
/// and none more than 8 apart (the project bar, mx-semantics.md §6.7). Prints max ulp and the
/// bit-identical share, and records both as test properties "<name>_max_ulp" and "<name>_identical".
inline void expectCloseToGolden(const HostTensor& got, const HostTensor& want, const std::string& name) {
  ASSERT_EQ(got.shape(), want.shape()) << name;
  const UlpStats s = compareBf16(got.data<uint16_t>(), want.data<uint16_t>(), want.numel());
  std::cout << "  " << name << ": max ulp " << s.maxUlp << ", bit-identical " << 100.0 * s.fractionIdentical()
            << "% of " << s.count << "\n";
  ::testing::Test::RecordProperty(name + "_max_ulp", std::to_string(s.maxUlp));
  ::testing::Test::RecordProperty(name + "_identical", std::to_string(s.fractionIdentical()));
  EXPECT_GE(s.fractionWithin1(), 0.999) << name;
  EXPECT_LE(s.maxUlp, 8) << name;
}

}  // namespace mxjit::test
