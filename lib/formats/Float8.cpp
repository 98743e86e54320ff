#include "formats/Float8.h"

#include "formats/BFloat16.h"

#include <array>
#include <cmath>
#include <limits>

namespace mxjit::formats {
namespace {

constexpr ElemTraits kE4M3{3, 448.0f, 8, 0x7F};
constexpr ElemTraits kE5M2{2, 57344.0f, 15, 0x7F};

// Subnormal fp8 values are multiples of the smallest step; adding `magic` (whose fp32 ulp equals that
// step) lets the FPU's RNE do the rounding, and the pattern difference is the step count.
uint32_t roundSubnormal(float magnitude, float magic) {
  return floatBits(magnitude + magic) - floatBits(magic);
}

// RNE of a normal fp32 magnitude to `mbits` mantissa bits, rebiased to the fp8 exponent bias.
uint32_t roundNormal(uint32_t a, int mbits, int bias) {
  const int drop = 23 - mbits;
  a += ((1u << (drop - 1)) - 1) + ((a >> drop) & 1u);
  return (a >> drop) - (static_cast<uint32_t>(127 - bias) << mbits);
}

uint8_t encodeE4M3(uint32_t a) {
  if (a >= 0x43F00000u) return 0x7F;  // >= 480, Inf or NaN: NaN (e4m3fn has no Inf)
  if (a < 0x3C800000u) return static_cast<uint8_t>(roundSubnormal(floatFromBits(a), 16384.0f));  // < 2^-6
  return static_cast<uint8_t>(roundNormal(a, 3, 7));  // (464, 480) rounds up to 0x7F, which is NaN
}

uint8_t encodeE5M2(uint32_t a) {
  if (a > 0x7F800000u) return 0x7F;
  if (a >= 0x47800000u) return 0x7C;  // >= 65536 or Inf
  if (a < 0x38800000u) return static_cast<uint8_t>(roundSubnormal(floatFromBits(a), 128.0f));  // < 2^-14
  return static_cast<uint8_t>(roundNormal(a, 2, 15));  // 61440 is a tie that rounds to Inf (0x7C)
}

bool isNanCode(uint8_t code, ElemFormat f) {
  const uint8_t m = code & 0x7F;
  return f == ElemFormat::E4M3 ? m == 0x7F : m > 0x7C;
}

}  // namespace

const ElemTraits& elemTraits(ElemFormat f) { return f == ElemFormat::E4M3 ? kE4M3 : kE5M2; }

uint8_t encodeFp8(float x, ElemFormat f) {
  const uint32_t u = floatBits(x);
  const uint32_t sign = (u >> 24) & 0x80u;
  const uint8_t code = f == ElemFormat::E4M3 ? encodeE4M3(u & 0x7FFFFFFFu) : encodeE5M2(u & 0x7FFFFFFFu);
  return isNanCode(code, f) ? elemTraits(f).nanCode : static_cast<uint8_t>(code | sign);
}

float decodeFp8(uint8_t code, ElemFormat f) {
  if (isNanCode(code, f)) return std::numeric_limits<float>::quiet_NaN();
  const int mbits = elemTraits(f).mantissaBits, bias = f == ElemFormat::E4M3 ? 7 : 15;
  const int exponent = (code & 0x7F) >> mbits, mantissa = code & ((1 << mbits) - 1);
  float magnitude;
  if (f == ElemFormat::E5M2 && exponent == 31) magnitude = std::numeric_limits<float>::infinity();
  else if (exponent == 0) magnitude = std::ldexp(static_cast<float>(mantissa), 1 - bias - mbits);
  else magnitude = std::ldexp(static_cast<float>(mantissa + (1 << mbits)), exponent - bias - mbits);
  return (code & 0x80) ? -magnitude : magnitude;
}

}  // namespace mxjit::formats
