#include "ir/Op.h"

#include "ir/OpSchema.h"
#include "mxjit/Error.h"

#include <algorithm>
#include <fmt/format.h>
#include <unordered_map>

namespace mxjit::ir {

namespace {

constexpr std::string_view kOpNames[] = {
#define MXJIT_OP(Enum, Name, Operands, HasResult) Name,
#include "ir/OpKinds.def"
#undef MXJIT_OP
};

template <class T>
const T& typedAttr(const Op& op, std::string_view key, std::string_view what) {
  const AttrValue* v = op.find(key);
  if (!v || !std::holds_alternative<T>(*v))
    throw Error(ErrorKind::Internal, fmt::format("{} has no {} attribute '{}'", opName(op.kind), what, key));
  return std::get<T>(*v);
}

// Index of `key` in the op's canonical order, or the end for keys outside it.
size_t canonicalIndex(OpKind k, std::string_view key) {
  const auto specs = attrSpecs(k);
  for (size_t i = 0; i < specs.size(); ++i)
    if (specs[i].key == key) return i;
  return specs.size();
}

}  // namespace

std::string_view opName(OpKind k) {
  const auto i = static_cast<size_t>(k);
  return i < std::size(kOpNames) ? kOpNames[i] : "<bad op>";
}

const AttrValue* Op::find(std::string_view key) const {
  for (const Attr& a : attrs)
    if (a.key == key) return &a.value;
  return nullptr;
}

int64_t Op::intAttr(std::string_view key) const { return typedAttr<int64_t>(*this, key, "integer"); }

const std::string& Op::wordAttr(std::string_view key) const { return typedAttr<std::string>(*this, key, "word"); }

const std::vector<int64_t>& Op::listAttr(std::string_view key) const {
  return typedAttr<std::vector<int64_t>>(*this, key, "integer list");
}

void Op::setAttr(std::string_view key, AttrValue v) {
  for (Attr& a : attrs)
    if (a.key == key) {
      a.value = std::move(v);
      return;
    }
  // A new key goes to its canonical slot, so passes adding qb before qa still print canonically.
  const size_t want = canonicalIndex(kind, key);
  auto pos =
      std::find_if(attrs.begin(), attrs.end(), [&](const Attr& a) { return canonicalIndex(kind, a.key) > want; });
  attrs.insert(pos, Attr{std::string(key), std::move(v)});
}

void Op::eraseAttr(std::string_view key) {
  std::erase_if(attrs, [&](const Attr& a) { return a.key == key; });
}

Value* Function::newValue(std::string name, TensorType type, Op* def) {
  values.push_back(std::make_unique<Value>(Value{std::move(name), std::move(type), def}));
  return values.back().get();
}

std::vector<Op*> Function::users(const Value* v) const {
  std::vector<Op*> out;
  for (const auto& op : ops)
    if (std::find(op->operands.begin(), op->operands.end(), v) != op->operands.end()) out.push_back(op.get());
  return out;
}

void Function::replaceAllUses(const Value* from, Value* to) {
  for (auto& op : ops) std::replace(op->operands.begin(), op->operands.end(), const_cast<Value*>(from), to);
}

bool Function::eraseDeadOps() {
  std::unordered_map<const Value*, int> uses;
  for (const auto& op : ops)
    for (const Value* v : op->operands) ++uses[v];
  bool any = false;
  for (bool changed = true; changed;) {
    changed = false;
    // Walking backwards frees a whole dead chain in one sweep; the outer loop makes the fixpoint explicit.
    for (size_t i = ops.size(); i-- > 0;) {
      Op* op = ops[i].get();
      if (op->kind == OpKind::Return || !op->result || uses[op->result] > 0) continue;
      for (const Value* v : op->operands) --uses[v];
      const Value* dead = op->result;
      ops.erase(ops.begin() + static_cast<std::ptrdiff_t>(i));
      // The result has no users left, so its storage can go too (keeps fresh names and printing tidy).
      std::erase_if(values, [&](const std::unique_ptr<Value>& v) { return v.get() == dead; });
      changed = any = true;
    }
  }
  return any;
}

}  // namespace mxjit::ir
