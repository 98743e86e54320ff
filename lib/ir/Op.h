// IR ops, values, functions and modules: plain structs. A Function owns its values and ops; ops refer
// to values by pointer; a value knows the op that defines it (nullptr for function arguments).
#pragma once
#include "ir/Type.h"

#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mxjit::ir {

enum class OpKind : uint8_t {
#define MXJIT_OP(Enum, Name, Operands, HasResult) Enum,
#include "ir/OpKinds.def"
#undef MXJIT_OP
};

std::string_view opName(OpKind k);  // "mx.quantize", ...

struct SourceLoc {
  int line = 0, col = 0;  // 1-based; 0 = not from text
};

struct Op;

struct Value {
  std::string name;  // without the '%'
  TensorType type;
  Op* def = nullptr;  // nullptr for function arguments
};

/// Attribute values: integers (`block=32`), words (`elem=e4m3`, `qa=e4m3.b32.rceil`) and integer lists
/// (`perm=[0,2,1]`). Attributes print in the order stored; builders store them in each op's canonical order.
using AttrValue = std::variant<int64_t, std::string, std::vector<int64_t>>;

struct Attr {
  std::string key;
  AttrValue value;
};

struct Op {
  OpKind kind;
  std::vector<Value*> operands;
  Value* result = nullptr;  // nullptr for return
  std::vector<Attr> attrs;
  SourceLoc loc;

  const AttrValue* find(std::string_view key) const;
  /// Typed getters throw Error(Internal) when the attribute is missing or of another type: the verifier
  /// has checked every attribute before passes read them.
  int64_t intAttr(std::string_view key) const;
  const std::string& wordAttr(std::string_view key) const;
  const std::vector<int64_t>& listAttr(std::string_view key) const;
  void setAttr(std::string_view key, AttrValue v);  // replaces, or adds at the key's canonical place
  void eraseAttr(std::string_view key);
};

struct Function {
  std::string name;  // without the '@'
  std::vector<Value*> args;
  std::vector<std::unique_ptr<Op>> ops;        // in program order; the last is `return`
  std::vector<std::unique_ptr<Value>> values;  // storage for args and results
  SourceLoc loc;

  Value* newValue(std::string name, TensorType type, Op* def = nullptr);
  /// Ops that use `v` as an operand.
  std::vector<Op*> users(const Value* v) const;
  /// Replace every use of `from` by `to`.
  void replaceAllUses(const Value* from, Value* to);
  /// Remove ops with unused results (never `return`); returns true if any was removed.
  bool eraseDeadOps();
};

struct Module {
  std::vector<std::unique_ptr<Function>> functions;
};

}  // namespace mxjit::ir
