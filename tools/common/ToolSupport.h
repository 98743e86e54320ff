// Small pieces the command-line compiler tools (mxjit-opt, mxjit-dump) share: the main() wrapper
// (usage, one error line, exit status), the flag reader, comma lists, dim bindings, reading the input
// and writing the output.
#pragma once
#include "passes/Passes.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxjit::tools {

/// The whole main() of a tool: no arguments prints `usage` on stderr (exit 2), --help or -h prints it
/// on stdout (exit 0); otherwise run(argc, argv), where an mxjit::Error becomes the one line
/// "<name>: error: <message>" on stderr and exit status 1 (any other exception: "internal error").
int runTool(const char* name, const char* usage, int argc, char** argv, int (*run)(int, char**));

/// Walks argv[1..] front to back. A flag with a value takes it as `--flag=value` or as the next argument.
///   for (FlagReader r(argc, argv); r.next();)
///     if (r.arg() == "--verbose") ...
///     else if (auto v = r.value("-o")) ...
///     else r.takeInput(input);
class FlagReader {
public:
  FlagReader(int argc, char** argv) : argc_(argc), argv_(argv) {}
  /// Moves to the next argument; false past the last.
  bool next() { return ++i_ < argc_; }
  std::string_view arg() const { return argv_[i_]; }
  /// The value when the current argument is `flag` (consuming the next argument for `flag value`);
  /// nullopt when it is another argument. Error(Parse) when `flag` is last with no value.
  std::optional<std::string_view> value(std::string_view flag);
  /// The current argument as the one input file; Error(Parse) when it looks like a flag (unknown) or
  /// when `input` is already set.
  void takeInput(std::string& input) const;

private:
  int argc_;
  char** argv_;
  int i_ = 0;
};

std::vector<std::string_view> splitCommas(std::string_view s);
/// "K=2048,N=1024" into o.dimBindings; Error(Parse) naming the bad item.
void addBindings(std::string_view list, passes::PassOptions& o);
std::string readFile(const std::string& path);
/// To stdout when path is empty.
void writeOutput(const std::string& path, const std::string& text);

}  // namespace mxjit::tools
