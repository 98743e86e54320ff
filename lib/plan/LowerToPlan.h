// lower-to-plan (with select-microkernel): a specialised module holding one grouped_mm or one quantize
// whose operands are function arguments becomes a KernelPlan for the chosen microkernel.
#pragma once
#include "ir/Op.h"
#include "plan/KernelPlan.h"

namespace mxjit::plan {

/// The microkernel for a target: AMX-BF16 where tiles are usable, else AVX512-BF16 where vdpbf16ps is,
/// else AVX-512, else portable.
Microkernel selectMicrokernel(bool avx512, bool avx512bf16, bool amx = false);

/// Throws Error(Unsupported) naming what the kernels cannot do yet (e.g. a 2d2d prequantized operand,
/// a quantize along a middle axis, several ops left after fusion).
KernelPlan lowerToPlan(const ir::Module& m, Microkernel micro, const PlanOptions& options = {});

}  // namespace mxjit::plan
