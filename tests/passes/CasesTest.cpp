// Runs every case in cases/ (format: cases/README.md): parse the input half, run the passes named on
// the separator line, and compare the printed module with the expected half exactly.
#include "common/ErrorOf.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "passes/PassManager.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

using namespace mxjit;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
namespace fs = std::filesystem;

namespace {

struct Case {
  std::string input;
  std::string passes;  // "pipeline" or a comma-separated list
  passes::PassOptions options;
  std::string expected;                     // the printed module...
  std::optional<std::string> errorContains;  // ...or `// error: TEXT`
};

std::vector<std::string> splitOn(std::string_view s, char sep) {
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t at = s.find(sep, start);
    parts.emplace_back(s.substr(start, at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

Case readCase(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const std::string open = "\n// ----- ", close = " -----\n";
  const size_t at = text.find(open), end = text.find(close, at + 1);
  if (at == std::string::npos || end == std::string::npos)
    throw std::runtime_error(path.string() + ": no '// ----- <passes> -----' line");

  Case c;
  c.input = text.substr(0, at + 1);
  c.expected = text.substr(end + close.size());
  const std::vector<std::string> words = splitOn(text.substr(at + open.size(), end - at - open.size()), ' ');
  c.passes = words[0];
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.starts_with("bind=")) {
      for (const std::string& b : splitOn(w.substr(5), ',')) {
        const size_t eq = b.find('=');
        c.options.dimBindings[b.substr(0, eq)] = std::stoll(b.substr(eq + 1));
      }
    } else if (w.starts_with("dynamic=")) {
      c.options.dynamicDims.clear();
      if (w.size() > 8)
        for (const std::string& d : splitOn(w.substr(8), ',')) c.options.dynamicDims.insert(d);
    } else {
      throw std::runtime_error(path.string() + ": unknown option '" + w + "' on the separator line");
    }
  }
  const std::string errorPrefix = "// error: ";
  if (c.expected.starts_with(errorPrefix))
    c.errorContains = c.expected.substr(errorPrefix.size(), c.expected.find('\n') - errorPrefix.size());
  return c;
}

/// A line diff (longest common subsequence): "  " kept, "- " expected only, "+ " actual only.
std::string lineDiff(const std::string& expected, const std::string& actual) {
  const std::vector<std::string> a = splitOn(expected, '\n'), b = splitOn(actual, '\n');
  std::vector<std::vector<int>> lcs(a.size() + 1, std::vector<int>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;)
    for (size_t j = b.size(); j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::string out;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) out += "  " + a[i++] + "\n", ++j;
    else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) out += "- " + a[i++] + "\n";
    else out += "+ " + b[j++] + "\n";
  }
  return out;
}

std::vector<fs::path> caseFiles() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(MXJIT_PASS_CASES_DIR))
    if (entry.path().extension() == ".mxir") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

struct PassRun {
  std::string text;
  std::vector<std::string> changedPasses;  // the passes that reported a change
};

PassRun runPasses(const Case& c, const std::string& input, const std::string& name) {
  PassRun r;
  passes::PassManagerOptions o;  // verifies after every pass that changed the module
  o.printAfterAll = true;
  o.onPrint = [&](int, const std::string& pass, bool changed, const std::string&) {
    if (changed) r.changedPasses.push_back(pass);
  };
  passes::PassManager pm(o);
  if (c.passes == "pipeline") pm.addPipeline();
  else pm.addByNames(c.passes);
  ir::Module m = ir::parse(input, name);
  pm.run(m, c.options);
  r.text = ir::print(m);
  return r;
}

class PassCase : public ::testing::TestWithParam<fs::path> {};

TEST_P(PassCase, PrintsExpectedText) {
  const Case c = readCase(GetParam());
  const std::string name = GetParam().filename().string();
  if (c.errorContains) {
    EXPECT_THAT(test::errorOf([&] { runPasses(c, c.input, name); }), HasSubstr(*c.errorContains));
    return;
  }
  const PassRun first = runPasses(c, c.input, name);
  EXPECT_TRUE(first.text == c.expected) << name << ": output differs (- expected, + actual):\n"
                                        << lineDiff(c.expected, first.text);
  // The expected half is canonical text, so a case cannot pass by a printer quirk it relies on.
  EXPECT_EQ(ir::print(ir::parse(c.expected, name + " (expected)")), c.expected);
  // A pass says it changed the module exactly when it did: none does on an unchanged case, and a
  // second run over the output (a fixpoint) changes nothing.
  if (ir::print(ir::parse(c.input, name)) == c.expected) {
    EXPECT_THAT(first.changedPasses, IsEmpty()) << "on an unchanged case";
  }
  const PassRun second = runPasses(c, first.text, name + " (second run)");
  EXPECT_THAT(second.changedPasses, IsEmpty()) << "on a second run";
  EXPECT_EQ(second.text, first.text);
}

std::string caseName(const ::testing::TestParamInfo<fs::path>& info) {
  std::string name = info.param.stem().string();
  std::replace_if(name.begin(), name.end(), [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, PassCase, ::testing::ValuesIn(caseFiles()), caseName);

// The brief for the suite: every pass has at least three cases of its own, and the whole pipeline runs on
// a forward, a dgrad and a wgrad program.
TEST(PassCases, CoverEveryPassAndThePipeline) {
  std::map<std::string, int> casesOf;
  for (const fs::path& file : caseFiles()) {
    const Case c = readCase(file);
    for (const std::string& pass : splitOn(c.passes, ',')) ++casesOf[pass];
  }
  for (const passes::PassInfo& p : passes::pipeline()) EXPECT_GE(casesOf[p.name], 3) << p.name;
  for (const char* program : {"pipeline-forward.mxir", "pipeline-dgrad.mxir", "pipeline-wgrad.mxir"}) {
    const fs::path file = fs::path(MXJIT_PASS_CASES_DIR) / program;
    ASSERT_TRUE(fs::exists(file)) << file;
    EXPECT_EQ(readCase(file).passes, "pipeline") << file;
  }
}

TEST(PassCases, DiffMarksChangedLines) {
  EXPECT_EQ(lineDiff("a\nb\nc\n", "a\nx\nc\n"), "  a\n- b\n+ x\n  c\n  \n");
}

}  // namespace
