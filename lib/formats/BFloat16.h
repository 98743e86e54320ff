// bfloat16 <-> fp32 on bit patterns. Round-to-nearest-even that keeps subnormals (the MX spec needs
// bf16 subnormals: code-0 scales dequantize into them), and bit casts shared by the numerics.
#pragma once
#include <bit>
#include <cstdint>

namespace mxjit::formats {

inline uint32_t floatBits(float x) { return std::bit_cast<uint32_t>(x); }
inline float floatFromBits(uint32_t u) { return std::bit_cast<float>(u); }

/// Exact widening: a bf16 value is the top half of an fp32 pattern.
inline float bf16ToFloat(uint16_t b) { return floatFromBits(static_cast<uint32_t>(b) << 16); }

/// RNE to bf16. Subnormals round on the same uniform grid as the pattern, so integer rounding of the
/// pattern is exact RNE for every finite input; overflow carries into the Inf pattern as it should.
inline uint16_t floatToBf16(float x) {
  uint32_t u = floatBits(x);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);  // quiet NaN
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

/// x rounded to the nearest bf16 value, kept in fp32.
inline float roundToBf16(float x) { return bf16ToFloat(floatToBf16(x)); }

}  // namespace mxjit::formats
