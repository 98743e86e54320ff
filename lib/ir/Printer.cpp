// The canonical text of README.md "Lexical form": what print writes is exactly what parse reads back.
#include "ir/Printer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mxjit::ir {

namespace {

std::string valueRef(const Value* v) { return v ? "%" + v->name : "%<null>"; }

std::string attrText(const AttrValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* w = std::get_if<std::string>(&v)) return *w;
  std::string out = "[";
  for (int64_t x : std::get<std::vector<int64_t>>(v)) out += (out.size() > 1 ? "," : "") + std::to_string(x);
  return out + "]";
}

// The signature's results are the return's operand types: the IR stores no separate signature.
std::string resultTypes(const Function& f) {
  const Op* ret = !f.ops.empty() && f.ops.back() && f.ops.back()->kind == OpKind::Return ? f.ops.back().get() : nullptr;
  if (!ret) return "()";
  std::vector<std::string> types;
  for (const Value* v : ret->operands) types.push_back(v ? typeString(v->type) : "<null>");
  if (types.size() == 1) return types[0];
  return fmt::format("({})", fmt::join(types, ", "));
}

}  // namespace

std::string print(const Op& op) {
  std::string out;
  if (op.result) out = valueRef(op.result) + " = ";
  out += opName(op.kind);
  for (size_t i = 0; i < op.operands.size(); ++i) out += (i == 0 ? " " : ", ") + valueRef(op.operands[i]);
  for (const Attr& a : op.attrs) out += fmt::format(" {}={}", a.key, attrText(a.value));
  return out;
}

std::string print(const Function& f) {
  std::vector<std::string> args;
  for (const Value* v : f.args) args.push_back(v ? fmt::format("%{}: {}", v->name, typeString(v->type)) : "%<null>");
  std::string out = fmt::format("func @{}({}) -> {} {{\n", f.name, fmt::join(args, ", "), resultTypes(f));
  for (const auto& op : f.ops) out += "  " + (op ? print(*op) : std::string("<null op>")) + "\n";
  return out + "}\n";
}

std::string print(const Module& m) {
  std::string out;
  for (const auto& f : m.functions) {
    if (!out.empty()) out += "\n";
    out += f ? print(*f) : "<null function>\n";
  }
  return out;
}

}  // namespace mxjit::ir
