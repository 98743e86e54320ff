// mxjit-dump: show what mxjit makes of an op at every stage, ordered by how far it lowers:
// the input IR, the IR after each pass, the kernel plan, LLVM IR before and after optimisation, and
// the assembly. The input is an .mxir file or a built-in example.
#include "CodeGen.h"
#include "OpModules.h"
#include "ToolSupport.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "mxjit/Error.h"
#include "passes/PassManager.h"
#include "plan/LowerToPlan.h"

#include <fmt/format.h>

#include <cstdio>

namespace {

using mxjit::Error;
using mxjit::ErrorKind;
namespace ir = mxjit::ir;

constexpr const char* kUsage = R"(usage: mxjit-dump (FILE.mxir | --example NAME) [-emit=KIND] [--print-after-all]
                  [--bind K=512,N=256,E=8] [--target auto|avx512bf16|avx512|portable] [-o OUT]

  -emit=KIND         ir | ir-after-all | plan | llvm | llvm-opt | asm   (default: ir-after-all)
  --example NAME     a built-in op: forward | dgrad | wgrad | quantize | quantize-m (MXFP8 e4m3, block 32,
                     rceil, bf16 in and out; dims bound to K=512, N=256, E=8 unless --bind says otherwise)
  --print-after-all  also print the IR after every pass on stderr
  --bind LIST        sizes of named dims, NAME=SIZE,...
  --target CAP       cap the instruction set (default: auto, the host's features)
  -o OUT             write to OUT instead of stdout
The same dumps come from the library with MXJIT_DUMP_DIR=dir (every compile's artefacts) and
MXJIT_PRINT_AFTER_ALL=1.
)";

enum class Emit { Ir, IrAfterAll, Plan, Llvm, LlvmOpt, Asm };

struct Args {
  std::string input, example, output, target = "auto";
  Emit emit = Emit::IrAfterAll;
  bool printAfterAll = false;
  mxjit::passes::PassOptions options;
};

Emit parseEmit(std::string_view s) {
  const std::pair<const char*, Emit> kinds[] = {{"ir", Emit::Ir},     {"ir-after-all", Emit::IrAfterAll},
                                                {"plan", Emit::Plan}, {"llvm", Emit::Llvm},
                                                {"llvm-opt", Emit::LlvmOpt}, {"asm", Emit::Asm}};
  for (auto [name, kind] : kinds)
    if (s == name) return kind;
  throw Error(ErrorKind::Parse, fmt::format("unknown -emit={} (expected ir, ir-after-all, plan, llvm, llvm-opt or asm)", s));
}

ir::Module exampleModule(const std::string& name) {
  using namespace mxjit;
  const QuantRecipe r{};
  if (name == "forward") return runtime::forwardModule(DType::BF16, DType::BF16, WeightLayout::ENK, r, DType::BF16);
  if (name == "dgrad") return runtime::dgradModule(DType::BF16, DType::BF16, WeightLayout::ENK, r, DType::BF16);
  if (name == "wgrad") return runtime::wgradModule(DType::BF16, DType::BF16, r, DType::BF16);
  if (name == "quantize") return runtime::quantizeModule(DType::BF16, 1, r.fwdElem, r.block, r.mode, false);
  if (name == "quantize-m") return runtime::quantizeModule(DType::BF16, 0, r.fwdElem, r.block, r.mode, true);
  throw Error(ErrorKind::Parse, fmt::format("unknown example '{}' (expected forward, dgrad, wgrad, quantize or quantize-m)", name));
}

Args parseArgs(int argc, char** argv) {
  Args a;
  for (mxjit::tools::FlagReader r(argc, argv); r.next();) {
    if (r.arg() == "--print-after-all") a.printAfterAll = true;
    else if (auto v = r.value("-emit")) a.emit = parseEmit(*v);
    else if (auto v = r.value("--example")) a.example = std::string(*v);
    else if (auto v = r.value("--bind")) mxjit::tools::addBindings(*v, a.options);
    else if (auto v = r.value("--target")) a.target = std::string(*v);
    else if (auto v = r.value("-o")) a.output = std::string(*v);
    else r.takeInput(a.input);
  }
  if (a.input.empty() == a.example.empty()) throw Error(ErrorKind::Parse, "give either an .mxir file or --example NAME");
  if (!a.example.empty())
    for (auto [dim, size] : {std::pair{"K", 512}, {"N", 256}, {"E", 8}}) a.options.dimBindings.emplace(dim, size);
  return a;
}

int run(int argc, char** argv) {
  const Args args = parseArgs(argc, argv);
  ir::Module module = args.example.empty() ? ir::parse(mxjit::tools::readFile(args.input), args.input) : exampleModule(args.example);
  std::string text = ir::print(module);
  if (args.emit == Emit::Ir) return mxjit::tools::writeOutput(args.output, text), 0;

  std::string afterAll = "// ----- input -----\n" + text;
  mxjit::passes::PassManagerOptions pmOptions;
  pmOptions.printAfterAll = true;
  pmOptions.onPrint = [&](int, const std::string& pass, bool changed, const std::string& ir) {
    const std::string dump = fmt::format("// ----- IR after {}{} -----\n{}", pass, changed ? "" : " (unchanged)", ir);
    afterAll += dump;
    if (args.printAfterAll) std::fputs(dump.c_str(), stderr);
  };
  mxjit::passes::PassManager pm(std::move(pmOptions));
  pm.addPipeline();
  pm.run(module, args.options);
  if (args.emit == Emit::IrAfterAll) return mxjit::tools::writeOutput(args.output, afterAll), 0;

  const mxjit::codegen::Target target = mxjit::codegen::hostTarget(mxjit::codegen::parseTargetCap(args.target));
  const mxjit::plan::KernelPlan plan = mxjit::plan::lowerToPlan(module, mxjit::plan::selectMicrokernel(target.avx512, target.avx512bf16, target.amx));
  if (args.emit == Emit::Plan) return mxjit::tools::writeOutput(args.output, plan.toString()), 0;

  const auto compiled = mxjit::codegen::compilePlan(plan, target, {true, args.emit == Emit::Asm});
  const std::string out = args.emit == Emit::Llvm ? compiled.llvmIr() : args.emit == Emit::LlvmOpt ? compiled.optimizedIr() : compiled.assembly();
  mxjit::tools::writeOutput(args.output, out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return mxjit::tools::runTool("mxjit-dump", kUsage, argc, argv, run); }
