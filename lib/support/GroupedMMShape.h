// Argument checks of the grouped GEMM, shared by the scalar reference and the JIT API so both reject
// the same inputs with the same messages. Each returns the problem's sizes and validated groups.
#pragma once
#include "mxjit/Recipe.h"
#include "mxjit/Tensor.h"
#include "support/GroupOffsets.h"

#include <vector>

namespace mxjit {

struct GroupedMMShape {
  int64_t m = 0, k = 0, n = 0, experts = 0;
  std::vector<GroupRange> groups;
};

/// A (M,K) f32|bf16; W (E,K,N) for EKN or (E,N,K) for ENK, f32|bf16; offs i32 (E,); out (M,N)
/// f32|bf16; K divisible by the block.
GroupedMMShape checkForward(const TensorView& a, const TensorView& w, WeightLayout layout, const TensorView& offs,
                            const QuantRecipe& recipe, const TensorView& out);
/// grad_out (M,N); W as above; grad_a (M,K); N divisible by the block.
GroupedMMShape checkDgrad(const TensorView& gradOut, const TensorView& w, WeightLayout layout, const TensorView& offs,
                          const QuantRecipe& recipe, const TensorView& gradA);
/// A (M,K) and grad_out (M,N) with the same M; grad_b (E,K,N) with E = offs length.
GroupedMMShape checkWgrad(const TensorView& a, const TensorView& gradOut, const TensorView& offs,
                          const QuantRecipe& recipe, const TensorView& gradB);

}  // namespace mxjit
