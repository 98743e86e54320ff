// Block quantization of whole arrays along an axis: the scalar ground truth of MX numerics
// (mx-semantics.md §4-§5), built on the per-block codec.
#pragma once
#include "formats/BlockCodec.h"
#include "mxjit/Recipe.h"

#include <cstdint>
#include <span>

namespace mxjit::formats {

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
