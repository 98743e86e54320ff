// expand-recipe: a grouped_mm that names a recipe and its role in the training step (recipe=mxfp8_e4m3
// role=dgrad) gets the concrete quantization of each operand (qa=/qb=): forward operands in the
// recipe's forward format, grad_out in its gradient format, nothing at all for high-precision passes
// (bf16 recipe, wgrad of mxfp8_e4m3_wgrad_hp). Prequantized (MX) operands keep their own format.
#include "ir/GemmAttrs.h"
#include "passes/Passes.h"
#include "passes/Rewrite.h"

namespace mxjit::passes {
namespace {

bool expand(ir::Op& mm) {
  if (!mm.find("recipe")) return false;
  const QuantRecipe recipe = recipePreset(mm.wordAttr("recipe"));
  const auto role = ir::parseGemmRole(mm.wordAttr("role"));
  MXJIT_CHECK(role.has_value());  // the verifier checked it
  mm.eraseAttr("recipe");
  mm.eraseAttr("role");
  for (int operand = 0; operand < 2; ++operand) {
    if (mm.operands[operand]->type.mx) continue;
    if (const auto q = ir::recipeOperandQuant(recipe, *role, operand))
      mm.setAttr(operand == 0 ? "qa" : "qb", ir::fusedQuantText(*q));
  }
  checkTypeKept(mm);
  return true;
}

}  // namespace

bool expandRecipe(ir::Module& m, const PassOptions&) {
  bool changed = false;
  for (auto& f : m.functions)
    for (auto& op : f->ops)
      if (op->kind == ir::OpKind::GroupedMM) changed |= expand(*op);
  return changed;
}

}  // namespace mxjit::passes
