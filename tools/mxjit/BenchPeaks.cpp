// Peak loops for `mxjit bench`. This file is compiled with -mavx512f (tools/mxjit/CMakeLists.txt), so
// it includes no C++ library headers: an inline function instantiated here could be kept by the linker
// for the whole program and carry AVX-512 into code that runs on machines without it. Every AVX-512
// loop runs only after CPUID says the CPU has the instructions.
#include "BenchPeaks.h"

#include "AmxPermission.h"
#include "MicrokernelAmx.h"

#include <cpuid.h>
#include <immintrin.h>
#include <omp.h>
#include <stdlib.h>

namespace mxjit::cli {
namespace {

constexpr int kRepeats = 7;  // best of (the cores may be shared: the best run is the machine's)

// Runs body(iterations) on every thread at once; returns the best wall time over kRepeats in seconds.
template <class Body> double bestParallelSeconds(int threads, long iterations, Body body) {
  double best = 1e30;
  float sink = 0;
  for (int r = 0; r < kRepeats; ++r) {
    const double start = omp_get_wtime();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    sink += body(iterations);
    const double seconds = omp_get_wtime() - start;
    if (seconds < best) best = seconds;
  }
  // The chains' results feed a volatile store so no loop is dead code.
  volatile float keep = sink;
  (void)keep;
  return best;
}

// Sum of the 16 lanes (not _mm512_reduce_add_ps: GCC 12 warns inside it about an undefined operand).
float lanesSum(__m512 v) {
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, v);
  float out = 0;
  for (float x : lanes) out += x;
  return out;
}

// Named accumulators (an array could live in memory at -O2). 24 independent chains cover latency x
// ports of the FMA and vdpbf16ps units of current x86 cores (e.g. 4-6 cycles x 2 pipes) with room.
#define MXJIT_12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define MXJIT_24(X) MXJIT_12(X) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23)
constexpr int kChains = 24;

float fmaChainsAvx512(long iterations) {
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-6f);
#define INIT(j) __m512 a##j = _mm512_set1_ps(0.05f * (j + 1));
#define STEP(j) a##j = _mm512_fmadd_ps(a##j, x, y);
#define SUM(j) s = _mm512_add_ps(s, a##j);
  MXJIT_24(INIT)
  for (long i = 0; i < iterations; ++i) { MXJIT_24(STEP) }
  __m512 s = _mm512_setzero_ps();
  MXJIT_24(SUM)
#undef INIT
#undef STEP
#undef SUM
  return lanesSum(s);
}

__attribute__((target("avx2,fma"))) float fmaChainsAvx2(long iterations) {
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-6f);
#define INIT(j) __m256 a##j = _mm256_set1_ps(0.05f * (j + 1));
#define STEP(j) a##j = _mm256_fmadd_ps(a##j, x, y);
#define SUM(j) s = _mm256_add_ps(s, a##j);
  MXJIT_12(INIT)  // 16 ymm registers only
  for (long i = 0; i < iterations; ++i) { MXJIT_12(STEP) }
  __m256 s = _mm256_setzero_ps();
  MXJIT_12(SUM)
#undef INIT
#undef STEP
#undef SUM
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  float out = 0;
  for (float v : lanes) out += v;
  return out;
}

// vdpbf16ps chains; each step adds 32 bf16 products per 16 fp32 lanes (64 flops).
__attribute__((target("avx512bf16,avx512f"))) float bf16DotChains(long iterations) {
  const __m512bh x = (__m512bh)_mm512_set1_epi16(0x3F80);  // bf16 1.0
  const __m512bh y = (__m512bh)_mm512_set1_epi16(0x3380);  // bf16 2^-24
#define INIT(j) __m512 a##j = _mm512_set1_ps(float(j));
#define STEP(j) a##j = _mm512_dpbf16_ps(a##j, x, y);
#define SUM(j) s = _mm512_add_ps(s, a##j);
  MXJIT_24(INIT)
  for (long i = 0; i < iterations; ++i) { MXJIT_24(STEP) }
  __m512 s = _mm512_setzero_ps();
  MXJIT_24(SUM)
#undef INIT
#undef STEP
#undef SUM
  return lanesSum(s);
}

// tdpbf16ps on four accumulator tiles from operand tiles loaded once: each 16x16x32 step is 16384 flops.
// The tile configuration is the kernels' own (helpers::amxConfigure: every tile 16 rows x 64 bytes).
__attribute__((target("amx-tile,amx-bf16,avx512f,avx512bf16"))) float amxTileChains(long iterations) {
  alignas(64) unsigned short operand[16 * 32];
  for (int i = 0; i < 16 * 32; ++i) operand[i] = 0x3380;  // bf16 2^-24: sums stay finite
  alignas(64) float out[16 * 16];
  helpers::amxConfigure();
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, operand, 64);
  _tile_loadd(5, operand, 64);
  _tile_loadd(6, operand, 64);
  _tile_loadd(7, operand, 64);
  for (long i = 0; i < iterations; ++i) {
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, out, 64);
  _tile_release();
  return out[0];
}

// Sum of a float buffer with 4 independent 512-bit accumulators (aligned, n a multiple of 64).
float streamSum(const float* p, long n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  for (long i = 0; i < n; i += 64) {
    s0 = _mm512_add_ps(s0, _mm512_load_ps(p + i));
    s1 = _mm512_add_ps(s1, _mm512_load_ps(p + i + 16));
    s2 = _mm512_add_ps(s2, _mm512_load_ps(p + i + 32));
    s3 = _mm512_add_ps(s3, _mm512_load_ps(p + i + 48));
  }
  return lanesSum(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

__attribute__((target("avx2"))) float streamSumAvx2(const float* p, long n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  for (long i = 0; i < n; i += 32) {
    s0 = _mm256_add_ps(s0, _mm256_load_ps(p + i));
    s1 = _mm256_add_ps(s1, _mm256_load_ps(p + i + 8));
    s2 = _mm256_add_ps(s2, _mm256_load_ps(p + i + 16));
    s3 = _mm256_add_ps(s3, _mm256_load_ps(p + i + 24));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  float out = 0;
  for (float v : lanes) out += v;
  return out;
}

// Iterations that make one repetition last about `seconds` at a guessed `flopsPerIteration` rate of
// 100 GFLOP/s per thread (a guess; only the duration depends on it).
long iterationsFor(double seconds, double flopsPerIteration) { return long(seconds * 1e11 / flopsPerIteration); }

}  // namespace

CpuFeatures cpuFeatures() {
  CpuFeatures f;
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_count(1, 0, &a, &b, &c, &d)) f.avx2Fma = (c >> 12) & 1;  // FMA
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.avx2Fma = f.avx2Fma && ((b >> 5) & 1);                 // AVX2
    f.avx512f = (b >> 16) & 1;                               // AVX512F
    f.amxBf16 = ((d >> 22) & 1) && ((d >> 24) & 1);          // AMX-BF16, AMX-TILE
  }
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx512Bf16 = f.avx512f && ((a >> 5) & 1);  // AVX512_BF16
  return f;
}

double measureFp32FmaGflops(int threads) {
  const CpuFeatures f = cpuFeatures();
  if (f.avx512f) {
    const long it = iterationsFor(0.05, kChains * 32);
    return double(threads) * double(it) * kChains * 32 / bestParallelSeconds(threads, it, fmaChainsAvx512) * 1e-9;
  }
  if (f.avx2Fma) {
    const long it = iterationsFor(0.05, 12 * 16);
    return double(threads) * double(it) * 12 * 16 / bestParallelSeconds(threads, it, fmaChainsAvx2) * 1e-9;
  }
  return 0;
}

double measureBf16DotGflops(int threads) {
  if (!cpuFeatures().avx512Bf16) return 0;
  const long it = iterationsFor(0.05, kChains * 64);
  return double(threads) * double(it) * kChains * 64 / bestParallelSeconds(threads, it, bf16DotChains) * 1e-9;
}

double measureAmxBf16Gflops(int threads) {
  const CpuFeatures f = cpuFeatures();
  if (!f.amxBf16 || !f.avx512Bf16 || !codegen::requestAmxTileState()) return 0;
  constexpr double kFlops = 4.0 * 16 * 16 * 32 * 2;
  const long it = iterationsFor(0.05, kFlops) * 8;  // AMX runs far above the 100 GFLOP/s guess
  return double(threads) * double(it) * kFlops / bestParallelSeconds(threads, it, amxTileChains) * 1e-9;
}

double measureReadGBps(int threads, size_t bytes) {
  const CpuFeatures f = cpuFeatures();
  const long n = long(bytes / sizeof(float)) / (64 * threads) * (64 * threads);
  float* buffer = static_cast<float*>(aligned_alloc(64, size_t(n) * sizeof(float)));
  if (!buffer || n == 0) return 0;
  // First touch on the threads that read, so pages sit where they are streamed from.
#pragma omp parallel for num_threads(threads) schedule(static)
  for (long i = 0; i < n; ++i) buffer[i] = 1.0f;
  const long perThread = n / threads;
  double best = 1e30;
  float sink = 0;
  for (int r = 0; r < kRepeats; ++r) {
    const double start = omp_get_wtime();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
      const float* p = buffer + long(omp_get_thread_num()) * perThread;
      sink += f.avx512f ? streamSum(p, perThread) : streamSumAvx2(p, perThread);
    }
    const double seconds = omp_get_wtime() - start;
    if (seconds < best) best = seconds;
  }
  volatile float keep = sink;
  (void)keep;
  free(buffer);
  return double(n) * sizeof(float) / best * 1e-9;
}

}  // namespace mxjit::cli
