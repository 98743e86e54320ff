// The subcommands of the mxjit CLI. Each takes the arguments after its name and returns the exit code;
// user mistakes surface as mxjit::Error, which main() prints as one line.
#pragma once
#include <span>

namespace mxjit::cli {

int runQuantize(std::span<char* const> args);
int runGroupedMM(std::span<char* const> args);
int runDemo(std::span<char* const> args);
int runBench(std::span<char* const> args);

}  // namespace mxjit::cli
