// HostTensor: an owning, zero-initialised, row-major buffer with a dtype and a shape.
#pragma once
#include "mxjit/Tensor.h"

#include <cstdint>
#include <vector>

namespace mxjit {

class HostTensor {
public:
  HostTensor() = default;
  HostTensor(DType dtype, std::vector<int64_t> shape);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t numel() const;
  int64_t nbytes() const { return static_cast<int64_t>(bytes_.size()); }

  template <class T> T* data() { return reinterpret_cast<T*>(bytes_.data()); }
  template <class T> const T* data() const { return reinterpret_cast<const T*>(bytes_.data()); }
  uint8_t* bytes() { return bytes_.data(); }
  const uint8_t* bytes() const { return bytes_.data(); }

  TensorView view();
  TensorView view() const;  // callers must not write through a view of a const tensor

private:
  DType dtype_ = DType::F32;
  std::vector<int64_t> shape_;
  std::vector<uint8_t> bytes_;
};

}  // namespace mxjit
