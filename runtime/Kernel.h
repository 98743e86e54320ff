// A compiled kernel as the cache holds it: its plan, the entry of each stage, and the JIT handle that
// keeps its code alive. Callers hold it by shared_ptr, so an evicted kernel's code is freed only after
// the last call running it has returned.
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
  JitEngine* engine = nullptr;  // frees `code` when the last user of an evicted kernel lets go

  Kernel() = default;
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;
  ~Kernel() {
    if (engine && code) engine->removeNoThrow(code);
  }
};

}  // namespace mxjit::runtime
