#include "support/Env.h"

#include "mxjit/Error.h"

#include <cstdlib>
#include <string>

namespace mxjit {
namespace {

constexpr EnvVar kEnvVars[] = {
    {"MXJIT_DEBUG", "1: one greppable line per compile, disk hit and error (mxjit,compile,<stem>,<ms>); 2: also cache hits"},
    {"MXJIT_DUMP_DIR", "write every compile's artefacts there: <stem>.NN-<pass>.mxir, .plan.txt, .ll, .opt.ll, .s"},
    {"MXJIT_PRINT_AFTER_ALL", "1: print the IR after every pass to stderr"},
    {"MXJIT_TIME_PASSES", "1: print each pass's and each codegen phase's wall time (mxjit,pass|codegen,<name>,<ms>)"},
    {"MXJIT_TIME_STAGES", "1: print each kernel stage's wall time on every call (mxjit,stage,<entry>,<items>,<ms>)"},
    {"MXJIT_TARGET", "auto | avx512bf16 | avx512 | portable: cap the instruction set of generated kernels"},
    {"MXJIT_CACHE_DIR", "directory of the on-disk object cache (off when unset)"},
    {"MXJIT_THREADS", "OpenMP threads per op call (default: OpenMP's)"},
    {"MXJIT_GEMM_PLAN", "auto | tiles | stream: force the 2d3d GEMM plan (auto: stream weight panels for small and medium groups)"},
    {"MXJIT_COMPILE_THREADS", "threads compiling one kernel's stages (default: the hardware threads; 1: serial)"},
    {"MXJIT_CACHE_CAPACITY", "kernels kept in memory before the least recently used are evicted (default 4096, 0: no bound)"},
};

}  // namespace

std::span<const EnvVar> envVars() { return kEnvVars; }

std::optional<std::string> envValue(std::string_view name) {
  bool known = false;
  for (const EnvVar& v : kEnvVars) known |= v.name == name;
  if (!known) internalError(__FILE__, __LINE__, "unknown environment variable " + std::string(name));
  const char* value = std::getenv(std::string(name).c_str());
  if (!value || !*value) return std::nullopt;
  return std::string(value);
}

}  // namespace mxjit
