// Kernel plan -> LLVM IR -> native object code: the one entry of the codegen room. For each stage it
// emits an entry `<stem>.<stage>(args, item, scratch)` that calls the stage's helper with the plan's
// constants, links the helper bitcode, hands every function the target's CPU features, verifies,
// optimises (O2: inlining makes the loops constant and vectorises them) and emits an object file.
#pragma once
#include "Target.h"
#include "plan/KernelPlan.h"

#include <string>
#include <vector>

namespace mxjit::codegen {

struct CodegenOptions {
  bool keepIr = false;   // fill CompiledKernel::llvmIr and optimizedIr
  bool keepAsm = false;  // fill CompiledKernel::assembly
};

struct CompiledKernel {
  std::string object;                   // ELF relocatable object for the JIT linker
  std::vector<std::string> entryNames;  // one per plan stage, in order
  std::string llvmIr, optimizedIr, assembly;
  std::vector<std::pair<std::string, double>> phaseMs;  // where the compile time went, in order
};

CompiledKernel compilePlan(const plan::KernelPlan& plan, const Target& target, const CodegenOptions& options = {});

/// The entry symbol of a stage.
std::string entryName(const plan::KernelPlan& plan, const plan::Stage& stage);

}  // namespace mxjit::codegen
