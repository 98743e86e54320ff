#include "formats/ScaleCode.h"

#include "formats/BFloat16.h"
#include "formats/Float8.h"

#include <algorithm>
#include <limits>

namespace mxjit::formats {
namespace {

constexpr uint32_t kExpMask = 0x7F800000u;

int biasedExponent(uint32_t u) { return static_cast<int>((u >> 23) & 0xFF); }

uint8_t clampedCode(int unbiased) { return static_cast<uint8_t>(std::clamp(unbiased, -127, 128) + 127); }

// RCEIL: the smallest e8m0 code whose value is >= d = fl32(amax * fl32(1/MAX)). The fp32 multiply
// (with subnormals) is deliberate: it differs from exact division at one amax per format.
uint8_t rceilCode(uint32_t amaxBits, ElemFormat f) {
  const float reciprocalMax = 1.0f / elemTraits(f).maxNormal;
  const uint32_t d = floatBits(floatFromBits(amaxBits) * reciprocalMax);
  if ((d & kExpMask) == kExpMask) return kE8M0Nan;
  const uint32_t e = (d >> 23) & 0xFF, m = d & 0x7FFFFF;
  if (e == 0) return m > 0x400000u ? 1 : 0;  // code 0 is 2^-127, the fp32 subnormal 0x00400000
  return static_cast<uint8_t>(e + (m != 0));
}

}  // namespace

uint8_t scaleCode(uint32_t amaxBits, ElemFormat f, ScaleMode mode) {
  if ((amaxBits & kExpMask) == kExpMask) return kE8M0Nan;  // Inf or NaN in the block
  const ElemTraits& t = elemTraits(f);
  switch (mode) {
  case ScaleMode::Floor: return clampedCode(biasedExponent(amaxBits) - 127 - t.targetMaxPow2);
  case ScaleMode::Ceil:
    return clampedCode(biasedExponent(amaxBits) - 127 + ((amaxBits & 0x7FFFFF) != 0) - t.targetMaxPow2);
  case ScaleMode::Even: {
    // Round amax to the element's mantissa width first; a carry into exponent 255 makes a NaN block.
    const uint32_t rounded = (amaxBits + (1u << (22 - t.mantissaBits))) & 0xFF800000u;
    if ((rounded & kExpMask) == kExpMask) return kE8M0Nan;
    return clampedCode(biasedExponent(rounded) - 127 - t.targetMaxPow2);
  }
  case ScaleMode::RCeil: return rceilCode(amaxBits, f);
  }
  return kE8M0Nan;
}

float e8m0Value(uint8_t code) {
  if (code == kE8M0Nan) return std::numeric_limits<float>::quiet_NaN();
  if (code == 0) return floatFromBits(0x00400000u);
  return floatFromBits(static_cast<uint32_t>(code) << 23);
}

}  // namespace mxjit::formats
