// lower-to-plan (with select-microkernel): a specialised module holding one grouped_mm or one quantize
// whose operands are function arguments becomes a KernelPlan for the chosen microkernel.
#pragma once
#include "ir/Op.h"
#include "plan/KernelPlan.h"

namespace mxjit::plan {

/// The microkernel for a host: AVX-512 when the target has avx512f, else the portable path.
Microkernel selectMicrokernel(bool targetHasAvx512);

/// Throws Error(Unsupported) naming what the kernels cannot do yet (e.g. a 2d2d prequantized operand,
/// a quantize along a middle axis, several ops left after fusion).
KernelPlan lowerToPlan(const ir::Module& m, Microkernel micro, const PlanOptions& options = {});

}  // namespace mxjit::plan
