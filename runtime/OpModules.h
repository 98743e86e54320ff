// The IR each API op compiles from: a function over symbolic dims (M, K, N, E) that the pipeline then
// canonicalises, fuses and specialises. Written the way a user states the op (dgrad through a
// transpose of the weights), so the passes, not the API, decide layouts and fusion.
#pragma once
#include "ir/GemmAttrs.h"
#include "ir/Op.h"
#include "mxjit/Recipe.h"

#include <optional>

namespace mxjit::runtime {

ir::Module forwardModule(DType aType, DType wType, WeightLayout layout, const QuantRecipe& recipe, DType out);
/// A forward whose weights (and, if `aPrequantized`, activations) arrive as MX arguments with plain
/// scales quantized along K: no quantize op for them, the kernel decodes them while packing.
struct PrequantizedOperand {
  ElemFormat elem;
  int32_t block;
};
/// wLayout: enk, ekn or pnk (panel-packed; its logical dims are enk's).
ir::Module prequantizedForwardModule(DType aType, std::optional<PrequantizedOperand> a, PrequantizedOperand w,
                                     ir::OperandLayout wLayout, const QuantRecipe& recipe, DType out);
ir::Module dgradModule(DType gradType, DType wType, WeightLayout layout, const QuantRecipe& recipe, DType out);
ir::Module wgradModule(DType aType, DType gradType, const QuantRecipe& recipe, DType out);
/// A 2-D quantize along axis 1 (rows of K) or axis 0 (along M, optionally restarting blocks at group
/// starts: `grouped` adds an %offs argument). Higher ranks are viewed as 2-D by the API.
ir::Module quantizeModule(DType x, int axis, ElemFormat elem, int block, ScaleMode mode, bool grouped);

}  // namespace mxjit::runtime
