// The pipeline: every pass in the order it runs, each with the reason for its place. mxjit-opt
// --passes= and the dump file names use these names.
#include "passes/Passes.h"

#include <array>

namespace mxjit::passes {
namespace {

constexpr std::array<PassInfo, 6> kPipeline = {{
    {"verify", "check the input first, so every later pass may rely on well-formed, well-typed IR",
     &verify},
    {"expand-recipe",
     "turn a named recipe and role into each operand's concrete quantization (qa/qb) first, so every later "
     "pass sees formats, never names",
     &expandRecipe},
    {"canonicalize-layouts",
     "move transposes past quantize and collapse them, so each transpose left sits right before its "
     "consumer",
     &canonicalizeLayouts},
    {"fold-relayouts",
     "turn transposes feeding a grouped_mm into operand layouts; needs canonical transposes, and must run "
     "before fuse-quantize so the quantize it uncovers becomes the operand",
     &foldRelayouts},
    {"fuse-quantize",
     "move quantizes that only feed a grouped_mm into its prologue (qa/qb); needs the final operand "
     "layouts to know the contraction axis",
     &fuseQuantize},
    {"specialize",
     "bind every size known at the call but the dynamic dims; last, since the rewrites above do not "
     "depend on sizes and the result is what the plan and the kernel cache key see",
     &specialize},
}};

}  // namespace

std::span<const PassInfo> pipeline() { return kPipeline; }

const PassInfo* findPass(std::string_view name) {
  for (const PassInfo& p : kPipeline)
    if (name == p.name) return &p;
  return nullptr;
}

}  // namespace mxjit::passes
