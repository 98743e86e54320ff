// One MX block: quantize (amax -> scale code -> scaled, clamped, RNE fp8) and dequantize one element.
// Header-only: the scalar library and the JIT's kernel helpers share this definition.
#pragma once
#include "formats/BFloat16.h"
#include "formats/Float8.h"
#include "formats/ScaleCode.h"

#include <cstdint>

namespace mxjit::formats {

/// Integer max over |x| patterns: exact, and NaN (above Inf) wins as torch's amax does.
inline uint32_t blockAmaxBits(const float* x, int64_t stride, int64_t n) {
  uint32_t amax = 0;
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t a = floatBits(x[i * stride]) & 0x7FFFFFFFu;
    amax = a > amax ? a : amax;
  }
  return amax;
}

/// The fp8 code of x in a block with scale `code` (mx-semantics.md §4.4-4.5). FLOOR and EVEN can push
/// the block max past the format max; torchao clamps for every mode but RCEIL (NaN passes through).
/// CEIL never overflows and RCEIL's worst case rounds back to MAX.
inline uint8_t quantizeElement(float x, uint8_t code, ElemFormat f, ScaleMode mode) {
  float y = x * e8m0Reciprocal(code);
  const float maxNormal = elemTraits(f).maxNormal;
  if (mode != ScaleMode::RCeil) y = y > maxNormal ? maxNormal : y < -maxNormal ? -maxNormal : y;
  return encodeFp8(y, f);
}

/// Quantize n <= block elements x[i*stride] that share one scale into q[i*stride]; returns the code.
/// A block shorter than the recipe's is the same as one padded with zeros (zeros never change amax).
inline uint8_t quantizeBlock(const float* x, int64_t stride, int64_t n, ElemFormat f, ScaleMode mode, uint8_t* q) {
  const uint8_t code = scaleCode(blockAmaxBits(x, stride, n), f, mode);
  for (int64_t i = 0; i < n; ++i) q[i * stride] = quantizeElement(x[i * stride], code, f, mode);
  return code;
}

/// How a dequantized product is rounded: bf16 (what the emulated grouped GEMM feeds its matmul,
/// §5.1) or fp32 (MXTensor.dequantize, §5.2; always exact).
enum class DequantRounding { Bf16, Fp32 };

/// q * S(c), rounded as asked; NaN for code 255 or a NaN element.
inline float dequantizeValue(uint8_t q, uint8_t scaleCode, ElemFormat f, DequantRounding r) {
  // Exact in fp32 (subnormals included). A NaN element stays itself (sign kept) under a NaN scale too,
  // spelled out so no compiler's operand order decides which NaN a multiply returns.
  const float d = decodeFp8(q, f);
  const float v = d != d ? d : d * e8m0Value(scaleCode);
  return r == DequantRounding::Bf16 ? roundToBf16(v) : v;
}

}  // namespace mxjit::formats
