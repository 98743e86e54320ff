#include "support/HostTensor.h"

#include "mxjit/Error.h"

#include <fmt/format.h>

#include <cstdint>

namespace mxjit {

HostTensor::HostTensor(DType dtype, std::vector<int64_t> shape) : dtype_(dtype), shape_(std::move(shape)) {
  for (int64_t d : shape_)
    if (d < 0) throw Error(ErrorKind::ShapeMismatch, fmt::format("negative dimension in shape {}", shapeString(shape_)));
  bytes_.assign(static_cast<size_t>(numel() * dtypeSize(dtype_)), 0);
}

int64_t HostTensor::numel() const {
  // A zero dim makes the product 0 even if the dims before it would overflow int64 (found by fuzz_npy).
  for (int64_t d : shape_)
    if (d == 0) return 0;
  int64_t n = 1;
  for (int64_t d : shape_) n = __builtin_mul_overflow(n, d, &n) ? INT64_MAX : n;
  return n;
}

TensorView HostTensor::view() { return TensorView{bytes_.data(), dtype_, shape_}; }
TensorView HostTensor::view() const { return TensorView{const_cast<uint8_t*>(bytes_.data()), dtype_, shape_}; }

}  // namespace mxjit
