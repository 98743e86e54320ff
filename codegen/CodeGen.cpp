#include "CodeGen.h"

#include "LlvmInit.h"
#include "mxjit/Error.h"

#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Linker/Linker.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/IPO/GlobalDCE.h>
#include <llvm/Transforms/Utils/Cloning.h>

#include <fmt/format.h>

#include <chrono>
#include <cstddef>

extern const unsigned char mxjit_kernel_helpers_bc[];
extern const size_t mxjit_kernel_helpers_bc_size;

namespace mxjit::codegen {
namespace {

// llvm::Error and Expected end here: callers see mxjit::Error.
template <class T> T unwrap(llvm::Expected<T> value, std::string_view what) {
  if (!value) throw Error(ErrorKind::Internal, fmt::format("{}: {}", what, llvm::toString(value.takeError())));
  return std::move(*value);
}

std::unique_ptr<llvm::TargetMachine> makeTargetMachine(const Target& target) {
  std::string error;
  const llvm::Target* t = llvm::TargetRegistry::lookupTarget(target.triple, error);
  if (!t) throw Error(ErrorKind::Internal, fmt::format("no LLVM target for {}: {}", target.triple, error));
  llvm::TargetOptions options;  // IEEE semantics: no fast-math, subnormals kept (the MX spec needs them)
  return std::unique_ptr<llvm::TargetMachine>(t->createTargetMachine(
      target.triple, target.cpu, target.features, options, llvm::Reloc::PIC_, std::nullopt, llvm::CodeGenOptLevel::Aggressive));
}

std::string moduleText(const llvm::Module& m) {
  std::string s;
  llvm::raw_string_ostream os(s);
  m.print(os, nullptr);
  return s;
}

std::string emit(llvm::TargetMachine& tm, llvm::Module& m, llvm::CodeGenFileType type) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr, type))
    throw Error(ErrorKind::Internal, "the LLVM target cannot emit this file type");
  pm.run(m);
  return std::string(buffer.begin(), buffer.end());
}

// One entry per stage: void entry(args, item, scratch) { helper(args, item, [scratch,] constants...); }
void emitEntry(llvm::Module& m, const llvm::Function& helper, const std::string& name, const plan::Stage& stage) {
  llvm::LLVMContext& ctx = m.getContext();
  auto* ptr = llvm::PointerType::get(ctx, 0);
  auto* type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr, ptr, ptr}, false);
  auto* entry = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
  llvm::FunctionCallee callee = m.getOrInsertFunction(helper.getName(), helper.getFunctionType());
  llvm::FunctionType* ht = helper.getFunctionType();
  std::vector<llvm::Value*> args = {entry->getArg(0), entry->getArg(1)};
  unsigned next = 2;
  if (ht->getNumParams() > 2 && ht->getParamType(2)->isPointerTy()) args.push_back(entry->getArg(2)), next = 3;
  if (ht->getNumParams() != next + stage.constants.size())
    throw Error(ErrorKind::Internal, fmt::format("helper {} takes {} arguments; the plan gives {} constants",
                                                 helper.getName().str(), ht->getNumParams(), stage.constants.size()));
  for (size_t i = 0; i < stage.constants.size(); ++i)
    args.push_back(llvm::ConstantInt::get(ht->getParamType(next + i), stage.constants[i], /*signed=*/true));
  b.CreateCall(callee, args);
  b.CreateRetVoid();
}

void optimize(llvm::Module& m, llvm::TargetMachine& tm) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  // Drop the helpers this kernel does not call before the optimiser spends time on them. O2, not O3:
  // the kernels are explicit loop nests already vectorised by construction, and O3 doubled the compile
  // time (about 150 ms against 80 for a forward kernel) for no measurable speed.
  llvm::GlobalDCEPass().run(m, mam);
  pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2).run(m, mam);
}

}  // namespace

std::string entryName(const plan::KernelPlan& plan, const plan::Stage& stage) { return plan.stem + "." + stage.name; }

CompiledKernel compilePlan(const plan::KernelPlan& plan, const Target& target, const CodegenOptions& options) {
  CompiledKernel out;
  auto last = std::chrono::steady_clock::now();
  auto phaseDone = [&](const char* name) {
    const auto now = std::chrono::steady_clock::now();
    out.phaseMs.emplace_back(name, std::chrono::duration<double, std::milli>(now - last).count());
    last = now;
  };
  initializeLlvm();
  llvm::LLVMContext ctx;
  auto tm = makeTargetMachine(target);
  auto module = std::make_unique<llvm::Module>(plan.stem, ctx);
  module->setTargetTriple(target.triple);
  module->setDataLayout(tm->createDataLayout());

  const llvm::StringRef bytes(reinterpret_cast<const char*>(mxjit_kernel_helpers_bc), mxjit_kernel_helpers_bc_size);
  std::unique_ptr<llvm::Module> helpers =
      unwrap(llvm::parseBitcodeFile(llvm::MemoryBufferRef(bytes, "mxjit_kernel_helpers"), ctx), "loading kernel helpers");
  helpers->setTargetTriple(target.triple);
  helpers->setDataLayout(module->getDataLayout());
  phaseDone("load-helpers");

  for (const plan::Stage& stage : plan.stages) {
    const llvm::Function* helper = helpers->getFunction(stage.helper);
    if (!helper || helper->isDeclaration())
      throw Error(ErrorKind::Internal, fmt::format("no kernel helper named {}", stage.helper));
    out.entryNames.push_back(entryName(plan, stage));
    emitEntry(*module, *helper, out.entryNames.back(), stage);
  }
  if (llvm::Linker::linkModules(*module, std::move(helpers)))
    throw Error(ErrorKind::Internal, "linking the kernel helpers failed");
  // Only the entries stay visible; every function compiles for this target's CPU and features.
  for (llvm::Function& f : *module) {
    if (f.isDeclaration()) continue;
    if (std::find(out.entryNames.begin(), out.entryNames.end(), f.getName().str()) == out.entryNames.end())
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
    f.addFnAttr("target-cpu", target.cpu);
    f.addFnAttr("target-features", target.features);
  }
  for (llvm::GlobalVariable& g : module->globals())
    if (!g.isDeclaration()) g.setLinkage(llvm::GlobalValue::InternalLinkage);

  std::string problems;
  llvm::raw_string_ostream problemStream(problems);
  if (llvm::verifyModule(*module, &problemStream))
    throw Error(ErrorKind::Internal, fmt::format("generated LLVM IR for {} does not verify: {}", plan.stem, problems));
  phaseDone("emit-link-verify");
  if (options.keepIr) out.llvmIr = moduleText(*module);
  optimize(*module, *tm);
  phaseDone("optimize");
  if (options.keepIr) out.optimizedIr = moduleText(*module);
  if (options.keepAsm) {
    auto copy = llvm::CloneModule(*module);
    out.assembly = emit(*tm, *copy, llvm::CodeGenFileType::AssemblyFile);
  }
  out.object = emit(*tm, *module, llvm::CodeGenFileType::ObjectFile);
  phaseDone("machine-code");
  return out;
}

}  // namespace mxjit::codegen
