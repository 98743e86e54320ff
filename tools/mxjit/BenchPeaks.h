// The machine's limits, measured on the spot for `mxjit bench`: fp32 FMA peak (AVX-512, or AVX2 where
// AVX-512 is missing), AVX512-BF16 vdpbf16ps and AMX-BF16 tdpbf16ps peaks where the CPU has them, and memory
// read bandwidth. Each loop runs on `threads` OpenMP threads; the best of a few repetitions is kept.
#pragma once
#include <cstddef>

namespace mxjit::cli {

struct CpuFeatures {
  bool avx2Fma = false;
  bool avx512f = false;
  bool avx512Bf16 = false;
  bool amxBf16 = false;  // AMX-BF16 and AMX-TILE
};

/// From CPUID (not the OS's XSAVE state: a hypervisor that hides AMX state also hides the CPUID bits).
CpuFeatures cpuFeatures();

/// fp32 FMA GFLOP/s of register-resident FMA chains (2 flops per lane); AVX-512 where present, else
/// AVX2+FMA; 0 if neither.
double measureFp32FmaGflops(int threads);
/// vdpbf16ps GFLOP/s (a 512-bit vdpbf16ps is 32 bf16 pairs: 64 flops); 0 without AVX512-BF16.
double measureBf16DotGflops(int threads);
/// tdpbf16ps GFLOP/s on register-resident tiles (16x16x32 bf16 pairs: 16384 flops each); 0 without
/// AMX-BF16 or when Linux refuses the tile state.
double measureAmxBf16Gflops(int threads);
/// Read bandwidth in GB/s (1e9 bytes/s): a streaming sum over `bytes` (choose >> the last-level cache).
double measureReadGBps(int threads, size_t bytes);

}  // namespace mxjit::cli
