// The code generation target: the host's triple, CPU and features (from LLVM's host detection, never
// from the CPU's name), optionally capped to a portable ISA. No LLVM types here.
#pragma once
#include <string>

namespace mxjit::codegen {

/// Auto: the best the CPU has (AVX512-BF16 dot products where present). Avx512: AVX-512 with the fp32
/// FMA microkernel (bit-exact with the reference, subnormals included). Portable: no AVX-512 at all.
enum class TargetCap { Auto, Avx512, Portable };

struct Target {
  std::string triple;
  std::string cpu;       // LLVM's host CPU name (informational: features decide)
  std::string features;  // "+avx512f,+avx512bw,...,-amx-tile" as handed to the TargetMachine
  bool avx512 = false;      // avx512f usable (after the cap)
  bool avx512bf16 = false;  // vdpbf16ps usable and wanted (cap auto on a CPU with avx512bf16)
  bool amxBf16 = false;  // reported for the performance work; no AMX kernels yet
  std::string name() const { return avx512bf16 ? "avx512bf16" : avx512 ? "avx512" : "portable"; }
};

/// Parses "auto" | "avx512" | "portable"; throws Error(InvalidArgument) otherwise.
TargetCap parseTargetCap(const std::string& s);

/// The host target under `cap`: Portable turns off every AVX-512 feature (the vector code then uses
/// AVX2/SSE); Avx512 requires the host to have avx512f (Error(Unsupported) otherwise).
Target hostTarget(TargetCap cap);

}  // namespace mxjit::codegen
