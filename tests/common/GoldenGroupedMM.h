// One torchao grouped_mm golden case, `<groups>_<mode>_bfloat16`: its inputs, the recipe it was made
// with, bf16 outputs of the right shapes to fill, and the expected outputs by file name.
#pragma once
#include "common/Golden.h"
#include "mxjit/Recipe.h"
#include "npy/Npy.h"
#include "support/HostTensor.h"

#include <string>

namespace mxjit::test {

struct GoldenGroupedMMCase {
  std::string dir;
  HostTensor a, w, offs, gradOut;  // A (M, K), W_enk (E, N, K), offs (E), grad_out (M, N)
  QuantRecipe recipe;              // e4m3 both ways, block 32, the case's scale mode
  HostTensor out, gradA, gradB;    // bf16 zeros: (M, N), (M, K), (E, K, N)

  /// The expected result stored as `<file>.npy`.
  HostTensor expected(const std::string& file) const { return npy::readNpy(dir + "/" + file + ".npy"); }
};

/// groups: "g1", "g4" or "g8"; mode: "rceil" or "floor".
inline GoldenGroupedMMCase readGoldenGroupedMM(const std::string& groups, const std::string& mode) {
  GoldenGroupedMMCase c;
  c.dir = goldenCase(groups + "_" + mode + "_bfloat16");
  c.a = npy::readNpy(c.dir + "/A.npy");
  c.w = npy::readNpy(c.dir + "/W_enk.npy");
  c.offs = npy::readNpy(c.dir + "/offs.npy");
  c.gradOut = npy::readNpy(c.dir + "/grad_out.npy");
  c.recipe = QuantRecipe{ElemFormat::E4M3, ElemFormat::E4M3, 32, parseScaleMode(mode)};
  const int64_t m = c.a.shape()[0], k = c.a.shape()[1], experts = c.w.shape()[0], n = c.w.shape()[1];
  c.out = HostTensor(DType::BF16, {m, n});
  c.gradA = HostTensor(DType::BF16, {m, k});
  c.gradB = HostTensor(DType::BF16, {experts, k, n});
  return c;
}

}  // namespace mxjit::test
