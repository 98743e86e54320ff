#include "Parallel.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>

namespace mxjit::runtime {
namespace {

struct Range {
  int64_t begin, end;
};

std::vector<Range> groupRows(std::span<const int32_t> offs, int64_t m) {
  if (offs.empty()) return {{0, m}};  // ungrouped: one group of every row
  std::vector<Range> groups;
  int64_t begin = 0;
  for (int32_t end : offs) groups.push_back({begin, end}), begin = end;
  return groups;
}

}  // namespace

std::vector<abi::WorkItem> workItems(const plan::KernelPlan& plan, const plan::Stage& stage, std::span<const int32_t> offs,
                                     int64_t m, GroupRows rows) {
  const std::vector<Range> groups = groupRows(offs, m);
  std::vector<abi::WorkItem> items;
  int64_t scaleRow = 0;  // grouped quantize: first scale row of each group
  for (int64_t g = 0; g < static_cast<int64_t>(groups.size()); ++g) {
    const Range r = groups[g];
    const bool skipped = (stage.skipEmptyGroups && r.begin == r.end) || !rows.takes(r.end - r.begin);
    if (!skipped) switch (stage.grid) {
    case plan::ItemGrid::GroupPanels:
    case plan::ItemGrid::GroupColumnTiles:
      for (int64_t t = 0; t < stage.tiles; ++t) items.push_back({g, r.begin, r.end, t, scaleRow});
      break;
    case plan::ItemGrid::GroupRowTiles:
      for (int64_t row = r.begin; row < r.end; row += plan.rowsPerItem)
        items.push_back({g, row, std::min<int64_t>(row + plan.rowsPerItem, r.end), 0, 0});
      break;
    case plan::ItemGrid::RowTiles: break;
    }
    scaleRow += (r.end - r.begin + plan.a.block - 1) / plan.a.block;
  }
  if (stage.grid == plan::ItemGrid::RowTiles)
    for (int64_t row = 0; row < m; row += plan.rowsPerItem) items.push_back({0, row, std::min<int64_t>(row + plan.rowsPerItem, m), 0, 0});
  return items;
}

void zeroRowsPastLastGroup(const TensorView& out, const std::vector<GroupRange>& groups) {
  const int64_t rows = out.dim(0), last = groups.empty() ? 0 : groups.back().end;
  if (last >= rows) return;
  const int64_t rowBytes = out.nbytes() / rows;
  if (rowBytes == 0) return;  // zero columns: nothing to clear, and the data pointer may be null
  std::memset(static_cast<char*>(out.data) + last * rowBytes, 0, static_cast<size_t>((rows - last) * rowBytes));
}

namespace {

// A grow-only buffer per thread: calls on the hot path reuse their panels instead of mapping fresh
// memory each time. Panels are fully written by the packing stages before any read that matters, so
// they are never zeroed.
float* threadBuffer(int which, int64_t floats) {
  thread_local std::unique_ptr<float[]> buffers[3];
  thread_local int64_t sizes[3] = {0, 0, 0};
  if (sizes[which] < floats) {
    buffers[which].reset(new float[static_cast<size_t>(floats)]);
    sizes[which] = floats;
  }
  return buffers[which].get();
}

}  // namespace

void runKernel(const Kernel& kernel, abi::KernelArgs args, std::span<const int32_t> offs, const RuntimeOptions& options,
               GroupRows rows) {
  const plan::KernelPlan& plan = kernel.plan;
  args.packedA = threadBuffer(0, std::max<int64_t>(plan.packedAFloats(args.m), 1));
  args.packedB = threadBuffer(1, std::max<int64_t>(plan.packedBFloats(args.m), 1));
  const int64_t scratchFloats = std::max<int64_t>(plan.threadScratchFloats(), 1);
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  for (size_t s = 0; s < plan.stages.size(); ++s) {
    const std::vector<abi::WorkItem> items = workItems(plan, plan.stages[s], offs, args.m, rows);
    const abi::KernelFn entry = kernel.entries[s];
    const int64_t count = static_cast<int64_t>(items.size());
    if (count == 0) continue;
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) if (count > 1)
    {
      float* scratch = threadBuffer(2, scratchFloats);
#pragma omp for schedule(dynamic, 1)
      for (int64_t i = 0; i < count; ++i) entry(&args, &items[i], scratch);
    }
    if (options.timeStages)
      fmt::print(stderr, "mxjit,stage,{}.{},{},{:.3f}\n", plan.stem, plan.stages[s].name, count,
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
}

}  // namespace mxjit::runtime
