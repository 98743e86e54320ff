// mxjit: the command-line entry point (demo = the main job, quantize, grouped-mm, bench).
#include "Commands.h"
#include "mxjit/Error.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstring>
#include <exception>

namespace {

constexpr const char* kUsage = R"(usage: mxjit <command> [flags]

commands:
  demo         run a built-in MoE-shaped MXFP8 grouped GEMM (forward, dgrad, wgrad) and check it
  quantize     --input X.npy --input-dtype f32|bf16 --elem e4m3|e5m2 --mode floor|rceil|ceil|even
               --block 32 [--axis -1] --qdata Q.npy --scale S.npy [--engine jit|reference]
  grouped-mm   --a A.npy --b W.npy --b-layout enk|ekn --offs OFFS.npy --out OUT.npy [--recipe NAME]
               [--elem e4m3] [--grad-elem e4m3|e5m2] [--mode floor|rceil|ceil|even] [--block 32]
               [--out-dtype bf16|f32] [--grad-out DO.npy --grad-a GA.npy --grad-b GB.npy]
               [--engine jit|reference]
               recipes: mxfp8_e4m3 (default), mxfp8_e4m3_floor, mxfp8_e4m3_e5m2grad,
               mxfp8_e4m3_wgrad_hp, mxfp8_e4m3_b128, bf16; explicit flags override the recipe's fields
  bench        [--shape M,K,N,G]... [--groups uniform|jagged] [--pass fwd|dgrad|wgrad|step|quantize[,...]]
               [--threads N] [--rounds 3] [--round-ms 250] [--engines mxjit,mxjit_packed,onednn,reference]
               [--json FILE]
               the JIT (mxjit_packed: the forward on weights packed once) against oneDNN bf16 matmul (plain
               and prepacked weights) and the scalar reference, with the machine's peaks measured on the
               spot; --json FILE also writes FILE's .txt twin

bf16 tensors travel as '<u2' bit patterns, fp8 and e8m0 as '|u1', offsets as '<i4'.
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::span<char* const> rest(argv + 2, static_cast<size_t>(argc - 2));
  const std::string_view command = argv[1];
  try {
    if (command == "demo") return mxjit::cli::runDemo(rest);
    if (command == "quantize") return mxjit::cli::runQuantize(rest);
    if (command == "grouped-mm") return mxjit::cli::runGroupedMM(rest);
    if (command == "bench") return mxjit::cli::runBench(rest);
    fmt::print(stderr, "mxjit: error: unknown command '{}' (expected demo, quantize, grouped-mm or bench)\n", command);
    return 2;
  } catch (const mxjit::Error& e) {
    fmt::print(stderr, "mxjit {}: error: {}\n", command, e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "mxjit {}: internal error: {}\n", command, e.what());
  }
  return 1;
}
