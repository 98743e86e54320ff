// fp8 element formats E4M3 (float8_e4m3fn) and E5M2: constants, encode (torch's cast) and decode.
#pragma once
#include "mxjit/Recipe.h"

#include <cstdint>

namespace mxjit::formats {

struct ElemTraits {
  int mantissaBits;   // 3 for e4m3, 2 for e5m2
  float maxNormal;    // 448 or 57344
  int targetMaxPow2;  // torchao's emax: the largest power of two <= maxNormal (8 or 15)
  uint8_t nanCode;    // the one NaN pattern mxjit writes (0x7F for both formats)
};

const ElemTraits& elemTraits(ElemFormat f);

/// fp32 -> fp8 exactly as torch's `.to(float8_*)`: RNE, not saturating (e4m3 overflows to NaN,
/// e5m2 to Inf), signed zeros and underflow keep their sign. Every NaN comes out as 0x7F.
uint8_t encodeFp8(float x, ElemFormat f);

/// fp8 -> fp32, exact.
float decodeFp8(uint8_t code, ElemFormat f);

}  // namespace mxjit::formats
