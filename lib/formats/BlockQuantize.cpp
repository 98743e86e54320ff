#include "formats/BlockQuantize.h"


namespace mxjit::formats {

AxisSplit splitAtAxis(std::span<const int64_t> shape, int axis) {
  AxisSplit s;
  for (int d = 0; d < static_cast<int>(shape.size()); ++d) {
    if (d < axis) s.outer *= shape[d];
    else if (d == axis) s.length = shape[d];
    else s.inner *= shape[d];
  }
  return s;
}

void quantizeAlongAxis(const float* x, std::span<const int64_t> shape, int axis, int block, ElemFormat f,
                       ScaleMode mode, uint8_t* q, uint8_t* scales) {
  const AxisSplit s = splitAtAxis(shape, axis);
  const int64_t nblocks = s.length / block;
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t b = 0; b < nblocks; ++b)
      for (int64_t i = 0; i < s.inner; ++i) {
        const int64_t first = (o * s.length + b * block) * s.inner + i;
        scales[(o * nblocks + b) * s.inner + i] = quantizeBlock(x + first, s.inner, block, f, mode, q + first);
      }
}

void dequantizeAlongAxis(const uint8_t* q, const uint8_t* scales, std::span<const int64_t> shape, int axis,
                         int block, ElemFormat f, DequantRounding r, float* out) {
  const AxisSplit s = splitAtAxis(shape, axis);
  const int64_t nblocks = s.length / block;
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t a = 0; a < s.length; ++a)
      for (int64_t i = 0; i < s.inner; ++i) {
        const int64_t at = (o * s.length + a) * s.inner + i;
        out[at] = dequantizeValue(q[at], scales[(o * nblocks + a / block) * s.inner + i], f, r);
      }
}

}  // namespace mxjit::formats
