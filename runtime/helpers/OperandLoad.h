// Loading one contraction block of a GEMM operand into fp32 values exactly as the emulated MX path
// sees them: quantized and dequantized to bf16 (fused quantize), dequantized from fp8 codes, or read
// as is (high precision). Shared by every packing helper.
#pragma once
#include "KernelABI.h"
#include "formats/BlockCodec.h"

namespace mxjit::helpers {

using formats::DequantRounding;

__attribute__((always_inline)) inline float loadValue(const void* base, int64_t index, int32_t load) {
  if (load == abi::kQuantizeF32 || load == abi::kHighPrecisionF32) return static_cast<const float*>(base)[index];
  return formats::bf16ToFloat(static_cast<const uint16_t*>(base)[index]);
}

/// Fills v[0..n) with the operand's values at base[first + i*stride] for one block (n <= block),
/// transformed as `load` says. `scale` is the block's e8m0 code when load == kDequantize.
__attribute__((always_inline)) inline void loadBlock(const void* base, int64_t first, int64_t stride, int64_t n, int32_t load, ElemFormat elem,
                      ScaleMode mode, uint8_t scale, float* v) {
  if (load == abi::kDequantize) {
    const uint8_t* codes = static_cast<const uint8_t*>(base);
    for (int64_t i = 0; i < n; ++i)
      v[i] = formats::dequantizeValue(codes[first + i * stride], scale, elem, DequantRounding::Bf16);
    return;
  }
  for (int64_t i = 0; i < n; ++i) v[i] = loadValue(base, first + i * stride, load);
  if (load == abi::kHighPrecisionBf16 || load == abi::kHighPrecisionF32) return;
  const uint8_t code = formats::scaleCode(formats::blockAmaxBits(v, 1, n), elem, mode);
  for (int64_t i = 0; i < n; ++i)
    v[i] = formats::dequantizeValue(formats::quantizeElement(v[i], code, elem, mode), code, elem, DequantRounding::Bf16);
}

}  // namespace mxjit::helpers
