// What a Runtime holds: the target, the JIT, the kernel caches and the counters; and the miss path
// (IR -> passes -> plan -> codegen or disk -> JIT) that the ops call through kernelFor.
#pragma once
#include "JitEngine.h"
#include "KernelCache.h"
#include "ObjectDiskCache.h"
#include "Parallel.h"
#include "Target.h"
#include "ir/Op.h"
#include "mxjit/Runtime.h"
#include "passes/Passes.h"
#include "support/GroupOffsets.h"

#include <atomic>
#include <functional>
#include <optional>

namespace mxjit {

struct Runtime::Impl {
  explicit Impl(RuntimeOptions o);

  /// The kernel for `spec`; on a miss, builds it from the module `build` returns, with `bindings`
  /// naming the static dims (K, N, E) for specialize.
  runtime::KernelCache::KernelPtr kernelFor(runtime::KernelSpec spec, const std::function<ir::Module()>& build,
                                            const std::map<std::string, int64_t>& bindings);

  /// The kernels of a 2d3d call and the groups each takes: `spec` marked for the weight-streaming plan
  /// where it pays for these groups (plan::streamWeightPanels), or as options.gemmPlan forces; where the
  /// weights take column tiles or row blocks (plan::fusedGroupRows), up to three: that kernel for groups
  /// of 1..plan::kColumnTileRows rows (streamPanels 2), its variant that keeps each step for every 8 rows
  /// for groups of up to fusedGroupRows (3), the whole-panel or row-tile one for the rest (each a kernel
  /// of its own, as a call of only such groups would compile: one mixed kernel compiled in 35-43 ms,
  /// over the budget).
  struct Route {
    runtime::KernelSpec spec;
    runtime::GroupRows rows;
  };
  std::vector<Route> routeGroups(const runtime::KernelSpec& spec, const std::vector<GroupRange>& groups) const;
  /// Gets (compiling on a miss) and runs the kernels routeGroups gives, on `args`.
  void runGemm2d3d(const runtime::KernelSpec& spec, const std::vector<GroupRange>& groups, const std::function<ir::Module()>& build,
                   const std::map<std::string, int64_t>& bindings, const abi::KernelArgs& args, std::span<const int32_t> offs);
  /// 2d2d (wgrad): whether every group is decode-size, where AMX hosts take the AVX512-BF16 kernel.
  void bucketTokenGroups(runtime::KernelSpec& spec, const std::vector<GroupRange>& groups) const;

  enum class GemmPlan { Auto, Tiles, Stream };

  RuntimeOptions options;  // compileThreads resolved (> 0)
  GemmPlan gemmPlan;       // options.gemmPlan, parsed once
  codegen::Target target;
  runtime::JitEngine jit;
  runtime::KernelCache cache;  // after jit: destroyed first, while the engine can still free code
  std::optional<runtime::ObjectDiskCache> disk;
  std::atomic<uint64_t> compiles{0}, diskHits{0}, hits{0};
  std::atomic<int64_t> compileMicros{0};

private:
  runtime::KernelCache::KernelPtr compile(const runtime::KernelSpec& spec, const std::function<ir::Module()>& build,
                                          const std::map<std::string, int64_t>& bindings);
};

}  // namespace mxjit
