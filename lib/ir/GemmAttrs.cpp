#include "ir/GemmAttrs.h"

#include <charconv>
#include <fmt/format.h>

namespace mxjit::ir {

namespace {

constexpr OperandLayout kLayouts[] = {OperandLayout::MK, OperandLayout::KM, OperandLayout::EKN, OperandLayout::ENK,
                                      OperandLayout::MN, OperandLayout::NM, OperandLayout::PNK};

}  // namespace

std::string_view gemmKindName(GemmKind k) { return k == GemmKind::G2d3d ? "2d3d" : "2d2d"; }

std::optional<GemmKind> parseGemmKind(std::string_view s) {
  if (s == "2d3d") return GemmKind::G2d3d;
  if (s == "2d2d") return GemmKind::G2d2d;
  return std::nullopt;
}

std::string_view operandLayoutName(OperandLayout l) {
  switch (l) {
  case OperandLayout::MK: return "mk";
  case OperandLayout::KM: return "km";
  case OperandLayout::EKN: return "ekn";
  case OperandLayout::ENK: return "enk";
  case OperandLayout::MN: return "mn";
  case OperandLayout::NM: return "nm";
  case OperandLayout::PNK: return "pnk";
  }
  return "?";
}

std::optional<OperandLayout> parseOperandLayout(std::string_view s) {
  for (OperandLayout l : kLayouts)
    if (s == operandLayoutName(l)) return l;
  return std::nullopt;
}

OperandLayout flipped(OperandLayout l) {
  switch (l) {
  case OperandLayout::MK: return OperandLayout::KM;
  case OperandLayout::KM: return OperandLayout::MK;
  case OperandLayout::EKN: return OperandLayout::ENK;
  case OperandLayout::ENK: return OperandLayout::EKN;
  case OperandLayout::MN: return OperandLayout::NM;
  case OperandLayout::NM: return OperandLayout::MN;
  case OperandLayout::PNK: return OperandLayout::PNK;
  }
  return l;
}

std::string fusedQuantText(const FusedQuant& q) {
  return fmt::format("{}.b{}.{}", elemFormatName(q.elem), q.block, scaleModeName(q.mode));
}

std::optional<FusedQuant> parseFusedQuant(std::string_view s) {
  const size_t dot1 = s.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : s.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return std::nullopt;
  const std::string_view elem = s.substr(0, dot1), block = s.substr(dot1 + 1, dot2 - dot1 - 1),
                         mode = s.substr(dot2 + 1);
  FusedQuant q;
  if (elem == "e4m3")
    q.elem = ElemFormat::E4M3;
  else if (elem == "e5m2")
    q.elem = ElemFormat::E5M2;
  else
    return std::nullopt;
  if (block.size() < 2 || block[0] != 'b') return std::nullopt;
  const auto [end, ec] = std::from_chars(block.data() + 1, block.data() + block.size(), q.block);
  if (ec != std::errc() || end != block.data() + block.size()) return std::nullopt;
  bool modeKnown = false;
  for (ScaleMode m : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even})
    if (mode == scaleModeName(m)) q.mode = m, modeKnown = true;
  if (!modeKnown) return std::nullopt;
  // Only the canonical spelling is accepted ("b032" or "b+32" would not print back the same).
  if (fusedQuantText(q) != s) return std::nullopt;
  return q;
}

std::string_view gemmRoleName(GemmRole r) {
  switch (r) {
  case GemmRole::Forward: return "fwd";
  case GemmRole::Dgrad: return "dgrad";
  case GemmRole::Wgrad: return "wgrad";
  }
  return "?";
}

std::optional<GemmRole> parseGemmRole(std::string_view s) {
  for (GemmRole r : {GemmRole::Forward, GemmRole::Dgrad, GemmRole::Wgrad})
    if (s == gemmRoleName(r)) return r;
  return std::nullopt;
}

std::optional<FusedQuant> recipeOperandQuant(const QuantRecipe& r, GemmRole role, int operand) {
  static_assert(int(GemmRole::Wgrad) == int(GemmPass::Wgrad) && int(GemmRole::Dgrad) == int(GemmPass::Dgrad));
  const auto elem = operandFormat(r, static_cast<GemmPass>(role), operand);
  if (!elem) return std::nullopt;
  return FusedQuant{*elem, r.block, r.mode};
}

}  // namespace mxjit::ir
