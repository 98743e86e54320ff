// Runs a list of passes with the debugging aids every compiler user wants: print the IR after each pass
// (or only after passes that changed it), verify after each pass, time each pass.
#pragma once
#include "passes/Passes.h"

#include <functional>
#include <string>
#include <vector>

namespace mxjit::passes {

struct PassManagerOptions {
  bool printAfterAll = false;  // IR after every pass, changed or not ("unchanged" noted)
  bool verifyEach = true;      // run the verifier after each pass that changed the module
  bool timePasses = false;     // a line per pass with its wall time
  /// Receives each dump: (pass index, pass name, changed, IR text). Default: stderr.
  std::function<void(int, const std::string&, bool, const std::string&)> onPrint;
  std::function<void(const std::string&)> onLog;  // timing lines; default: stderr
};

class PassManager {
public:
  explicit PassManager(PassManagerOptions options = {}) : options_(std::move(options)) {}
  void add(const PassInfo& pass) { passes_.push_back(&pass); }
  /// Adds every pass named in a comma-separated list; throws Error(InvalidArgument) for unknown names.
  void addByNames(std::string_view commaSeparated);
  void addPipeline();  // the whole pipeline()
  void run(ir::Module& m, const PassOptions& o) const;

private:
  PassManagerOptions options_;
  std::vector<const PassInfo*> passes_;
};

}  // namespace mxjit::passes
