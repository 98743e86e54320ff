// The shared e8m0 exponent of an MX block (mx-semantics.md §3 and §4.3).
#pragma once
#include "mxjit/Recipe.h"

#include <cstdint>

namespace mxjit::formats {

constexpr uint8_t kE8M0Nan = 255;

/// The scale code for a block whose amax has fp32 pattern `amaxBits` (sign bit clear; NaN patterns
/// compare above Inf, so an integer max of |x| bits is the exact amax). Non-finite amax gives 255.
uint8_t scaleCode(uint32_t amaxBits, ElemFormat f, ScaleMode mode);

/// S(c) = 2^(c-127) in fp32: code 0 is the subnormal 2^-127, code 255 is NaN.
float e8m0Value(uint8_t code);

/// R(c), the multiplier torchao quantizes with: the value of code (254 - c) mod 256, i.e. 2^(127-c)
/// (c = 0 gives 2^127, c = 255 gives NaN).
inline float e8m0Reciprocal(uint8_t code) { return e8m0Value(static_cast<uint8_t>(254 - code)); }

}  // namespace mxjit::formats
