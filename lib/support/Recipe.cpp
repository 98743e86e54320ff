#include "mxjit/Recipe.h"

#include "mxjit/Error.h"

#include <fmt/format.h>

#include <string>

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

namespace {

struct Preset {
  std::string_view name;
  QuantRecipe recipe;
};

const std::vector<Preset>& presets() {
  static const std::vector<Preset> table = [] {
    QuantRecipe base;
    QuantRecipe floor = base, e5m2 = base, hp = base, b128 = base, bf16 = base;
    floor.mode = ScaleMode::Floor;
    e5m2.gradElem = ElemFormat::E5M2;
    hp.wgradHighPrecision = true;
    b128.block = 128;
    bf16.quantized = false;
    return std::vector<Preset>{{"mxfp8_e4m3", base},          {"mxfp8_e4m3_floor", floor},
                               {"mxfp8_e4m3_e5m2grad", e5m2}, {"mxfp8_e4m3_wgrad_hp", hp},
                               {"mxfp8_e4m3_b128", b128},     {"bf16", bf16}};
  }();
  return table;
}

}  // namespace

std::optional<ElemFormat> operandFormat(const QuantRecipe& r, GemmPass pass, int operand) {
  if (!r.quantized || (pass == GemmPass::Wgrad && r.wgradHighPrecision)) return std::nullopt;
  const bool gradOut = (pass == GemmPass::Dgrad && operand == 0) || (pass == GemmPass::Wgrad && operand == 1);
  return gradOut ? r.gradElem : r.fwdElem;
}

const std::vector<std::string_view>& recipePresetNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const Preset& p : presets()) out.push_back(p.name);
    return out;
  }();
  return names;
}

QuantRecipe recipePreset(std::string_view name) {
  for (const Preset& p : presets())
    if (p.name == name) return p.recipe;
  std::string known;
  for (std::string_view n : recipePresetNames()) known += (known.empty() ? "" : ", ") + std::string(n);
  throw Error(ErrorKind::Parse, fmt::format("unknown recipe '{}' (expected one of {})", name, known));
}

std::string_view recipePresetName(const QuantRecipe& r) {
  for (const Preset& p : presets())
    if (p.recipe == r) return p.name;
  return "";
}

void validateRecipe(const QuantRecipe& r) {
  // Powers of two keep every block inside one 128x4 scale tile row and one AMX K step.
  if (r.block < 2 || r.block > 1024 || (r.block & (r.block - 1)) != 0)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("block size {} is not supported: it must be a power of two in [2, 1024]", r.block));
}

}  // namespace mxjit
