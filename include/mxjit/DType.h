// Element types of the tensors mxjit reads and writes.
#pragma once
#include <cstdint>
#include <string_view>

namespace mxjit {

enum class DType : uint8_t {
  F32,   // IEEE binary32
  BF16,  // bfloat16, stored as its 16 bits
  E4M3,  // float8_e4m3fn bits
  E5M2,  // float8_e5m2 bits
  E8M0,  // float8_e8m0fnu scale code
  I32,   // int32 (offsets, packed scales)
  U8,    // raw bytes
};

/// Bytes per element.
constexpr int64_t dtypeSize(DType t) {
  switch (t) {
  case DType::F32: case DType::I32: return 4;
  case DType::BF16: return 2;
  case DType::E4M3: case DType::E5M2: case DType::E8M0: case DType::U8: return 1;
  }
  return 0;
}

/// Short lower-case name used in messages, IR text and CLI flags ("f32", "bf16", "e4m3", ...).
std::string_view dtypeName(DType t);

}  // namespace mxjit
