// The code generation target: the host's triple, CPU and features (from LLVM's host detection, never
// from the CPU's name), optionally capped to a portable ISA. No LLVM types here.
#pragma once
#include <string>

namespace mxjit::codegen {

/// Auto: the best the CPU has (AMX-BF16 tiles, else AVX512-BF16 dot products). Avx512Bf16: no AMX
/// (vdpbf16ps keeps the reference's summation order: bit-exact but for fp32 subnormals). Avx512: the
/// fp32 FMA microkernel (bit-exact, subnormals included). Portable: no AVX-512 at all.
enum class TargetCap { Auto, Avx512Bf16, Avx512, Portable };

struct Target {
  std::string triple;
  std::string cpu;       // LLVM's host CPU name (informational: features decide)
  std::string features;  // "+avx512f,+avx512bw,...,-amx-tile" as handed to the TargetMachine
  bool avx512 = false;      // avx512f usable (after the cap)
  bool avx512bf16 = false;  // vdpbf16ps usable and wanted (cap auto or avx512bf16 on a CPU with it)
  bool amx = false;         // AMX-BF16 tiles usable (CPU features and the kernel's permission) and wanted
  std::string name() const { return amx ? "amx" : avx512bf16 ? "avx512bf16" : avx512 ? "avx512" : "portable"; }
};

/// Parses "auto" | "avx512bf16" | "avx512" | "portable"; throws Error(InvalidArgument) otherwise.
TargetCap parseTargetCap(const std::string& s);

/// The host target under `cap`: Portable turns off every AVX-512 feature (the vector code then uses
/// AVX2/SSE); Avx512 and Avx512Bf16 require the host to have them (Error(Unsupported) otherwise). Auto
/// on a CPU with AMX-BF16 asks Linux for tile state once per process (arch_prctl); if refused, no AMX.
Target hostTarget(TargetCap cap);

}  // namespace mxjit::codegen
