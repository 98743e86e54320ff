// The shared e8m0 exponent of an MX block (mx-semantics.md §3 and §4.3). Header-only, shared with the
// JIT's kernel helpers.
#pragma once
#include "formats/Float8.h"

#include <cstdint>

namespace mxjit::formats {

constexpr uint8_t kE8M0Nan = 255;

namespace detail {

constexpr uint32_t kExpMask = 0x7F800000u;

inline uint8_t clampedCode(int unbiased) {
  return static_cast<uint8_t>((unbiased < -127 ? -127 : unbiased > 128 ? 128 : unbiased) + 127);
}

// RCEIL: the smallest e8m0 code whose value is >= d = fl32(amax * fl32(1/MAX)). The fp32 multiply
// (with subnormals) is deliberate: it differs from exact division at one amax per format.
inline uint8_t rceilCode(uint32_t amaxBits, ElemFormat f) {
  const float reciprocalMax = 1.0f / elemTraits(f).maxNormal;
  const uint32_t d = floatBits(floatFromBits(amaxBits) * reciprocalMax);
  const uint32_t e = (d >> 23) & 0xFF, m = d & 0x7FFFFF;
  if (e == 0xFF) return kE8M0Nan;
  if (e == 0) return m > 0x400000u ? 1 : 0;  // code 0 is 2^-127, the fp32 subnormal 0x00400000
  return static_cast<uint8_t>(e + (m != 0));
}

}  // namespace detail

/// The scale code for a block whose amax has fp32 pattern `amaxBits` (sign bit clear; NaN patterns
/// compare above Inf, so an integer max of |x| bits is the exact amax). Non-finite amax gives 255.
inline uint8_t scaleCode(uint32_t amaxBits, ElemFormat f, ScaleMode mode) {
  if ((amaxBits & detail::kExpMask) == detail::kExpMask) return kE8M0Nan;  // Inf or NaN in the block
  const ElemTraits t = elemTraits(f);
  const int exponent = static_cast<int>((amaxBits >> 23) & 0xFF);
  switch (mode) {
  case ScaleMode::Floor: return detail::clampedCode(exponent - 127 - t.targetMaxPow2);
  case ScaleMode::Ceil: return detail::clampedCode(exponent - 127 + ((amaxBits & 0x7FFFFF) != 0) - t.targetMaxPow2);
  case ScaleMode::Even: {
    // Round amax to the element's mantissa width first; a carry into exponent 255 makes a NaN block.
    const uint32_t rounded = (amaxBits + (1u << (22 - t.mantissaBits))) & 0xFF800000u;
    if ((rounded & detail::kExpMask) == detail::kExpMask) return kE8M0Nan;
    return detail::clampedCode(static_cast<int>(rounded >> 23) - 127 - t.targetMaxPow2);
  }
  case ScaleMode::RCeil: return detail::rceilCode(amaxBits, f);
  }
  return kE8M0Nan;
}

/// S(c) = 2^(c-127) in fp32: code 0 is the subnormal 2^-127, code 255 is NaN.
inline float e8m0Value(uint8_t code) {
  const uint32_t bits = code == kE8M0Nan ? 0x7FC00000u : code == 0 ? 0x00400000u : static_cast<uint32_t>(code) << 23;
  return floatFromBits(bits);
}

/// R(c), the multiplier torchao quantizes with: the value of code (254 - c) mod 256, i.e. 2^(127-c)
/// (c = 0 gives 2^127, c = 255 gives NaN).
inline float e8m0Reciprocal(uint8_t code) { return e8m0Value(static_cast<uint8_t>(254 - code)); }

}  // namespace mxjit::formats
