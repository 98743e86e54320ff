#include "ir/OpSchema.h"

#include <array>
#include <string>

namespace mxjit::ir {

namespace {

constexpr AttrSpec kQuantize[] = {{"axis", AttrKind::Int, true},
                                  {"elem", AttrKind::Word, true},
                                  {"block", AttrKind::Int, true},
                                  {"mode", AttrKind::Word, true}};
constexpr AttrSpec kDequantize[] = {{"out", AttrKind::Word, true}};
constexpr AttrSpec kTranspose[] = {{"perm", AttrKind::List, true}};
constexpr AttrSpec kSwizzle[] = {{"scales", AttrKind::Word, true}};
// recipe/role are expanded away by expand-recipe; qa/qb appear only after fuse-quantize or expand-recipe.
constexpr AttrSpec kGroupedMM[] = {{"kind", AttrKind::Word, true},    {"out", AttrKind::Word, true},
                                   {"a", AttrKind::Word, true},       {"b", AttrKind::Word, true},
                                   {"recipe", AttrKind::Word, false}, {"role", AttrKind::Word, false},
                                   {"qa", AttrKind::Word, false},     {"qb", AttrKind::Word, false}};

constexpr std::array kOperandCounts = {
#define MXJIT_OP(Enum, Name, Operands, HasResult) Operands,
#include "ir/OpKinds.def"
#undef MXJIT_OP
};

}  // namespace

std::span<const AttrSpec> attrSpecs(OpKind k) {
  switch (k) {
  case OpKind::Quantize: return kQuantize;
  case OpKind::Dequantize: return kDequantize;
  case OpKind::Transpose: return kTranspose;
  case OpKind::SwizzleScales: return kSwizzle;
  case OpKind::GroupedMM: return kGroupedMM;
  case OpKind::Return: return {};
  }
  return {};
}

const AttrSpec* findAttrSpec(OpKind k, std::string_view key) {
  for (const AttrSpec& s : attrSpecs(k))
    if (s.key == key) return &s;
  return nullptr;
}

std::string attrKeyList(OpKind k) {
  const auto specs = attrSpecs(k);
  std::string out;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (i > 0) out += i + 1 == specs.size() ? " or " : ", ";
    out += specs[i].key;
  }
  return out.empty() ? "none" : out;
}

std::string_view attrKindName(AttrKind k) {
  switch (k) {
  case AttrKind::Int: return "an integer";
  case AttrKind::Word: return "a word";
  case AttrKind::List: return "an integer list";
  }
  return "?";
}

AttrKind attrKindOf(const AttrValue& v) {
  if (std::holds_alternative<int64_t>(v)) return AttrKind::Int;
  if (std::holds_alternative<std::string>(v)) return AttrKind::Word;
  return AttrKind::List;
}

std::optional<int> fixedOperandCount(OpKind k) {
  const int n = kOperandCounts[static_cast<size_t>(k)];
  return n < 0 ? std::nullopt : std::optional<int>(n);
}

std::optional<OpKind> opKindNamed(std::string_view name) {
#define MXJIT_OP(Enum, Name, Operands, HasResult) \
  if (name == Name) return OpKind::Enum;
#include "ir/OpKinds.def"
#undef MXJIT_OP
  return std::nullopt;
}

}  // namespace mxjit::ir
