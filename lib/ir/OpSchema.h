// Which attributes each op takes, of which kind, in canonical order. The builder, the printer order,
// the parser (unknown keys, kinds) and the type inference (missing keys) all read this one table.
#pragma once
#include "ir/Op.h"

#include <optional>
#include <span>
#include <string_view>

namespace mxjit::ir {

enum class AttrKind : uint8_t { Int, Word, List };

struct AttrSpec {
  std::string_view key;
  AttrKind kind;
  bool required;
};

/// The attributes of `k` in canonical order (empty for return).
std::span<const AttrSpec> attrSpecs(OpKind k);
const AttrSpec* findAttrSpec(OpKind k, std::string_view key);  // nullptr: not an attribute of k
std::string attrKeyList(OpKind k);                             // "axis, elem, block or mode"
std::string_view attrKindName(AttrKind k);                     // "an integer", "a word", "an integer list"
AttrKind attrKindOf(const AttrValue& v);

/// Fixed operand count from OpKinds.def; nullopt for variadic ops.
std::optional<int> fixedOperandCount(OpKind k);
/// The op named `name` ("mx.quantize", "return"), or nullopt.
std::optional<OpKind> opKindNamed(std::string_view name);

}  // namespace mxjit::ir
