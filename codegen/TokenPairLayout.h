// Part of the kernel ABI (the runtime sizes these buffers from the plan). Where the 2d2d (wgrad) bf16 operands live: the contraction runs over tokens, packed as pairs (tokens
// t, t+1 of one group in one dword), and each operand is cut into panels of P columns, every panel holding
// all the call's token pairs: word (pair, c) = ((c / P) * pairRows + pair) * P + c % P. A microtile then
// streams contiguous memory; row-major pairs (stride = all columns) put every step on the same cache set.
#pragma once
#include <stdint.h>

namespace mxjit::helpers {

constexpr int64_t kTokenPanelA = 16;  // K columns of the activation operand per panel (two 8-row microtiles)
constexpr int64_t kTokenPanelB = 32;  // N columns of the gradient operand per panel (one microtile)

/// Pair rows reserved per panel: at least the call's sum over groups of ceil(size / 2).
inline int64_t tokenPairRows(int64_t m, int64_t groups) { return (m + groups) / 2 + 1; }

inline int64_t roundUpToPanel(int64_t cols, int64_t panel) { return (cols + panel - 1) / panel * panel; }

inline int64_t tokenPairWord(int64_t pair, int64_t c, int64_t panel, int64_t pairRows) {
  return ((c / panel) * pairRows + pair) * panel + c % panel;
}

}  // namespace mxjit::helpers
