// MXFP8 weights packed once for the forward (inference, or weights reused across many calls), as the
// kernels read them: the decode-size kernel then decodes fp8 in registers and multiplies at once, where
// [E,N,K] or [E,K,N] codes need a transpose or a decoded copy on every call (decode shapes: about twice
// the weights per second). Made only by pack_weights (Ops.h); the bytes (formats/PanelPackedWeights.h:
// codes, scales and the packer's flags for the exact decode) are read-only, so they stay consistent.
#pragma once
#include "mxjit/Recipe.h"
#include "mxjit/Tensor.h"

#include <cstdint>
#include <vector>

namespace mxjit {

class PackedWeights {
public:
  PackedWeights() = default;  // empty: every op refuses it

  int64_t experts() const { return experts_; }
  int64_t n() const { return n_; }  // the logical weights: B_g (K, N) of out_g = A_g @ B_g
  int64_t k() const { return k_; }
  ElemFormat elem() const { return elem_; }
  int32_t block() const { return block_; }
  const std::vector<uint8_t>& codes() const { return codes_; }    // (E, ceil(N/16), K/4, 64)
  const std::vector<uint8_t>& scales() const { return scales_; }  // (E, ceil(N/16), K/32, 16) e8m0, then flags
  int64_t bytes() const { return static_cast<int64_t>(codes_.size() + scales_.size()); }

private:
  friend PackedWeights pack_weights(const MXTensorView& w, WeightLayout layout);
  int64_t experts_ = 0, n_ = 0, k_ = 0;
  ElemFormat elem_ = ElemFormat::E4M3;
  int32_t block_ = 32;
  std::vector<uint8_t> codes_, scales_;
};

/// Prequantized weights (codes [E,N,K] for ENK or [E,K,N] for EKN, quantized along K, any scale layout)
/// packed once for grouped_mm (Ops.h). K must be a multiple of 32 and of the block, the block a
/// multiple of 32; Unsupported otherwise.
PackedWeights pack_weights(const MXTensorView& w, WeightLayout layout);

}  // namespace mxjit
