// mxjit-opt: parse a .mxir file, run passes over it, print the result. Any mxjit::Error becomes one
// line on stderr and exit status 1.
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "mxjit/Error.h"
#include "ToolSupport.h"
#include "passes/PassManager.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace {

using mxjit::Error;
using mxjit::tools::addBindings;
using mxjit::tools::readFile;
using mxjit::tools::splitCommas;
using mxjit::tools::writeOutput;
using mxjit::ErrorKind;

constexpr const char* kUsage = R"(usage: mxjit-opt FILE.mxir [--passes=a,b,...] [--print-after-all] [--time-passes]
                 [--bind K=2048,N=1024] [--dynamic M] [-o OUT]

  --passes=LIST      passes to run, in order (default: the whole pipeline; empty: parse and print)
  --print-after-all  the IR after every pass on stderr ("unchanged" noted)
  --time-passes      one line per pass on stderr: mxjit,pass,<name>,<ms>
  --bind LIST        sizes of named dims for specialize, NAME=SIZE,... (repeatable)
  --dynamic LIST     dims that stay symbolic in specialize (default: M; empty: none)
  -o OUT             write the result to OUT instead of stdout
)";

struct Args {
  std::string input, output;
  std::optional<std::string> passes;
  bool printAfterAll = false, timePasses = false;
  mxjit::passes::PassOptions options;
};

Args parseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    // Flags with a value take it as `--flag=value` or as the next argument.
    auto value = [&](std::string_view flag) -> std::optional<std::string_view> {
      if (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag && arg[flag.size()] == '=')
        return arg.substr(flag.size() + 1);
      if (arg != flag) return std::nullopt;
      if (i + 1 >= argc) throw Error(ErrorKind::Parse, fmt::format("{} needs a value", flag));
      return std::string_view(argv[++i]);
    };
    if (arg == "--print-after-all") a.printAfterAll = true;
    else if (arg == "--time-passes") a.timePasses = true;
    else if (auto v = value("--passes")) a.passes = std::string(*v);
    else if (auto v = value("--bind")) addBindings(*v, a.options);
    else if (auto v = value("--dynamic")) {
      a.options.dynamicDims.clear();
      for (std::string_view d : splitCommas(*v)) a.options.dynamicDims.emplace(d);
    } else if (auto v = value("-o")) a.output = std::string(*v);
    else if (arg.starts_with("-")) throw Error(ErrorKind::Parse, fmt::format("unknown flag '{}' (see --help)", arg));
    else if (a.input.empty()) a.input = std::string(arg);
    else throw Error(ErrorKind::Parse, fmt::format("more than one input file ('{}', '{}')", a.input, arg));
  }
  if (a.input.empty()) throw Error(ErrorKind::Parse, "no input file (see --help)");
  return a;
}

int run(int argc, char** argv) {
  const Args args = parseArgs(argc, argv);
  mxjit::ir::Module module = mxjit::ir::parse(readFile(args.input), args.input);
  mxjit::passes::PassManagerOptions pmOptions;
  pmOptions.printAfterAll = args.printAfterAll;
  pmOptions.timePasses = args.timePasses;
  mxjit::passes::PassManager pm(std::move(pmOptions));
  if (args.passes) pm.addByNames(*args.passes);
  else pm.addPipeline();
  pm.run(module, args.options);
  writeOutput(args.output, mxjit::ir::print(module));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  try {
    return run(argc, argv);
  } catch (const mxjit::Error& e) {
    fmt::print(stderr, "mxjit-opt: error: {}\n", e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "mxjit-opt: internal error: {}\n", e.what());
  }
  return 1;
}
