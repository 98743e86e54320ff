#include "mxjit/Recipe.h"

#include "mxjit/Error.h"

#include <fmt/format.h>

namespace mxjit {

std::string_view elemFormatName(ElemFormat f) { return f == ElemFormat::E4M3 ? "e4m3" : "e5m2"; }

std::string_view scaleModeName(ScaleMode m) {
  switch (m) {
  case ScaleMode::Floor: return "floor";
  case ScaleMode::RCeil: return "rceil";
  case ScaleMode::Ceil: return "ceil";
  case ScaleMode::Even: return "even";
  }
  return "?";
}

std::string_view weightLayoutName(WeightLayout l) { return l == WeightLayout::EKN ? "ekn" : "enk"; }

ElemFormat parseElemFormat(std::string_view s) {
  if (s == "e4m3") return ElemFormat::E4M3;
  if (s == "e5m2") return ElemFormat::E5M2;
  throw Error(ErrorKind::Parse, fmt::format("unknown element format '{}' (expected e4m3 or e5m2)", s));
}

ScaleMode parseScaleMode(std::string_view s) {
  for (ScaleMode m : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even})
    if (s == scaleModeName(m)) return m;
  throw Error(ErrorKind::Parse, fmt::format("unknown scale mode '{}' (expected floor, rceil, ceil or even)", s));
}

WeightLayout parseWeightLayout(std::string_view s) {
  if (s == "ekn") return WeightLayout::EKN;
  if (s == "enk") return WeightLayout::ENK;
  throw Error(ErrorKind::Parse, fmt::format("unknown weight layout '{}' (expected enk or ekn)", s));
}

void validateRecipe(const QuantRecipe& r) {
  // Powers of two keep every block inside one 128x4 scale tile row and one AMX K step.
  if (r.block < 2 || r.block > 1024 || (r.block & (r.block - 1)) != 0)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("block size {} is not supported: it must be a power of two in [2, 1024]", r.block));
}

}  // namespace mxjit
