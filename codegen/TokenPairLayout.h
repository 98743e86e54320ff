// Part of the kernel ABI (the runtime sizes these buffers from the plan): where the 2d2d (wgrad) bf16
// operands live. The contraction runs over tokens, packed as pairs (tokens t, t+1 of one group in one
// dword); each group's pairs start at firstPair (rounded up to pairPad) and are zero-padded up to it.
//  - panels of `panel` columns, every panel holding all the call's pairs: word (pair, c) =
//    ((c / panel) * pairRows + pair) * panel + c % panel. A microtile streams contiguous memory (row-major
//    pairs, stride = all columns, put every step on one cache set). The vdpbf16ps operands and AMX's B.
//  - panel 0, column-major: word (pair, c) = c * pairRows + pair, each column's pairs contiguous: AMX's A
//    (a tile row is one output row's 16 pairs).
// vdpbf16ps adds a pair's high half first, so its operands keep even tokens there; AMX's pairs are natural.
#pragma once
#include <stdint.h>

namespace mxjit::helpers {

struct TokenPairLayout {
  int64_t panel;     // columns per panel; 0: column-major
  int64_t pairRows;  // pairs reserved per panel (per column when column-major)
  int64_t pairPad;   // each group's pairs start on, and are zero-padded to, a multiple of this
  bool natural;      // token t's even member in the low half (AMX) rather than the high half

  int64_t word(int64_t pair, int64_t c) const {
    return panel ? ((c / panel) * pairRows + pair) * panel + c % panel : c * pairRows + pair;
  }
  /// The half (0 low, 1 high) of its pair's word that group-relative token t fills.
  int slot(int64_t t) const { return static_cast<int>(t % 2) ^ (natural ? 0 : 1); }
  int64_t paddedPairs(int64_t tokens) const { return ((tokens + 1) / 2 + pairPad - 1) / pairPad * pairPad; }
  /// Words the buffer needs for `cols` columns (column-major: 32-row AMX slabs may read past `cols`).
  int64_t words(int64_t cols) const {
    const int64_t step = panel ? panel : 32;
    return (cols + step - 1) / step * step * pairRows;
  }
};

/// The layouts of operand `which` (0: the activations, K columns; 1: the output gradient, N columns) for
/// a call of m rows in `groups` groups.
inline TokenPairLayout vdpbf16TokenLayout(int which, int64_t m, int64_t groups) {
  return {which ? 32 : 16, (m + groups) / 2 + 1, 1, false};
}
inline TokenPairLayout amxTokenLayout(int which, int64_t m, int64_t groups) {
  return {which ? 32 : 0, (m + 31 * groups) / 2 + 1, 16, true};
}

}  // namespace mxjit::helpers
