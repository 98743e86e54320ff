#include "mxjit/DType.h"

namespace mxjit {

std::string_view dtypeName(DType t) {
  switch (t) {
  case DType::F32: return "f32";
  case DType::BF16: return "bf16";
  case DType::E4M3: return "e4m3";
  case DType::E5M2: return "e5m2";
  case DType::E8M0: return "e8m0";
  case DType::I32: return "i32";
  case DType::U8: return "u8";
  }
  return "?";
}

}  // namespace mxjit
