// mxjit grouped-mm: the MXFP8 grouped GEMM forward and, given --grad-out, its dgrad and wgrad.
#include "Args.h"
#include "Commands.h"
#include "Engine.h"
#include "TensorFiles.h"
#include "mxjit/Error.h"
#include "mxjit/Ops.h"
#include "reference/GroupedMM.h"

#include <fmt/format.h>

namespace mxjit::cli {
namespace {

DType parseOutDType(const std::string& s) {
  if (s == "bf16") return DType::BF16;
  if (s == "f32") return DType::F32;
  throw Error(ErrorKind::Parse, fmt::format("unknown --out-dtype '{}' (expected bf16 or f32)", s));
}

}  // namespace

int runGroupedMM(std::span<char* const> argv) {
  const Args args(argv, {"a", "b", "b-layout", "offs", "elem", "grad-elem", "mode", "block", "out", "out-dtype",
                         "grad-out", "grad-a", "grad-b", "engine", "recipe"});
  const Engine engine = parseEngine(args.valueOr("engine", "jit"));
  const WeightLayout layout = parseWeightLayout(args.required("b-layout"));
  // A named recipe (default mxfp8_e4m3) sets every field; explicit flags then override single ones.
  QuantRecipe recipe = recipePreset(args.valueOr("recipe", "mxfp8_e4m3"));
  if (auto elem = args.optional("elem")) recipe.fwdElem = parseElemFormat(*elem);
  if (auto grad = args.optional("grad-elem")) recipe.gradElem = parseElemFormat(*grad);
  if (auto mode = args.optional("mode")) recipe.mode = parseScaleMode(*mode);
  recipe.block = args.intOr("block", recipe.block);
  validateRecipe(recipe);
  const DType outDType = parseOutDType(args.valueOr("out-dtype", "bf16"));
  const std::string outPath = args.required("out");
  const bool backward = args.has("grad-out");
  if (!backward && (args.has("grad-a") || args.has("grad-b")))
    throw Error(ErrorKind::Parse, "--grad-a and --grad-b need --grad-out (the gradient of out)");
  if (backward && (!args.has("grad-a") || !args.has("grad-b")))
    throw Error(ErrorKind::Parse, "--grad-out needs both --grad-a and --grad-b to write the gradients to");

  const HostTensor a = readOperand("a", args.required("a"), {DType::BF16, DType::F32});
  const HostTensor w = readOperand("b", args.required("b"), {DType::BF16, DType::F32});
  const HostTensor offs = readOperand("offs", args.required("offs"), {DType::I32});
  if (w.shape().size() != 3)
    throw Error(ErrorKind::ShapeMismatch, fmt::format("--b has shape {}; expected 3 dims ({})",
                                                      shapeString(w.shape()), layout == WeightLayout::ENK ? "E, N, K" : "E, K, N"));
  const int64_t m = a.shape().empty() ? 0 : a.shape()[0], experts = w.shape()[0];
  const int64_t k = layout == WeightLayout::ENK ? w.shape()[2] : w.shape()[1];
  const int64_t n = layout == WeightLayout::ENK ? w.shape()[1] : w.shape()[2];

  HostTensor out(outDType, {m, n});
  if (engine == Engine::Jit) grouped_mm(a.view(), w.view(), layout, offs.view(), recipe, out.view());
  else reference::groupedMMForward(a.view(), w.view(), layout, offs.view(), recipe, out.view());
  if (backward) {
    const HostTensor gradOut = readOperand("grad-out", args.required("grad-out"), {DType::BF16, DType::F32});
    HostTensor gradA(outDType, {m, k}), gradB(outDType, {experts, k, n});
    if (engine == Engine::Jit) {
      grouped_mm_backward(a.view(), w.view(), layout, offs.view(), gradOut.view(), recipe, gradA.view(), gradB.view());
    } else {
      reference::groupedMMDgrad(gradOut.view(), w.view(), layout, offs.view(), recipe, gradA.view());
      reference::groupedMMWgrad(a.view(), gradOut.view(), offs.view(), recipe, gradB.view());
    }
    writeOperand(args.required("grad-a"), gradA.view());
    writeOperand(args.required("grad-b"), gradB.view());
  }
  writeOperand(outPath, out.view());
  return 0;
}

}  // namespace mxjit::cli
