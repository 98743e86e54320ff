#include "formats/BlockQuantize.h"

#include "formats/BFloat16.h"
#include "formats/Float8.h"
#include "formats/ScaleCode.h"

#include <algorithm>
#include <cmath>

namespace mxjit::formats {

uint8_t quantizeBlock(const float* x, int64_t stride, int64_t n, ElemFormat f, ScaleMode mode, uint8_t* q) {
  // Integer max over |x| patterns: exact, and NaN (above Inf) wins as torch's amax does.
  uint32_t amaxBits = 0;
  for (int64_t i = 0; i < n; ++i) amaxBits = std::max(amaxBits, floatBits(x[i * stride]) & 0x7FFFFFFFu);
  const uint8_t code = scaleCode(amaxBits, f, mode);
  const float multiplier = e8m0Reciprocal(code);
  // FLOOR and EVEN can push the block max past the format max; torchao clamps (NaN passes through).
  // CEIL never overflows and RCEIL's worst case rounds back to MAX, so the clamp is harmless there.
  const float maxNormal = elemTraits(f).maxNormal;
  for (int64_t i = 0; i < n; ++i) {
    float y = x[i * stride] * multiplier;
    if (mode != ScaleMode::RCeil && !std::isnan(y)) y = std::clamp(y, -maxNormal, maxNormal);
    q[i * stride] = encodeFp8(y, f);
  }
  return code;
}

float dequantizeValue(uint8_t q, uint8_t scaleCode, ElemFormat f, DequantRounding r) {
  const float v = decodeFp8(q, f) * e8m0Value(scaleCode);  // exact in fp32 (subnormals included)
  return r == DequantRounding::Bf16 ? roundToBf16(v) : v;
}

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
