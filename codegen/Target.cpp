#include "Target.h"

#include "AmxPermission.h"
#include "LlvmInit.h"
#include "mxjit/Error.h"

#include <llvm/ADT/StringMap.h>
#include <llvm/TargetParser/Host.h>

#include <fmt/format.h>

#include <map>

namespace mxjit::codegen {

TargetCap parseTargetCap(const std::string& s) {
  if (s == "auto" || s.empty()) return TargetCap::Auto;
  if (s == "avx512bf16") return TargetCap::Avx512Bf16;
  if (s == "avx512") return TargetCap::Avx512;
  if (s == "portable") return TargetCap::Portable;
  throw Error(ErrorKind::InvalidArgument, fmt::format("unknown target '{}' (expected auto, avx512bf16, avx512 or portable)", s));
}

Target hostTarget(TargetCap cap) {
  initializeLlvm();
  Target t;
  t.triple = llvm::sys::getProcessTriple();
  t.cpu = llvm::sys::getHostCPUName().str();
  // Sorted so the feature string (part of every cache key) is stable.
  std::map<std::string, bool> features;
  for (const auto& f : llvm::sys::getHostCPUFeatures()) features[f.getKey().str()] = f.getValue();
  if (cap == TargetCap::Avx512 && !features["avx512f"])
    throw Error(ErrorKind::Unsupported, "target avx512 requested but this CPU has no AVX-512 (avx512f)");
  if (cap == TargetCap::Avx512Bf16 && !(features["avx512f"] && features["avx512bf16"]))
    throw Error(ErrorKind::Unsupported, "target avx512bf16 requested but this CPU has no AVX512-BF16");
  if (cap == TargetCap::Portable)
    for (auto& [name, on] : features)
      if (name.rfind("avx512", 0) == 0 || name.rfind("amx", 0) == 0 || name == "evex512") on = false;
  for (const auto& [name, on] : features) t.features += (t.features.empty() ? "" : ",") + std::string(on ? "+" : "-") + name;
  t.avx512 = features["avx512f"];
  t.avx512bf16 = (cap == TargetCap::Auto || cap == TargetCap::Avx512Bf16) && t.avx512 && features["avx512bf16"];
  t.amx = cap == TargetCap::Auto && t.avx512bf16 && features["amx-tile"] && features["amx-bf16"] && requestAmxTileState();
  return t;
}

}  // namespace mxjit::codegen
