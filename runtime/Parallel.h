// Running a compiled kernel: each plan stage's work items (from the plan and, for grouped stages, the
// runtime offs) are spread over OpenMP threads, stage after stage.
#pragma once
#include "Kernel.h"
#include "mxjit/Runtime.h"
#include "mxjit/Tensor.h"
#include "support/GroupOffsets.h"

#include <limits>
#include <span>

namespace mxjit::runtime {

/// Which groups a run covers, by row count: a call whose small groups take the column-tile or row-block
/// kernel (plan::fusedGroupRows) and whose others take another runs each over its own.
struct GroupRows {
  int64_t least = 0, most = std::numeric_limits<int64_t>::max();
  bool takes(int64_t rows) const { return least <= rows && rows <= most; }
};

/// The work items of one stage for `m` rows split by `offs` (empty for ungrouped kernels), over the
/// groups `rows` takes.
std::vector<abi::WorkItem> workItems(const plan::KernelPlan& plan, const plan::Stage& stage, std::span<const int32_t> offs,
                                     int64_t m, GroupRows rows = {});

/// Runs every stage of `kernel`; `args` must hold the operands, offs, outputs and m. Allocates the
/// packed panels and per-thread scratch the plan asks for. Threads as options.threads (<= 0: OpenMP's
/// default); options.timeStages prints each stage's wall time.
void runKernel(const Kernel& kernel, abi::KernelArgs args, std::span<const int32_t> offs, const RuntimeOptions& options,
               GroupRows rows = {});

/// A 2d3d result's rows past the last group belong to no group: zero them, as the contract says.
void zeroRowsPastLastGroup(const TensorView& out, const std::vector<GroupRange>& groups);

}  // namespace mxjit::runtime
