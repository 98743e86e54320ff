#include "mxjit/Error.h"

#include <fmt/format.h>

namespace mxjit {

std::string_view errorKindName(ErrorKind k) {
  switch (k) {
  case ErrorKind::InvalidArgument: return "invalid argument";
  case ErrorKind::ShapeMismatch: return "shape mismatch";
  case ErrorKind::DTypeMismatch: return "dtype mismatch";
  case ErrorKind::Unsupported: return "unsupported";
  case ErrorKind::Io: return "i/o error";
  case ErrorKind::Parse: return "parse error";
  case ErrorKind::Internal: return "internal error";
  }
  return "error";
}

void internalError(const char* file, int line, std::string_view what) {
  throw Error(ErrorKind::Internal, fmt::format("internal error at {}:{}: {}", file, line, what));
}

}  // namespace mxjit
