// fold-relayouts: a transpose that swaps the two minor dims of a grouped_mm operand ([1,0] on 2-D,
// [0,2,1] on 3-D) is not executed: the operand reads the transpose's input in the other storage order
// (mk<->km, ekn<->enk, mn<->nm). The kernels then read the tensor where it lies, with no copy.
// Only layouts the kernels implement are produced: a 2d3d `a` stays mk. An MX operand folds the same
// way; its quantized axis is the same logical dim in either order.
#include "ir/GemmAttrs.h"
#include "passes/Passes.h"
#include "passes/Rewrite.h"

namespace mxjit::passes {
namespace {

using ir::GemmKind;
using ir::Op;
using ir::OperandLayout;

bool swapsMinorDims(const std::vector<int64_t>& perm) {
  return perm == std::vector<int64_t>{1, 0} || perm == std::vector<int64_t>{0, 2, 1};
}

bool kernelsSupport(GemmKind kind, size_t operand, OperandLayout l) {
  if (kind == GemmKind::G2d3d)
    return operand == 0 ? l == OperandLayout::MK : (l == OperandLayout::EKN || l == OperandLayout::ENK);
  return operand == 0 ? (l == OperandLayout::MK || l == OperandLayout::KM)
                      : (l == OperandLayout::MN || l == OperandLayout::NM);
}

bool foldInto(Op& mm, size_t operand) {
  ir::Value* v = mm.operands[operand];
  if (!definedBy(v, ir::OpKind::Transpose) || !swapsMinorDims(v->def->listAttr("perm"))) return false;
  const char* key = operand == 0 ? "a" : "b";
  const auto kind = ir::parseGemmKind(mm.wordAttr("kind"));
  const auto layout = ir::parseOperandLayout(mm.wordAttr(key));
  MXJIT_CHECK(kind && layout);  // the verifier has checked both
  const OperandLayout folded = ir::flipped(*layout);
  if (!kernelsSupport(*kind, operand, folded)) return false;
  mm.operands[operand] = v->def->operands[0];
  mm.setAttr(key, std::string(ir::operandLayoutName(folded)));
  checkTypeKept(mm);
  return true;
}

}  // namespace

bool foldRelayouts(ir::Module& m, const PassOptions&) {
  bool changed = false;
  for (auto& f : m.functions)
    for (auto& op : f->ops)
      if (op->kind == ir::OpKind::GroupedMM) {
        changed |= foldInto(*op, 0);
        changed |= foldInto(*op, 1);
      }
  return eraseDeadOps(m) || changed;
}

}  // namespace mxjit::passes
