// Runs passes in order with the aids of the PassManagerOptions: dumps, verification, timing.
#include "passes/PassManager.h"

#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "mxjit/Error.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

namespace mxjit::passes {
namespace {

std::string knownPassNames() {
  std::string names;
  for (const PassInfo& p : pipeline()) names += (names.empty() ? "" : ", ") + std::string(p.name);
  return names;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

// An empty list adds nothing (parse and print only); an empty name inside a list is a typo.
void PassManager::addByNames(std::string_view commaSeparated) {
  if (trim(commaSeparated).empty()) return;
  size_t start = 0;
  while (true) {
    const size_t comma = commaSeparated.find(',', start);
    const std::string_view name = trim(commaSeparated.substr(start, comma - start));
    const PassInfo* pass = findPass(name);
    if (!pass)
      throw Error(ErrorKind::InvalidArgument, fmt::format("unknown pass '{}' (known: {})", name, knownPassNames()));
    add(*pass);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
}

void PassManager::addPipeline() {
  for (const PassInfo& p : pipeline()) add(p);
}

void PassManager::run(ir::Module& m, const PassOptions& o) const {
  for (size_t i = 0; i < passes_.size(); ++i) {
    const PassInfo& pass = *passes_[i];
    const auto start = std::chrono::steady_clock::now();
    const bool changed = pass.run(m, o);
    const std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - start;

    if (options_.timePasses) {
      const std::string line = fmt::format("mxjit,pass,{},{:.3f}", pass.name, ms.count());
      if (options_.onLog) options_.onLog(line);
      else fmt::print(stderr, "{}\n", line);
    }
    if (options_.printAfterAll) {
      const std::string text = ir::print(m);
      if (options_.onPrint) options_.onPrint(static_cast<int>(i), pass.name, changed, text);
      else fmt::print(stderr, "// *** IR after #{} {}{} ***\n{}", i, pass.name, changed ? "" : " (unchanged)", text);
    }
    // A pass that broke the IR is named here rather than surfacing as a puzzle in a later pass.
    if (changed && options_.verifyEach) {
      try {
        ir::verify(m);
      } catch (const Error& e) {
        throw Error(e.kind(), fmt::format("verify after {}: {}", pass.name, e.what()));
      }
    }
  }
}

}  // namespace mxjit::passes
