// Kernel plan -> LLVM IR -> native object code: the one entry of the codegen room. Each stage (and each
// stage's part) becomes its own module and object: an entry `<stem>.<stage>(args, item, scratch)` that
// calls the stage's helper with the plan's constants, the helper bitcode it reaches, the target's CPU
// features; verified, specialised (inlining makes the loops constant) and emitted. Modules compile on
// parallel threads.
#pragma once
#include "Target.h"
#include "plan/KernelPlan.h"

#include <string>
#include <string_view>
#include <vector>

namespace mxjit::codegen {

struct CodegenOptions {
  bool keepIr = false;   // fill llvmIr and optimizedIr
  bool keepAsm = false;  // fill assembly
  int threads = 1;       // stages compiled at once
};

/// One module's result: a stage's entry, or a stage's part (KernelPlan.h, StagePart).
struct CompiledStage {
  std::string object;  // ELF relocatable object for the JIT linker
  std::string entryName;
  bool part = false;
  std::string llvmIr, optimizedIr, assembly;
  std::vector<std::pair<std::string, double>> phaseMs;  // where this stage's compile time went, in order
};

struct CompiledKernel {
  std::vector<CompiledStage> stages;  // per plan stage in order: its entry, then its part if it has one

  std::vector<std::string> entryNames() const;  // the stages' (not the parts')
  std::vector<std::string> objects() const;     // every module's
  // every stage's text, concatenated in order
  std::string llvmIr() const { return joined(&CompiledStage::llvmIr); }
  std::string optimizedIr() const { return joined(&CompiledStage::optimizedIr); }
  std::string assembly() const { return joined(&CompiledStage::assembly); }

private:
  std::string joined(std::string CompiledStage::*text) const;
};

CompiledKernel compilePlan(const plan::KernelPlan& plan, const Target& target, const CodegenOptions& options = {});

/// The entry symbol of a stage.
std::string entryName(const plan::KernelPlan& plan, const plan::Stage& stage);

/// The helper bitcode every kernel is built from (besides its plan): the disk cache hashes it, so objects
/// from other helpers, e.g. an older mxjit, are not loaded.
std::string_view helperBitcode();

}  // namespace mxjit::codegen
