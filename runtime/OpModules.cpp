#include "OpModules.h"

#include "ir/Builder.h"

namespace mxjit::runtime {
namespace {

ir::TensorType tensor(DType t, std::vector<std::string> dims) {
  ir::TensorType type;
  type.dtype = t;
  for (auto& d : dims) type.dims.push_back(ir::Dim::named(std::move(d)));
  return type;
}

struct NewFunction {
  ir::Module module;
  ir::Function* f;
  explicit NewFunction(std::string name) {
    module.functions.push_back(std::make_unique<ir::Function>());
    f = module.functions.back().get();
    f->name = std::move(name);
  }
};

// The operand as the matmul sees it: quantized per the recipe (an mx.quantize the passes will fuse),
// or as is for a pass the recipe runs in high precision.
ir::Value* asOperand(ir::Builder& b, ir::Value* x, int64_t axis, const QuantRecipe& r, GemmPass pass, int operand,
                     ir::Value* groupOffs = nullptr) {
  const auto elem = operandFormat(r, pass, operand);
  return elem ? b.quantize(x, axis, *elem, r.block, r.mode, groupOffs) : x;
}

}  // namespace

ir::Module forwardModule(DType aType, DType wType, WeightLayout layout, const QuantRecipe& r, DType out) {
  NewFunction nf("grouped_mm_forward");
  ir::Builder b(*nf.f);
  const bool enk = layout == WeightLayout::ENK;
  ir::Value* a = b.arg("a", tensor(aType, {"M", "K"}));
  ir::Value* w = b.arg("w", tensor(wType, enk ? std::vector<std::string>{"E", "N", "K"} : std::vector<std::string>{"E", "K", "N"}));
  ir::Value* offs = b.arg("offs", tensor(DType::I32, {"E"}));
  ir::Value* qa = asOperand(b, a, 1, r, GemmPass::Forward, 0);
  ir::Value* qw = asOperand(b, w, enk ? 2 : 1, r, GemmPass::Forward, 1);
  b.ret({b.groupedMM(qa, qw, offs, ir::GemmKind::G2d3d, out, ir::OperandLayout::MK,
                     enk ? ir::OperandLayout::ENK : ir::OperandLayout::EKN)});
  return std::move(nf.module);
}

ir::Module prequantizedForwardModule(DType aType, std::optional<PrequantizedOperand> pa, PrequantizedOperand pw,
                                     ir::OperandLayout wLayout, const QuantRecipe& r, DType out) {
  NewFunction nf("grouped_mm_forward_prequantized");
  ir::Builder b(*nf.f);
  const bool enk = wLayout != ir::OperandLayout::EKN;
  auto mxType = [](PrequantizedOperand p, int axis, std::vector<std::string> dims) {
    ir::TensorType t = tensor(p.elem == ElemFormat::E4M3 ? DType::E4M3 : DType::E5M2, std::move(dims));
    t.mx = ir::MXEncoding{p.elem, p.block, axis, ir::ScaleLayout::Plain};
    return t;
  };
  ir::Value* a = b.arg("a", pa ? mxType(*pa, 1, {"M", "K"}) : tensor(aType, {"M", "K"}));
  ir::Value* w = b.arg("w", mxType(pw, enk ? 2 : 1, enk ? std::vector<std::string>{"E", "N", "K"} : std::vector<std::string>{"E", "K", "N"}));
  ir::Value* offs = b.arg("offs", tensor(DType::I32, {"E"}));
  // Quantized weights make the activations quantized too (a matmul's operands share one precision).
  QuantRecipe quantized = r;
  quantized.quantized = true;
  ir::Value* qa = pa ? a : asOperand(b, a, 1, quantized, GemmPass::Forward, 0);
  b.ret({b.groupedMM(qa, w, offs, ir::GemmKind::G2d3d, out, ir::OperandLayout::MK, wLayout)});
  return std::move(nf.module);
}

ir::Module dgradModule(DType gradType, DType wType, WeightLayout layout, const QuantRecipe& r, DType out) {
  NewFunction nf("grouped_mm_dgrad");
  ir::Builder b(*nf.f);
  const bool enk = layout == WeightLayout::ENK;
  ir::Value* g = b.arg("grad_out", tensor(gradType, {"M", "N"}));
  ir::Value* w = b.arg("w", tensor(wType, enk ? std::vector<std::string>{"E", "N", "K"} : std::vector<std::string>{"E", "K", "N"}));
  ir::Value* offs = b.arg("offs", tensor(DType::I32, {"E"}));
  // dgrad multiplies by B^T: the transposed weights, contracted over N.
  ir::Value* wt = b.transpose(w, {0, 2, 1});  // enk: [E,K,N] = (E, cols, contraction); ekn: [E,N,K]
  ir::Value* qg = asOperand(b, g, 1, r, GemmPass::Dgrad, 0);
  ir::Value* qwt = asOperand(b, wt, enk ? 2 : 1, r, GemmPass::Dgrad, 1);
  b.ret({b.groupedMM(qg, qwt, offs, ir::GemmKind::G2d3d, out, ir::OperandLayout::MK,
                     enk ? ir::OperandLayout::ENK : ir::OperandLayout::EKN)});
  return std::move(nf.module);
}

ir::Module wgradModule(DType aType, DType gradType, const QuantRecipe& r, DType out) {
  NewFunction nf("grouped_mm_wgrad");
  ir::Builder b(*nf.f);
  ir::Value* a = b.arg("a", tensor(aType, {"M", "K"}));
  ir::Value* g = b.arg("grad_out", tensor(gradType, {"M", "N"}));
  ir::Value* offs = b.arg("offs", tensor(DType::I32, {"E"}));
  ir::Value* qa = asOperand(b, a, 0, r, GemmPass::Wgrad, 0, offs);
  ir::Value* qg = asOperand(b, g, 0, r, GemmPass::Wgrad, 1, offs);
  b.ret({b.groupedMM(qa, qg, offs, ir::GemmKind::G2d2d, out, ir::OperandLayout::MK, ir::OperandLayout::MN)});
  return std::move(nf.module);
}

ir::Module quantizeModule(DType x, int axis, ElemFormat elem, int block, ScaleMode mode, bool grouped) {
  NewFunction nf("quantize");
  ir::Builder b(*nf.f);
  // Rows stay dynamic; the other dim is baked in (K along the last axis, N along M).
  ir::Value* in = b.arg("x", tensor(x, {"M", axis == 1 ? "K" : "N"}));
  ir::Value* offs = grouped ? b.arg("offs", tensor(DType::I32, {"E"})) : nullptr;
  b.ret({b.quantize(in, axis, elem, block, mode, offs)});
  return std::move(nf.module);
}

}  // namespace mxjit::runtime
