// TensorView: a pointer, an element type and a row-major shape. It owns nothing.
#pragma once
#include "mxjit/DType.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mxjit {

struct TensorView {
  void* data = nullptr;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;  // row-major, contiguous

  int64_t rank() const { return static_cast<int64_t>(shape.size()); }
  int64_t numel() const;
  int64_t dim(int64_t i) const { return shape.at(i < 0 ? i + rank() : i); }
  int64_t nbytes() const { return numel() * dtypeSize(dtype); }
  template <class T> T* as() const { return static_cast<T*>(data); }
};

/// "[48, 128]": shapes in messages.
std::string shapeString(std::span<const int64_t> shape);

/// Throws DTypeMismatch / ShapeMismatch naming `what` unless `t` has the expected dtype and rank.
void expectDType(const TensorView& t, std::string_view what, std::initializer_list<DType> allowed);
void expectRank(const TensorView& t, std::string_view what, int64_t rank);

}  // namespace mxjit
