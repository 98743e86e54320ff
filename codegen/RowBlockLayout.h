// Part of the kernel ABI (the runtime sizes each thread's scratch from the plan): what the row-block
// weight-streaming stage (runtime/helpers/RowBlockGemm.h) keeps in its scratch, and so how much it needs.
#pragma once
#include <stdint.h>

namespace mxjit::helpers {

/// Largest 32-column panels per item: 2048 columns, a 4 KB run of each row per visit.
constexpr int64_t kRowBlockPanels = 64;
/// Token rows an item multiplies per pass over its weights (plan::kColumnTileRows).
constexpr int64_t kRowBlockRows = 8;
/// A staged block's rows are this many values apart for `panels` panels: a line more than their run, since
/// rows N apart (N a power of two) share one L1 set.
constexpr int64_t rowBlockStagedStride(int64_t panels) { return 32 * panels + 32; }

/// Scratch floats: the panels' accumulators (8 rows x 32), two blocks' bounds (two registers a panel),
/// two staged blocks (32 rows of bf16), 64 bytes of alignment.
constexpr int64_t kRowBlockScratchFloats = kRowBlockPanels * kRowBlockRows * 32 + 2 * kRowBlockPanels * 2 * 16 +
                                           2 * 32 * rowBlockStagedStride(kRowBlockPanels) / 2 + 16;

}  // namespace mxjit::helpers
