// Part of the kernel ABI (the runtime sizes each thread's scratch from the plan): what the row-block
// weight-streaming stage (runtime/helpers/RowBlockGemm.h) keeps in its scratch, and so how much it needs.
#pragma once
#include <stdint.h>

namespace mxjit::helpers {

/// Largest 32-column panels per item: 2048 columns, a 4 KB run of each row per visit.
constexpr int64_t kRowBlockPanels = 64;
/// Token rows multiplied at a time (the accumulators of 8 rows x 32 columns fill 16 registers), and the
/// most a group may have (plan::fusedGroupRows): each panel block, quantized once, is multiplied by every
/// 8 of them.
constexpr int64_t kRowBlockRows = 8, kRowBlockMaxRows = 32;
/// A staged block's rows are this many values apart for `panels` panels: a line more than their run, since
/// rows N apart (N a power of two) share one L1 set.
constexpr int64_t rowBlockStagedStride(int64_t panels) { return 32 * panels + 32; }

/// Scratch floats: the panels' accumulators (32 rows x 32), two blocks' bounds (two registers a panel),
/// two staged blocks (32 rows of bf16), a panel block's 16 pair rows (32 words each), 64 bytes of alignment.
constexpr int64_t kRowBlockScratchFloats = kRowBlockMaxRows * kRowBlockPanels * 32 + 2 * kRowBlockPanels * 2 * 16 +
                                           2 * 32 * rowBlockStagedStride(kRowBlockPanels) / 2 + 16 * 32 + 16;

}  // namespace mxjit::helpers
