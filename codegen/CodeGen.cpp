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

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <system_error>
#include <thread>
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

// What one module of a kernel compiles: a stage's entry or a stage's part (KernelPlan.h, StagePart).
struct Unit {
  std::string entryName;
  const std::string* helper;
  const std::vector<int64_t>* constants;
  bool part;
  std::string partName;  // a stage that has a part: the symbol its helper's mxjit_stage_part binds to
};

// The unit's entry: a stage's is void entry(args, item, scratch) { helper(args, item, [scratch,] constants...); },
// a part's takes the helper's leading (runtime) arguments and passes them on before the constants.
void emitEntry(llvm::Module& m, const llvm::Function& helper, const Unit& unit) {
  llvm::LLVMContext& ctx = m.getContext();
  auto* ptr = llvm::PointerType::get(ctx, 0);
  llvm::FunctionType* ht = helper.getFunctionType();
  const unsigned nParams = ht->getNumParams(), nConstants = static_cast<unsigned>(unit.constants->size());
  const unsigned leading = nParams >= nConstants ? nParams - nConstants : 0;
  // A stage's helper starts (args, item[, scratch]); a part's with whatever runtime arguments it takes.
  const bool fits = nParams >= nConstants && (unit.part || leading == 2 || (leading == 3 && ht->getParamType(2)->isPointerTy()));
  if (!fits)
    throw Error(ErrorKind::Internal, fmt::format("helper {} takes {} arguments; the plan gives {} constants",
                                                 helper.getName().str(), nParams, nConstants));
  std::vector<llvm::Type*> params = {ptr, ptr, ptr};
  if (unit.part) params.assign(ht->param_begin(), ht->param_begin() + leading);
  auto* entry = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), params, false),
                                       llvm::Function::ExternalLinkage, unit.entryName, m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
  std::vector<llvm::Value*> args;
  for (unsigned i = 0; i < leading; ++i) args.push_back(entry->getArg(i));
  for (size_t i = 0; i < nConstants; ++i)
    args.push_back(llvm::ConstantInt::get(ht->getParamType(leading + i), (*unit.constants)[i], /*signed=*/true));
  b.CreateCall(m.getOrInsertFunction(helper.getName(), ht), args);
  b.CreateRetVoid();
}

// The helpers arrive simplified (cmake/EmbedBitcode.cmake), so the JIT's work is specialisation: push the
// entry's constants into the helpers, inline, fold the recipe's branches away and unroll the loops the
// constants fixed: half the cost of the full O2 pipeline for the same kernels. InstCombine runs without
// its fixpoint check (as in LLVM's own pipelines): one round may leave work for the next, which is no error. The loop and SLP
// vectorisers run only for helpers written as scalar loops (quantize kernels, the fp32 and portable
// packers); the bf16 / AMX helpers are vectorised by hand and gain nothing from them but compile time.
std::string specialisePipeline(bool vectorize) {
  return fmt::format(
      "ipsccp,globaldce,always-inline,cgscc(inline),"
      "function(sroa,early-cse<memssa>,simplifycfg,instcombine<no-verify-fixpoint>,loop-mssa(licm),loop(loop-rotate,indvars,loop-unroll-full),"
      "sroa,instcombine<no-verify-fixpoint>,simplifycfg,{}dse,adce),globaldce",
      vectorize ? "loop-vectorize,slp-vectorizer,instcombine<no-verify-fixpoint>,simplifycfg," : "");
}

/// The bf16 and AMX helpers (named so by the plan) are the hand-vectorised ones.
bool needsVectorizer(const std::string& helper) {
  return helper.find("_bf16") == std::string::npos && helper.find("_amx") == std::string::npos;
}

void optimize(llvm::Module& m, llvm::TargetMachine& tm, bool vectorize) {
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
  llvm::ModulePassManager mpm;
  if (llvm::Error e = pb.parsePassPipeline(mpm, specialisePipeline(vectorize)))
    throw Error(ErrorKind::Internal, fmt::format("bad optimisation pipeline: {}", llvm::toString(std::move(e))));
  mpm.run(m, mam);
}

// One unit in its own LLVM context, so units compile on separate threads: the helpers are loaded lazily
// and only what the unit's helper reaches is linked, optimised and emitted.
CompiledStage compileUnit(const Unit& unit, const Target& target, const CodegenOptions& options) {
  CompiledStage out;
  auto last = std::chrono::steady_clock::now();
  auto phaseDone = [&](const char* name) {
    const auto now = std::chrono::steady_clock::now();
    out.phaseMs.emplace_back(name, std::chrono::duration<double, std::milli>(now - last).count());
    last = now;
  };
  llvm::LLVMContext ctx;
  auto tm = makeTargetMachine(target);
  out.entryName = unit.entryName;
  out.part = unit.part;
  auto module = std::make_unique<llvm::Module>(out.entryName, ctx);
  module->setTargetTriple(target.triple);
  module->setDataLayout(tm->createDataLayout());

  const llvm::StringRef bytes(reinterpret_cast<const char*>(mxjit_kernel_helpers_bc), mxjit_kernel_helpers_bc_size);
  std::unique_ptr<llvm::Module> helpers = unwrap(
      llvm::getLazyBitcodeModule(llvm::MemoryBufferRef(bytes, "mxjit_kernel_helpers"), ctx), "loading kernel helpers");
  helpers->setTargetTriple(target.triple);
  helpers->setDataLayout(module->getDataLayout());
  const llvm::Function* helper = helpers->getFunction(*unit.helper);
  if (!helper || helper->isDeclaration())
    throw Error(ErrorKind::Internal, fmt::format("no kernel helper named {}", *unit.helper));
  emitEntry(*module, *helper, unit);
  phaseDone("load-helpers");

  if (llvm::Linker::linkModules(*module, std::move(helpers), llvm::Linker::Flags::LinkOnlyNeeded))
    throw Error(ErrorKind::Internal, "linking the kernel helpers failed");
  if (llvm::Function* part = module->getFunction("mxjit_stage_part")) {
    if (unit.partName.empty())
      throw Error(ErrorKind::Internal, fmt::format("helper {} calls a stage part; its stage has none", *unit.helper));
    part->setName(unit.partName);
  }
  // Only the entry stays visible; every function compiles for this target's CPU and features.
  for (llvm::Function& f : *module) {
    if (f.isDeclaration()) continue;
    if (f.getName() != out.entryName) f.setLinkage(llvm::GlobalValue::InternalLinkage);
    f.addFnAttr("target-cpu", target.cpu);
    f.addFnAttr("target-features", target.features);
  }
  for (llvm::GlobalVariable& g : module->globals())
    if (!g.isDeclaration()) g.setLinkage(llvm::GlobalValue::InternalLinkage);

  std::string problems;
  llvm::raw_string_ostream problemStream(problems);
  if (llvm::verifyModule(*module, &problemStream))
    throw Error(ErrorKind::Internal, fmt::format("generated LLVM IR for {} does not verify: {}", out.entryName, problems));
  phaseDone("link-verify");
  if (options.keepIr) out.llvmIr = moduleText(*module);
  optimize(*module, *tm, needsVectorizer(*unit.helper));
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

}  // namespace

std::string entryName(const plan::KernelPlan& plan, const plan::Stage& stage) { return plan.stem + "." + stage.name; }

std::string_view helperBitcode() {
  return {reinterpret_cast<const char*>(mxjit_kernel_helpers_bc), mxjit_kernel_helpers_bc_size};
}

CompiledKernel compilePlan(const plan::KernelPlan& plan, const Target& target, const CodegenOptions& options) {
  initializeLlvm();
  std::vector<Unit> units;
  for (const plan::Stage& stage : plan.stages) {
    const std::string entry = entryName(plan, stage);
    units.push_back({entry, &stage.helper, &stage.constants, false, stage.part ? entry + ".part" : ""});
    if (stage.part) units.push_back({entry + ".part", &stage.part->helper, &stage.part->constants, true, ""});
  }
  const size_t n = units.size();
  std::vector<CompiledStage> stages(n);
  std::vector<std::exception_ptr> failures(n);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        stages[i] = compileUnit(units[i], target, options);
      } catch (...) {
        failures[i] = std::current_exception();
      }
    }
  };
  // The units are independent modules: spread them over the cores (the caller's thread is one).
  const size_t threads = std::min(n, static_cast<size_t>(std::max(1, options.threads)));
  std::vector<std::thread> workers;
  for (size_t t = 1; t < threads; ++t) {
    try {
      workers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: the units left run on the ones there are
    }
  }
  work();
  for (std::thread& t : workers) t.join();
  for (const std::exception_ptr& failure : failures)
    if (failure) std::rethrow_exception(failure);

  return CompiledKernel{std::move(stages)};
}

std::vector<std::string> CompiledKernel::entryNames() const {
  std::vector<std::string> names;
  for (const CompiledStage& stage : stages)
    if (!stage.part) names.push_back(stage.entryName);
  return names;
}

std::vector<std::string> CompiledKernel::objects() const {
  std::vector<std::string> objects;
  for (const CompiledStage& stage : stages) objects.push_back(stage.object);
  return objects;
}

std::string CompiledKernel::joined(std::string CompiledStage::*text) const {
  std::string all;
  for (const CompiledStage& stage : stages) all += stage.*text;
  return all;
}

}  // namespace mxjit::codegen
