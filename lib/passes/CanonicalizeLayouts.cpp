// canonicalize-layouts: transposes move out of the way of quantization and collapse, so that every
// transpose left sits directly in front of its consumer, where fold-relayouts can turn it into an
// operand layout.
//   quantize(transpose(x, p), axis[, offs])  ->  transpose(quantize(x, p[axis][, offs]), p)
//   transpose(transpose(x, p1), p2)          ->  transpose(x, c) with c[i] = p1[p2[i]]
//   transpose(x, identity)                   ->  x
#include "passes/Passes.h"
#include "passes/Rewrite.h"

#include <numeric>
#include <utility>

namespace mxjit::passes {
namespace {

using ir::Op;
using ir::OpKind;

// Quantizing x along p[axis] and then transposing by p gives the same MX value (the quantized axis
// moves with its dim), but the quantize now reads the tensor as stored. The new transpose takes over
// the quantize's name so its users print unchanged; the new quantize gets a fresh one.
bool sinkTransposeBelowQuantize(ir::Function& f, Op& q) {
  if (q.kind != OpKind::Quantize || !definedBy(q.operands[0], OpKind::Transpose)) return false;
  const Op& t = *q.operands[0]->def;
  const std::vector<int64_t> perm = t.listAttr("perm");

  auto moved = std::make_unique<Op>(q);  // same elem/block/mode, same offs
  moved->result = nullptr;
  moved->operands[0] = t.operands[0];
  moved->setAttr("axis", perm[static_cast<size_t>(q.intAttr("axis"))]);

  ir::Builder b(f);
  b.setInsertionPoint(&q);
  ir::Value* quantized = b.insert(std::move(moved));
  ir::Value* transposed = b.transpose(quantized, perm);
  transposed->def->loc = t.loc;
  MXJIT_CHECK(transposed->type == q.result->type);
  f.replaceAllUses(q.result, transposed);
  // The old quantize is dead now; renaming it frees the fresh number for the next rewrite.
  transposed->name = std::exchange(q.result->name, q.result->name + ".dead");
  return true;
}

// Edits the outer transpose in place, so its result keeps its name and its users.
bool composeTransposes(Op& outer) {
  if (outer.kind != OpKind::Transpose || !definedBy(outer.operands[0], OpKind::Transpose)) return false;
  const Op& inner = *outer.operands[0]->def;
  const std::vector<int64_t>& p1 = inner.listAttr("perm");
  const std::vector<int64_t> p2 = outer.listAttr("perm");
  std::vector<int64_t> composed(p2.size());
  for (size_t i = 0; i < p2.size(); ++i) composed[i] = p1[static_cast<size_t>(p2[i])];
  outer.operands[0] = inner.operands[0];
  outer.setAttr("perm", composed);
  checkTypeKept(outer);
  return true;
}

bool dropIdentityTranspose(ir::Function& f, Op& t) {
  if (t.kind != OpKind::Transpose) return false;
  const std::vector<int64_t>& perm = t.listAttr("perm");
  std::vector<int64_t> identity(perm.size());
  std::iota(identity.begin(), identity.end(), 0);
  if (perm != identity) return false;
  f.replaceAllUses(t.result, t.operands[0]);
  return true;
}

// One sweep in program order over the ops present at its start; each op is rewritten until no rule
// applies (a composition may leave an identity), so an identity is gone before its users are visited.
// Dead ops are skipped: a replaced op stays in place (dead) until the sweep ends.
bool sweep(ir::Function& f) {
  std::vector<Op*> ops;
  for (auto& op : f.ops) ops.push_back(op.get());
  bool changed = false;
  for (Op* op : ops)
    while (op->result && countUses(f, op->result) > 0 &&
           (sinkTransposeBelowQuantize(f, *op) || composeTransposes(*op) || dropIdentityTranspose(f, *op)))
      changed = true;
  return changed;
}

}  // namespace

bool canonicalizeLayouts(ir::Module& m, const PassOptions&) {
  bool changed = false;
  for (auto& f : m.functions) {
    while (sweep(*f)) {
      changed = true;
      while (f->eraseDeadOps()) {}
    }
  }
  return eraseDeadOps(m) || changed;
}

}  // namespace mxjit::passes
