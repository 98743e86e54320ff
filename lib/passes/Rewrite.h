// Small helpers the rewriting passes share.
#pragma once
#include "ir/Builder.h"
#include "ir/Op.h"
#include "mxjit/Error.h"

namespace mxjit::passes {

/// How many operand slots hold `v` (an op using it twice counts twice).
inline int countUses(const ir::Function& f, const ir::Value* v) {
  int n = 0;
  for (const auto& op : f.ops)
    for (const ir::Value* o : op->operands) n += (o == v);
  return n;
}

inline bool definedBy(const ir::Value* v, ir::OpKind k) { return v->def && v->def->kind == k; }

/// A rewrite that keeps an op's meaning keeps its result type; re-inferring catches one that does not.
inline void checkTypeKept(const ir::Op& op) { MXJIT_CHECK(ir::inferResultType(op) == op.result->type); }

/// Erases dead ops until none is left (an erased op can leave its operands' definitions dead).
inline bool eraseDeadOps(ir::Module& m) {
  bool changed = false;
  for (auto& f : m.functions)
    while (f->eraseDeadOps()) changed = true;
  return changed;
}

}  // namespace mxjit::passes
