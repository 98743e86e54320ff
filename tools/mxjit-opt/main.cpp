// mxjit-opt: parse a .mxir file, run passes over it, print the result. Any mxjit::Error becomes one
// line on stderr and exit status 1.
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "mxjit/Error.h"
#include "ToolSupport.h"
#include "passes/PassManager.h"

#include <optional>
#include <string>
#include <string_view>

namespace {

using mxjit::Error;
using mxjit::tools::addBindings;
using mxjit::tools::FlagReader;
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
  for (FlagReader r(argc, argv); r.next();) {
    if (r.arg() == "--print-after-all") a.printAfterAll = true;
    else if (r.arg() == "--time-passes") a.timePasses = true;
    else if (auto v = r.value("--passes")) a.passes = std::string(*v);
    else if (auto v = r.value("--bind")) addBindings(*v, a.options);
    else if (auto v = r.value("--dynamic")) {
      a.options.dynamicDims.clear();
      for (std::string_view d : splitCommas(*v)) a.options.dynamicDims.emplace(d);
    } else if (auto v = r.value("-o")) a.output = std::string(*v);
    else r.takeInput(a.input);
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

int main(int argc, char** argv) { return mxjit::tools::runTool("mxjit-opt", kUsage, argc, argv, run); }
