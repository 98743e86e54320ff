// Scalar reference MXFP8 grouped GEMM: forward, dgrad and wgrad exactly as torchao's emulated path
// (mx-semantics.md §6): quantize each operand along its contraction axis, dequantize to bf16, multiply
// with fp32 accumulation in ascending index order, round once to the output dtype. Operands the recipe
// leaves unquantized (the bf16 recipe; wgrad with wgradHighPrecision) are used as they are.
#pragma once
#include "mxjit/Recipe.h"
#include "mxjit/Tensor.h"

namespace mxjit::reference {

/// out[r, :] = A[r, :] @ B_g for r in group g, with B_g = W[g] (layout EKN) or W[g]^T (layout ENK).
/// A: (M, K) f32|bf16, quantized along K in recipe.fwdElem. W: (E, K, N) or (E, N, K) f32|bf16,
/// quantized along K in recipe.fwdElem. offs: (E,) i32 group ends. out: (M, N) f32|bf16, written in
/// full: rows past offs[E-1] are zero. K must be a multiple of the block.
void groupedMMForward(const TensorView& a, const TensorView& w, WeightLayout layout, const TensorView& offs,
                      const QuantRecipe& recipe, const TensorView& out);

/// grad_A[r, :] = grad_out[r, :] @ B_g^T. grad_out: (M, N) quantized along N in recipe.gradElem;
/// W quantized along N in recipe.fwdElem. grad_a: (M, K). N must be a multiple of the block.
void groupedMMDgrad(const TensorView& gradOut, const TensorView& w, WeightLayout layout, const TensorView& offs,
                    const QuantRecipe& recipe, const TensorView& gradA);

/// grad_B[g] = A_g^T @ grad_out_g, shape (E, K, N). A (fwdElem) and grad_out (gradElem) are quantized
/// along M, every group starting a fresh run of blocks and its last partial block zero-padded (§6.4),
/// so neither M nor group sizes need be multiples of the block. Empty groups give zeros.
void groupedMMWgrad(const TensorView& a, const TensorView& gradOut, const TensorView& offs, const QuantRecipe& recipe,
                    const TensorView& gradB);

}  // namespace mxjit::reference
