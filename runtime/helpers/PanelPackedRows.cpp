// Compiled by the host compiler into the runtime library (see ColdPaths.h): the panel-packed forward's
// multiply, one instantiation per pass size and element format, which JIT-compiled cost more than the
// rest of its kernel together.
#include "ColdPaths.h"

// GCC 12 warns inside its own AVX-512 headers (an intentionally undefined operand).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "PanelPackedGemm.h"

using namespace mxjit;
using namespace mxjit::helpers;

extern "C" __attribute__((target("avx512f,avx512bf16,avx512bw,avx512vl"))) void mxjit_panel_pair_times_rows(
    const uint16_t* rows, int64_t nRows, int64_t stride, const PanelPair* pp, int64_t K, int32_t elem, void* out, int64_t outIndex,
    int64_t N, int32_t outBf16) {
  // A constant format per call below: the decode folds it in, as the JIT would.
  if (ElemFormat(elem) == ElemFormat::E5M2)
    panelPairTimesGroupRows(rows, nRows, stride, *pp, K, ElemFormat::E5M2, out, outIndex, N, outBf16);
  else
    panelPairTimesGroupRows(rows, nRows, stride, *pp, K, ElemFormat::E4M3, out, outIndex, N, outBf16);
}
