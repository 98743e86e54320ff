#include "TensorFiles.h"

#include "mxjit/Error.h"
#include "npy/Npy.h"

#include <fmt/format.h>

namespace mxjit::cli {
namespace {

std::string_view npyDescr(DType t) {
  switch (t) {
  case DType::F32: return "'<f4' (f32)";
  case DType::BF16: return "'<u2' (bf16 bits)";
  case DType::I32: return "'<i4' (int32)";
  default: return "'|u1' (bytes)";
  }
}

}  // namespace

HostTensor readOperand(const std::string& flag, const std::string& path, std::initializer_list<DType> allowed) {
  HostTensor t = npy::readNpy(path);
  for (DType d : allowed)
    if (t.dtype() == d) return t;
  std::string want;
  for (DType d : allowed) want += (want.empty() ? "" : " or ") + std::string(npyDescr(d));
  throw Error(ErrorKind::DTypeMismatch,
              fmt::format("--{} {}: holds {} data; expected {}", flag, path, npyDescr(t.dtype()), want));
}

void writeOperand(const std::string& path, const TensorView& t) { npy::writeNpy(path, t); }

}  // namespace mxjit::cli
