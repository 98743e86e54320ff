// Quantize / dequantize whole tensors (TensorView in, owning buffers out), with argument checks.
#pragma once
#include "mxjit/Recipe.h"
#include "mxjit/Tensor.h"
#include "support/HostTensor.h"

#include <vector>

namespace mxjit::formats {

/// An MX tensor: fp8 codes in the source's shape and one e8m0 code per block along `axis`
/// (the source shape with that axis divided by the block), both row-major ("plain" scale layout).
struct MXTensor {
  HostTensor qdata;   // dtype E4M3 or E5M2
  HostTensor scales;  // dtype E8M0
  ElemFormat elem = ElemFormat::E4M3;
  int block = 32;
  int axis = 0;  // non-negative
};

/// x must be F32 or BF16 (bf16 is widened exactly; never rounded through bf16 otherwise). `axis` may be
/// negative (-1 = last). Throws a named Error if the axis is out of range or block does not divide it.
MXTensor quantize(const TensorView& x, int axis, ElemFormat f, int block, ScaleMode mode);

/// To F32 (exact, §5.2) or BF16 (each product rounded once to bf16, §5.1).
HostTensor dequantize(const MXTensor& m, DType out);

/// The values of an F32 or BF16 tensor as floats (exact).
std::vector<float> widenToFloat(const TensorView& x, std::string_view what);

/// Resolve a possibly negative axis against rank; throws InvalidArgument naming `what` if out of range.
int normalizeAxis(int axis, int64_t rank, std::string_view what);

}  // namespace mxjit::formats
