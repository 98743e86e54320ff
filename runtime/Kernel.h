// A compiled kernel as the cache holds it: its plan, the entry of each stage, and the JIT handle that
// keeps its code alive.
#pragma once
#include "JitEngine.h"
#include "KernelABI.h"
#include "plan/KernelPlan.h"

#include <memory>
#include <vector>

namespace mxjit::runtime {

struct Kernel {
  plan::KernelPlan plan;
  std::vector<abi::KernelFn> entries;  // one per plan stage
  std::shared_ptr<JitEngine::Handle> code;
};

}  // namespace mxjit::runtime
