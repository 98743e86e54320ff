// What the arithmetic fp8 -> bf16 decode (runtime/helpers/Fp8Decode.h, decodeHighBytes) covers, in
// scalar terms, for code that decides ahead of time (the panel packer's cold records): scale codes whose
// every fp8 value lands on a normal bf16 (or zero), and codes that are normal values or zero.
#pragma once
#include "mxjit/Recipe.h"

#include <cstdint>

namespace mxjit::formats {

/// E5M2's smallest subnormal 2^-16 and largest 57344 < 2^16 stay normal bf16 at these scales; E4M3's
/// 2^-9 and 448 fit inside.
constexpr uint32_t kFastScaleMin = 17, kFastScaleMax = 239;
constexpr bool fastScale(uint8_t s) { return s >= kFastScaleMin && s <= kFastScaleMax; }

/// Not a subnormal, NaN or Inf code of `f`.
constexpr bool regularCode(uint8_t c, ElemFormat f) {
  const int mbits = f == ElemFormat::E4M3 ? 3 : 2, magnitude = c & 0x7F;
  return !(magnitude >= 1 && magnitude < (1 << mbits)) && magnitude < (f == ElemFormat::E4M3 ? 0x7F : 0x7C);
}

}  // namespace mxjit::formats
