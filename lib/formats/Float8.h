// fp8 element formats E4M3 (float8_e4m3fn) and E5M2: constants, encode (torch's cast) and decode.
// Header-only and branch-light: the scalar library and the JIT's kernel helpers (compiled to bitcode)
// share this one definition, and the compiler can turn its selects into vector code.
#pragma once
#include "formats/BFloat16.h"
#include "mxjit/Recipe.h"

#include <cstdint>

namespace mxjit::formats {

struct ElemTraits {
  int mantissaBits;   // 3 for e4m3, 2 for e5m2
  int exponentBias;   // 7 or 15
  float maxNormal;    // 448 or 57344
  int targetMaxPow2;  // torchao's emax: the largest power of two <= maxNormal (8 or 15)
};

constexpr uint8_t kFp8Nan = 0x7F;  // the one NaN pattern mxjit writes, in both formats

constexpr ElemTraits elemTraits(ElemFormat f) {
  return f == ElemFormat::E4M3 ? ElemTraits{3, 7, 448.0f, 8} : ElemTraits{2, 15, 57344.0f, 15};
}

namespace detail {

// Subnormal fp8 values are multiples of the smallest step; adding `magic` (whose fp32 ulp equals that
// step) lets the FPU's RNE do the rounding, and the pattern difference is the step count.
inline uint32_t roundSubnormal(uint32_t magnitudeBits, float magic) {
  return floatBits(floatFromBits(magnitudeBits) + magic) - floatBits(magic);
}

// RNE of a normal fp32 magnitude to `mbits` mantissa bits, rebiased to the fp8 exponent bias.
inline uint32_t roundNormal(uint32_t a, int mbits, int bias) {
  const int drop = 23 - mbits;
  a += ((1u << (drop - 1)) - 1) + ((a >> drop) & 1u);
  return (a >> drop) - (static_cast<uint32_t>(127 - bias) << mbits);
}

inline bool isNanCode(uint8_t code, ElemFormat f) {
  const uint8_t m = code & 0x7F;
  return f == ElemFormat::E4M3 ? m == 0x7F : m > 0x7C;
}

}  // namespace detail

/// fp32 -> fp8 exactly as torch's `.to(float8_*)`: RNE, not saturating (e4m3 overflows to NaN,
/// e5m2 to Inf), signed zeros and underflow keep their sign. Every NaN comes out as 0x7F.
inline uint8_t encodeFp8(float x, ElemFormat f) {
  const uint32_t u = floatBits(x), a = u & 0x7FFFFFFFu, sign = (u >> 24) & 0x80u;
  uint32_t code;
  if (f == ElemFormat::E4M3) {
    // >= 480, Inf or NaN: NaN (e4m3fn has no Inf); (464, 480) rounds up onto the NaN pattern.
    code = a >= 0x43F00000u ? 0x7Fu
           : a < 0x3C800000u ? detail::roundSubnormal(a, 16384.0f)  // < 2^-6
                             : detail::roundNormal(a, 3, 7);
  } else {
    code = a > 0x7F800000u   ? 0x7Fu
           : a >= 0x47800000u ? 0x7Cu                                // >= 65536 or Inf
           : a < 0x38800000u  ? detail::roundSubnormal(a, 128.0f)    // < 2^-14
                              : detail::roundNormal(a, 2, 15);       // 61440 ties to Inf (0x7C)
  }
  return detail::isNanCode(static_cast<uint8_t>(code), f) ? kFp8Nan : static_cast<uint8_t>(code | sign);
}

/// fp8 -> fp32, exact, built on the bit pattern (no libm).
inline float decodeFp8(uint8_t code, ElemFormat f) {
  const ElemTraits t = elemTraits(f);
  const uint32_t sign = static_cast<uint32_t>(code & 0x80) << 24;
  const uint32_t exponent = (code & 0x7F) >> t.mantissaBits, mantissa = code & ((1u << t.mantissaBits) - 1);
  // Subnormal: mantissa * 2^(1 - bias - mbits), exact in fp32.
  const float subnormal = static_cast<float>(mantissa) * floatFromBits((127u + 1 - t.exponentBias - t.mantissaBits) << 23);
  const uint32_t normal = ((exponent + 127 - t.exponentBias) << 23) | (mantissa << (23 - t.mantissaBits));
  uint32_t bits = exponent == 0 ? floatBits(subnormal) : normal;
  if (f == ElemFormat::E5M2 && exponent == 31) bits = mantissa == 0 ? 0x7F800000u : 0x7FC00000u;
  if (f == ElemFormat::E4M3 && (code & 0x7F) == 0x7F) bits = 0x7FC00000u;
  return floatFromBits(bits | sign);
}

}  // namespace mxjit::formats
