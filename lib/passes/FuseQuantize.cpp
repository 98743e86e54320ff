// fuse-quantize: an mx.quantize whose only use is a grouped_mm operand, quantizing along that
// operand's contraction axis, runs inside the matmul's prologue (qa=/qb=) instead of writing an MX
// tensor to memory and reading it back. A quantize with other uses stays (its MX tensor is reused),
// and MX function arguments (prequantized inputs) are left as they are.
#include "ir/GemmAttrs.h"
#include "passes/Passes.h"
#include "passes/Rewrite.h"

namespace mxjit::passes {
namespace {

using ir::GemmKind;
using ir::Op;
using ir::OperandLayout;

// The dim of the stored operand that the matmul sums over: K for 2d3d, M (the rows) for 2d2d.
int64_t contractionAxis(GemmKind kind, OperandLayout l) {
  switch (l) {
  case OperandLayout::MK: return kind == GemmKind::G2d3d ? 1 : 0;
  case OperandLayout::KM: return 1;
  case OperandLayout::EKN: return 1;
  case OperandLayout::ENK: return 2;
  case OperandLayout::MN: return 0;
  case OperandLayout::NM: return 1;
  case OperandLayout::PNK: return -1;  // packed codes come from pack_weights, never from a quantize
  }
  return -1;
}

bool fuseInto(const ir::Function& f, Op& mm, size_t operand) {
  ir::Value* v = mm.operands[operand];
  const char* qkey = operand == 0 ? "qa" : "qb";
  if (!definedBy(v, ir::OpKind::Quantize) || countUses(f, v) != 1 || mm.find(qkey)) return false;
  const Op& q = *v->def;
  const ir::MXEncoding& enc = *v->type.mx;
  if (enc.scales != ir::ScaleLayout::Plain) return false;

  const auto kind = ir::parseGemmKind(mm.wordAttr("kind"));
  const auto layout = ir::parseOperandLayout(mm.wordAttr(operand == 0 ? "a" : "b"));
  MXJIT_CHECK(kind && layout);
  if (q.intAttr("axis") != contractionAxis(*kind, *layout)) return false;
  // qa/qb restart blocks at the matmul's group offsets for 2d2d and never for 2d3d: the quantize must
  // do exactly the same to be replaceable.
  const ir::Value* groupOffs = q.operands.size() > 1 ? q.operands[1] : nullptr;
  if (groupOffs != (*kind == GemmKind::G2d2d ? mm.operands[2] : nullptr)) return false;

  mm.operands[operand] = q.operands[0];
  // setAttr puts a new key in its canonical slot (kind, out, a, b, qa, qb), so qa lands before qb.
  const ir::FusedQuant fused{enc.elem, enc.block, parseScaleMode(q.wordAttr("mode"))};
  mm.setAttr(qkey, ir::fusedQuantText(fused));
  checkTypeKept(mm);
  return true;
}

}  // namespace

bool fuseQuantize(ir::Module& m, const PassOptions&) {
  bool changed = false;
  for (auto& f : m.functions)
    for (auto& op : f->ops)
      if (op->kind == ir::OpKind::GroupedMM) {
        changed |= fuseInto(*f, *op, 0);
        changed |= fuseInto(*f, *op, 1);
      }
  return eraseDeadOps(m) || changed;
}

}  // namespace mxjit::passes
