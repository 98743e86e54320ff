// MXFP8 weights packed once for the forward (inference, or weights reused across many calls), as the
// weight-streaming kernel reads them: it then decodes fp8 in registers and multiplies at once, where
// [E,N,K] or [E,K,N] codes need a transpose or a decoded copy on every call (decode shapes: about twice
// the weights per second). The layout is formats/PanelPackedWeights.h's; treat the bytes as opaque.
#pragma once
#include "mxjit/Recipe.h"

#include <cstdint>
#include <vector>

namespace mxjit {

struct PackedWeights {
  int64_t experts = 0, n = 0, k = 0;  // the logical weights: (E, K, N) = B_g of out_g = A_g @ B_g
  ElemFormat elem = ElemFormat::E4M3;
  int32_t block = 32;
  std::vector<uint8_t> codes;   // (E, ceil(N/16), K/4, 64)
  std::vector<uint8_t> scales;  // (E, ceil(N/16), K/32, 16) e8m0, then (E, ceil(N/16), K/32) flags
};

}  // namespace mxjit
