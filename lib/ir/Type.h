// IR types: tensors with a dtype and dims (static sizes or named dynamic dims such as M); MX values
// also carry their element format, block, quantized axis and scale layout.
#pragma once
#include "mxjit/DType.h"
#include "mxjit/Recipe.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mxjit::ir {

struct Dim {
  int64_t size = 0;    // meaningful when static
  std::string symbol;  // non-empty: a dynamic dim named in the text ("M")
  bool isStatic() const { return symbol.empty(); }
  bool operator==(const Dim&) const = default;
  static Dim fixed(int64_t n) { return {n, ""}; }
  static Dim named(std::string s) { return {0, std::move(s)}; }
};

enum class ScaleLayout : uint8_t { Plain, Blocked128x4, PackedI32 };

/// What makes a value an MX tensor: fp8 codes of `elem` plus one e8m0 scale per `block` elements
/// along `axis` (non-negative), stored in `scales` layout.
struct MXEncoding {
  ElemFormat elem = ElemFormat::E4M3;
  int32_t block = 32;
  int32_t axis = 0;
  ScaleLayout scales = ScaleLayout::Plain;
  bool operator==(const MXEncoding&) const = default;
};

/// Text: `bf16[M,2048]`, `i32[8]`, `mx<e4m3,block=32,axis=1,scales=plain>[M,2048]`.
struct TensorType {
  DType dtype = DType::F32;  // F32, BF16 or I32 for plain values; E4M3/E5M2 for MX values (= mx->elem)
  std::vector<Dim> dims;
  std::optional<MXEncoding> mx;
  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  bool operator==(const TensorType&) const = default;
};

std::string_view scaleLayoutName(ScaleLayout l);           // "plain", "blocked128x4", "packed_i32"
std::optional<ScaleLayout> parseScaleLayout(std::string_view s);
std::string dimString(const Dim& d);                       // "M" or "2048"
std::string typeString(const TensorType& t);               // the text form above
/// "" when `t` is well formed (plain f32/bf16/i32 or a valid MX encoding, rank >= 1, sizes >= 0, dim
/// names [A-Za-z_][A-Za-z0-9_]*), else the rule it breaks.
std::string typeError(const TensorType& t);

}  // namespace mxjit::ir
