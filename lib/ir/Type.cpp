#include "ir/Type.h"

#include <fmt/format.h>

namespace mxjit::ir {

std::string_view scaleLayoutName(ScaleLayout l) {
  switch (l) {
  case ScaleLayout::Plain: return "plain";
  case ScaleLayout::Blocked128x4: return "blocked128x4";
  case ScaleLayout::PackedI32: return "packed_i32";
  }
  return "?";
}

std::optional<ScaleLayout> parseScaleLayout(std::string_view s) {
  for (ScaleLayout l : {ScaleLayout::Plain, ScaleLayout::Blocked128x4, ScaleLayout::PackedI32})
    if (s == scaleLayoutName(l)) return l;
  return std::nullopt;
}

std::string dimString(const Dim& d) { return d.isStatic() ? std::to_string(d.size) : d.symbol; }

std::string typeString(const TensorType& t) {
  std::string out;
  if (t.mx)
    out = fmt::format("mx<{},block={},axis={},scales={}>", elemFormatName(t.mx->elem), t.mx->block, t.mx->axis,
                      scaleLayoutName(t.mx->scales));
  else
    out = dtypeName(t.dtype);
  out += '[';
  for (size_t i = 0; i < t.dims.size(); ++i) {
    if (i > 0) out += ',';
    out += dimString(t.dims[i]);
  }
  out += ']';
  return out;
}

namespace {

bool isDimName(std::string_view s) {
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
  if (s.empty() || !alpha(s[0])) return false;
  for (char c : s)
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

DType dtypeOf(ElemFormat f) { return f == ElemFormat::E4M3 ? DType::E4M3 : DType::E5M2; }

}  // namespace

std::string typeError(const TensorType& t) {
  if (t.dims.empty()) return "a tensor has rank >= 1";
  for (const Dim& d : t.dims) {
    if (d.isStatic() && d.size < 0) return fmt::format("dim size {} is negative", d.size);
    if (!d.isStatic() && !isDimName(d.symbol)) return fmt::format("'{}' is not a dim name", d.symbol);
  }
  if (!t.mx) {
    if (t.dtype != DType::F32 && t.dtype != DType::BF16 && t.dtype != DType::I32)
      return fmt::format("dtype {} is not a plain tensor dtype (f32, bf16 or i32)", dtypeName(t.dtype));
    return "";
  }
  const MXEncoding& mx = *t.mx;
  if (t.dtype != dtypeOf(mx.elem))
    return fmt::format("dtype {} does not match the MX element format {}", dtypeName(t.dtype), elemFormatName(mx.elem));
  if (mx.block < 2 || mx.block > 1024 || (mx.block & (mx.block - 1)) != 0)
    return fmt::format("block {} is not a power of two in [2, 1024]", mx.block);
  if (mx.axis < 0 || mx.axis >= t.rank()) return fmt::format("axis {} is out of range for rank {}", mx.axis, t.rank());
  return "";
}

}  // namespace mxjit::ir
