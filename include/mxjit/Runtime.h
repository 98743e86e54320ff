// The JIT runtime: compiles each specialised op on first use, caches the kernel (in memory and,
// optionally, on disk), and runs kernels in parallel. API setters win over MXJIT_* environment variables.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace mxjit {

struct RuntimeOptions {
  std::string target = "auto";  // auto|avx512bf16|avx512|portable (cap the ISA)          MXJIT_TARGET
  std::string cacheDir;         // on-disk object cache; empty = none               MXJIT_CACHE_DIR
  std::string dumpDir;          // every artefact of each compile                   MXJIT_DUMP_DIR
  bool printAfterAll = false;   // IR after each pass to stderr                     MXJIT_PRINT_AFTER_ALL
  bool timePasses = false;      // a line per pass with its time                    MXJIT_TIME_PASSES
  bool timeStages = false;      // a line per kernel stage run, with its time       MXJIT_TIME_STAGES
  int debug = 0;                // 1: a line per compile / cache event              MXJIT_DEBUG
  int threads = 0;              // OpenMP threads per call; 0 = OpenMP's default     MXJIT_THREADS
  std::string gemmPlan = "auto"; // 2d3d plan: auto | tiles (rows x all weights) | stream (panel by panel) MXJIT_GEMM_PLAN
  int compileThreads = 0;       // a kernel's stages compiled at once; 0 = the cores MXJIT_COMPILE_THREADS
  size_t cacheCapacity = 4096;  // kernels kept in memory; least recently used go   MXJIT_CACHE_CAPACITY
                                // first and their code is freed (0 = unbounded)

  /// Defaults overridden by the MXJIT_* variables that are set.
  static RuntimeOptions fromEnvironment();
};

struct RuntimeStats {
  uint64_t compiles = 0;    // kernels built by codegen in this runtime
  uint64_t diskHits = 0;    // kernels loaded from the on-disk cache instead
  uint64_t hits = 0;        // calls served by an already compiled kernel
  double compileMs = 0;     // total wall time of misses (IR, passes, codegen or disk load, linking)
  uint64_t kernels = 0;     // kernels held now
  uint64_t evictions = 0;   // kernels dropped to stay within cacheCapacity
};

class Runtime {
public:
  explicit Runtime(RuntimeOptions options = RuntimeOptions::fromEnvironment());
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// The process-wide runtime the ops use by default (options from the environment).
  static Runtime& global();

  RuntimeStats stats() const;
  const RuntimeOptions& options() const;  // as in effect: compileThreads resolved
  std::string targetName() const;  // "amx", "avx512bf16", "avx512" or "portable"

  struct Impl;
  Impl& impl() { return *impl_; }

private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxjit
