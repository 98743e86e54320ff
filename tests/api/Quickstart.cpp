// The README's example, built and run by ctest so it cannot rot.
#include <mxjit/mxjit.h>

#include <cstdio>
#include <vector>

int main() {
  // 3 experts, 100 tokens routed [40, 0, 60], K=256, N=128, weights stored [E,N,K] as torchao keeps them.
  const int64_t M = 100, K = 256, N = 128, E = 3;
  std::vector<float> a(M * K, 0.5f), w(E * N * K, 0.25f), out(M * N);
  std::vector<int32_t> offs = {40, 40, 100};  // cumulative group ends

  mxjit::TensorView A{a.data(), mxjit::DType::F32, {M, K}};
  mxjit::TensorView W{w.data(), mxjit::DType::F32, {E, N, K}};
  mxjit::TensorView Offs{offs.data(), mxjit::DType::I32, {E}};
  mxjit::TensorView Out{out.data(), mxjit::DType::F32, {M, N}};
  mxjit::QuantRecipe recipe;  // MXFP8: E4M3 operands and gradients, block 32, RCEIL scales

  mxjit::grouped_mm(A, W, mxjit::WeightLayout::ENK, Offs, recipe, Out);  // compiles on first call
  mxjit::grouped_mm(A, W, mxjit::WeightLayout::ENK, Offs, recipe, Out);  // served from the cache
  const mxjit::RuntimeStats s = mxjit::Runtime::global().stats();
  std::printf("out[0] = %g (exact: %g); %llu compile (%.1f ms), %llu cache hit\n", out[0], 0.5 * 0.25 * K,
              static_cast<unsigned long long>(s.compiles), s.compileMs, static_cast<unsigned long long>(s.hits));
  return out[0] == 32.0f && s.compiles == 1 && s.hits == 1 ? 0 : 1;
}
