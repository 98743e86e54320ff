#include "formats/Quantize.h"

#include "formats/BFloat16.h"
#include "formats/BlockQuantize.h"
#include "mxjit/Error.h"

#include <fmt/format.h>

#include <algorithm>

namespace mxjit::formats {

int normalizeAxis(int axis, int64_t rank, std::string_view what) {
  const int64_t resolved = axis < 0 ? axis + rank : axis;
  if (rank == 0 || resolved < 0 || resolved >= rank)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("axis {} is out of range for {} with {} dims", axis, what, rank));
  return static_cast<int>(resolved);
}

std::vector<float> widenToFloat(const TensorView& x, std::string_view what) {
  expectDType(x, what, {DType::F32, DType::BF16});
  std::vector<float> out(static_cast<size_t>(x.numel()));
  if (x.dtype == DType::F32) {
    std::copy_n(x.as<const float>(), out.size(), out.begin());
  } else {
    const uint16_t* bits = x.as<const uint16_t>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = bf16ToFloat(bits[i]);
  }
  return out;
}

MXTensor quantize(const TensorView& x, int axis, ElemFormat f, int block, ScaleMode mode) {
  validateRecipe(QuantRecipe{f, f, block, mode});
  MXTensor m;
  m.elem = f;
  m.block = block;
  m.axis = normalizeAxis(axis, x.rank(), "the quantize input");
  const int64_t length = x.shape[m.axis];
  if (length % block != 0)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("quantize input has shape {}: dim {} (size {}) is not a multiple of the block size {}",
                            shapeString(x.shape), m.axis, length, block));
  const std::vector<float> values = widenToFloat(x, "the quantize input");
  std::vector<int64_t> scaleShape = x.shape;
  scaleShape[m.axis] = length / block;
  m.qdata = HostTensor(f == ElemFormat::E4M3 ? DType::E4M3 : DType::E5M2, x.shape);
  m.scales = HostTensor(DType::E8M0, scaleShape);
  quantizeAlongAxis(values.data(), x.shape, m.axis, block, f, mode, m.qdata.bytes(), m.scales.bytes());
  return m;
}

HostTensor dequantize(const MXTensor& m, DType out) {
  if (out != DType::F32 && out != DType::BF16)
    throw Error(ErrorKind::Unsupported, fmt::format("dequantize to {} is not supported (f32 or bf16)", dtypeName(out)));
  const auto& shape = m.qdata.shape();
  std::vector<float> values(static_cast<size_t>(m.qdata.numel()));
  dequantizeAlongAxis(m.qdata.bytes(), m.scales.bytes(), shape, m.axis, m.block, m.elem,
                      out == DType::BF16 ? DequantRounding::Bf16 : DequantRounding::Fp32, values.data());
  HostTensor result(out, shape);
  if (out == DType::F32) std::copy(values.begin(), values.end(), result.data<float>());
  else
    for (size_t i = 0; i < values.size(); ++i) result.data<uint16_t>()[i] = floatToBf16(values[i]);
  return result;
}

}  // namespace mxjit::formats
