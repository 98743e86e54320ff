// The verifier trusts nothing a pass may have left behind: null pointers, values from another function,
// stale result types. Each op's type is re-inferred, so the rules live in one place (Infer.cpp).
#include "ir/Verifier.h"

#include "ir/Builder.h"
#include "mxjit/Error.h"

#include <fmt/format.h>
#include <set>
#include <unordered_set>

namespace mxjit::ir {

namespace {

[[noreturn]] void fail(SourceLoc loc, std::string_view what) {
  throw Error(ErrorKind::InvalidArgument,
              loc.line > 0 ? fmt::format("{}:{}: {}", loc.line, loc.col, what) : std::string(what));
}

// Names must print as tokens the parser reads back.
bool isName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
      return false;
  return true;
}

class FunctionVerifier {
public:
  explicit FunctionVerifier(const Function& f) : f_(f) {}

  void run() {
    for (const Value* v : f_.args) {
      if (!v) fail(f_.loc, fmt::format("function @{}: null argument", f_.name));
      if (v->def) fail(f_.loc, fmt::format("function @{}: argument %{} has a defining op", f_.name, v->name));
      define(v, f_.loc, "argument");
    }
    if (f_.ops.empty() || !f_.ops.back() || f_.ops.back()->kind != OpKind::Return)
      fail(f_.loc, fmt::format("function @{} does not end in return", f_.name));
    for (size_t i = 0; i < f_.ops.size(); ++i) {
      if (!f_.ops[i]) fail(f_.loc, fmt::format("function @{}: op #{} is null", f_.name, i));
      verifyOp(*f_.ops[i], i + 1 == f_.ops.size());
    }
  }

private:
  void define(const Value* v, SourceLoc loc, std::string_view what) {
    if (!isName(v->name)) fail(loc, fmt::format("{} name '%{}' is not [A-Za-z0-9_.]+", what, v->name));
    if (!names_.insert(v->name).second) fail(loc, fmt::format("value %{} is defined twice in @{}", v->name, f_.name));
    if (const std::string e = typeError(v->type); !e.empty())
      fail(loc, fmt::format("{} %{} has a malformed type: {}", what, v->name, e));
    defined_.insert(v);
  }

  void verifyOp(const Op& op, bool last) {
    const std::string_view name = opName(op.kind);
    for (size_t j = 0; j < op.operands.size(); ++j) {
      const Value* v = op.operands[j];
      if (!v) fail(op.loc, fmt::format("{}: operand #{} is null", name, j));
      if (!defined_.count(v))
        fail(op.loc, fmt::format("{}: operand #{} (%{}): used before it is defined in @{}", name, j, v->name, f_.name));
    }
    if (op.kind == OpKind::Return) {
      if (!last)
        fail(op.loc, fmt::format("return: must be the last op of @{} (exactly one return, at the end)", f_.name));
      if (op.operands.empty()) fail(op.loc, "return: a function returns at least one value");
      if (op.result || !op.attrs.empty()) fail(op.loc, "return: has no result and no attributes");
      return;
    }
    if (!op.result) fail(op.loc, fmt::format("{}: has no result", name));
    if (op.result->def != &op)
      fail(op.loc, fmt::format("{}: result %{} does not name this op as its definition", name, op.result->name));
    TensorType inferred;
    try {
      inferred = inferResultType(op);
    } catch (const Error& e) {
      fail(op.loc, e.what());
    }
    if (inferred != op.result->type)
      fail(op.loc, fmt::format("{}: result %{} has type {} but its operands and attributes give {}", name,
                               op.result->name, typeString(op.result->type), typeString(inferred)));
    define(op.result, op.loc, "result");
  }

  const Function& f_;
  std::unordered_set<const Value*> defined_;
  std::set<std::string> names_;
};

}  // namespace

void verify(const Module& m) {
  std::set<std::string> names;
  for (const auto& f : m.functions) {
    if (!f) fail({}, "module holds a null function");
    if (!isName(f->name)) fail(f->loc, fmt::format("function name '@{}' is not [A-Za-z0-9_.]+", f->name));
    if (!names.insert(f->name).second) fail(f->loc, fmt::format("function @{} is defined twice", f->name));
    FunctionVerifier(*f).run();
  }
}

}  // namespace mxjit::ir
