#include "mxjit/Tensor.h"

#include "mxjit/Error.h"

#include <fmt/format.h>

#include <cstdint>
#include <fmt/ranges.h>

namespace mxjit {

int64_t TensorView::numel() const {
  // A zero dim makes the product 0 even if the dims before it would overflow int64 (found by fuzz_npy).
  for (int64_t d : shape)
    if (d == 0) return 0;
  int64_t n = 1;
  for (int64_t d : shape) n = __builtin_mul_overflow(n, d, &n) ? INT64_MAX : n;
  return n;
}

std::string shapeString(std::span<const int64_t> shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

void expectDType(const TensorView& t, std::string_view what, std::initializer_list<DType> allowed) {
  for (DType d : allowed)
    if (t.dtype == d) return;
  std::string names;
  for (DType d : allowed) names += (names.empty() ? "" : " or ") + std::string(dtypeName(d));
  throw Error(ErrorKind::DTypeMismatch, fmt::format("{} has dtype {}; expected {}", what, dtypeName(t.dtype), names));
}

void expectRank(const TensorView& t, std::string_view what, int64_t rank) {
  if (t.rank() != rank)
    throw Error(ErrorKind::ShapeMismatch,
                fmt::format("{} has shape {} ({} dims); expected {} dims", what, shapeString(t.shape), t.rank(), rank));
}

void expectData(const TensorView& t, std::string_view what) {
  if (t.numel() == 0) return;
  if (!t.data) throw Error(ErrorKind::InvalidArgument, fmt::format("{} has a null data pointer", what));
  const auto address = reinterpret_cast<uintptr_t>(t.data);
  if (address % static_cast<uintptr_t>(dtypeSize(t.dtype)) != 0)
    throw Error(ErrorKind::InvalidArgument, fmt::format("{} data pointer {} is not aligned to {} bytes ({} elements)", what,
                                                        t.data, dtypeSize(t.dtype), dtypeName(t.dtype)));
}

}  // namespace mxjit
