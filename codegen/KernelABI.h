// The one calling convention of every JIT kernel. Plain C layout: the runtime (g++), the kernel helpers
// (clang-19 to bitcode) and codegen all include this header and must agree byte for byte.
#pragma once
#include <stdint.h>

namespace mxjit::abi {

struct KernelArgs {
  const void* a;            // operand a: bf16/f32 values, or fp8 codes
  const uint8_t* aScales;   // e8m0 scales of a prequantized a (plain layout), else null
  const void* b;            // operand b
  const uint8_t* bScales;
  const int32_t* offs;      // group end offsets, `groups` of them
  void* out;                // result (bf16/f32), or fp8 codes for quantize kernels
  uint8_t* outScales;       // quantize kernels: e8m0 scales
  float* packedA;           // scratch panels of dequantized operands, owned by the runtime
  float* packedB;
  int64_t m;                // M_total: rows of the grouped operand (a runtime value)
  int64_t groups;
};

/// One unit of parallel work: a group, a row range inside it, a tile index and a stage-specific extra
/// (e.g. the first scale row of a group for grouped quantization).
struct WorkItem {
  int64_t group;
  int64_t begin, end;
  int64_t tile;
  int64_t aux;
};

/// Every kernel entry point: one work item; `scratch` is this thread's private panel.
typedef void (*KernelFn)(const KernelArgs* args, const WorkItem* item, float* scratch);

/// How a GEMM operand reaches the microkernel (codes passed as constants to the helpers).
enum OperandLoad : int32_t {
  kQuantizeBf16 = 0,       // bf16 in memory, MX-quantized and dequantized while packing (fused quantize)
  kQuantizeF32 = 1,        // f32 in memory, same
  kDequantize = 2,         // fp8 codes + plain e8m0 scales in memory
  kHighPrecisionBf16 = 3,  // bf16 used as is
  kHighPrecisionF32 = 4,   // f32 used as is
};

}  // namespace mxjit::abi
