// The ops: MX quantize and the MXFP8 grouped GEMM forward and backward, JIT-compiled on first call.
// Tensors are row-major TensorViews; bad input throws mxjit::Error naming the argument and the rule.
#pragma once
#include "mxjit/PackedWeights.h"
#include "mxjit/Recipe.h"
#include "mxjit/Runtime.h"
#include "mxjit/Tensor.h"

namespace mxjit {

/// MX-quantize x (f32|bf16) along `axis` (-1: last; 0 of a 2-D tensor: along M) into qdata (x's shape,
/// e4m3|e5m2 or u8) and plain e8m0 scales. Along the last axis scales are x's shape with that dim /
/// block. Along axis 0 with `groupOffs` (i32 group ends), every group starts a fresh run of blocks
/// (last block zero-padded) and scales are (sum over groups of ceil(size/block), C); without, M must
/// be divisible by block and scales are (M/block, C).
void quantize(const TensorView& x, int axis, ElemFormat elem, int block, ScaleMode mode, const TensorView& qdata,
              const TensorView& scales, const TensorView* groupOffs = nullptr, Runtime& runtime = Runtime::global());

/// out[r,:] = A[r,:] @ B_g for the rows r of group g (mx-semantics.md §6.2): A (M,K), W (E,K,N) with
/// layout EKN or (E,N,K) with ENK, offs i32 (E,) group ends, out (M,N) bf16|f32 written in full (rows
/// past offs[E-1] are zero). Operands are quantized in recipe.fwdElem along K.
void grouped_mm(const TensorView& a, const TensorView& w, WeightLayout layout, const TensorView& offs,
                const QuantRecipe& recipe, const TensorView& out, Runtime& runtime = Runtime::global());

/// dgrad grad_a (M,K) = grad_out (M,N) @ B_g^T and wgrad grad_b (E,K,N) = A_g^T @ grad_out_g (§6.3-6.4),
/// grad_out quantized in recipe.gradElem. grad_b is always laid out [E,K,N].
void grouped_mm_backward(const TensorView& a, const TensorView& w, WeightLayout layout, const TensorView& offs,
                         const TensorView& gradOut, const QuantRecipe& recipe, const TensorView& gradA,
                         const TensorView& gradB, Runtime& runtime = Runtime::global());

/// The forward with prequantized weights (inference, or weights quantized once across micro-batches):
/// W's codes [E,N,K] (ENK) or [E,K,N] (EKN) quantized along K in any scale layout (Blocked128x4 and
/// PackedI32 for ENK only); A is quantized per `recipe` as above. The quantize of W is not run at all.
void grouped_mm(const TensorView& a, const MXTensorView& w, WeightLayout layout, const TensorView& offs,
                const QuantRecipe& recipe, const TensorView& out, Runtime& runtime = Runtime::global());

/// The same with prequantized activations too: A's codes [M,K] quantized along K.
void grouped_mm(const MXTensorView& a, const MXTensorView& w, WeightLayout layout, const TensorView& offs,
                const TensorView& out, Runtime& runtime = Runtime::global());

/// The forward on packed weights (pack_weights, PackedWeights.h), A quantized per `recipe` or prequantized (as the overloads above).
/// AVX512-BF16 hosts (AMX ones too); elsewhere Unsupported.
void grouped_mm(const TensorView& a, const PackedWeights& w, const TensorView& offs, const QuantRecipe& recipe,
                const TensorView& out, Runtime& runtime = Runtime::global());
void grouped_mm(const MXTensorView& a, const PackedWeights& w, const TensorView& offs, const TensorView& out,
                Runtime& runtime = Runtime::global());

/// Decode / small-M inference in flashinfer's zero-padding convention: A token-packed (cum_m, K) with
/// no padding between experts, expert e's tokens at rows [m_indptr[e], m_indptr[e+1]) (m_indptr: i32
/// (E+1,), starting at 0 and ending at cum_m); prequantized A scales in PackedI32 are flashinfer's
/// a_scale (4-row per-expert padding). Every grouped_mm whose groups all hold <= 16 rows takes the same
/// weight-streaming plan, which reads each active expert's weights exactly once.
void grouped_mm_decode(const TensorView& a, const TensorView& mIndptr, const MXTensorView& w, WeightLayout layout,
                       const QuantRecipe& recipe, const TensorView& out, Runtime& runtime = Runtime::global());
void grouped_mm_decode(const MXTensorView& a, const TensorView& mIndptr, const MXTensorView& w, WeightLayout layout,
                       const TensorView& out, Runtime& runtime = Runtime::global());
/// The same on packed weights (pack_weights).
void grouped_mm_decode(const TensorView& a, const TensorView& mIndptr, const PackedWeights& w, const QuantRecipe& recipe,
                       const TensorView& out, Runtime& runtime = Runtime::global());

}  // namespace mxjit
