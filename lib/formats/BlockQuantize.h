// Block quantization on raw arrays: the scalar ground truth of MX numerics (mx-semantics.md §4-§5).
#pragma once
#include "mxjit/Recipe.h"

#include <cstdint>
#include <span>

namespace mxjit::formats {

/// Quantize n <= block elements x[i*stride] that share one scale into q[i*stride]; returns the code.
/// A block shorter than the recipe's is the same as one padded with zeros (zeros never change amax).
uint8_t quantizeBlock(const float* x, int64_t stride, int64_t n, ElemFormat f, ScaleMode mode, uint8_t* q);

/// How a dequantized product is rounded: bf16 (what the emulated grouped GEMM feeds its matmul,
/// §5.1) or fp32 (MXTensor.dequantize, §5.2; always exact).
enum class DequantRounding { Bf16, Fp32 };

/// q * S(c), rounded as asked; NaN for code 255 or a NaN element.
float dequantizeValue(uint8_t q, uint8_t scaleCode, ElemFormat f, DequantRounding r);

/// A row-major shape seen as (outer, length, inner) around one axis.
struct AxisSplit {
  int64_t outer = 1, length = 1, inner = 1;
};
AxisSplit splitAtAxis(std::span<const int64_t> shape, int axis);

/// Quantize along `axis` in blocks of `block` (which must divide the axis length; the caller checks).
/// q has x's shape; scales have x's shape with the axis length divided by block, row-major.
void quantizeAlongAxis(const float* x, std::span<const int64_t> shape, int axis, int block, ElemFormat f,
                       ScaleMode mode, uint8_t* q, uint8_t* scales);

/// The inverse: out[i] = dequantizeValue(q[i], its block's scale).
void dequantizeAlongAxis(const uint8_t* q, const uint8_t* scales, std::span<const int64_t> shape, int axis,
                         int block, ElemFormat f, DequantRounding r, float* out);

}  // namespace mxjit::formats
