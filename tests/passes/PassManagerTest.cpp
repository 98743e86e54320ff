// The pass manager and the pipeline table: names, order, dumps, timing lines, verification after a
// pass, and the errors for unknown pass names and unbound dims.
#include "common/ErrorOf.h"
#include "common/ReadmeProgram.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "passes/PassManager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace mxjit;
using mxjit::test::kReadmeMoeUp;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

namespace {

struct Dump {
  int index;
  std::string pass;
  bool changed;
  std::string text;
};

std::vector<Dump> runPrintingAfterAll(const char* passNames) {
  std::vector<Dump> dumps;
  passes::PassManagerOptions o;
  o.printAfterAll = true;
  o.onPrint = [&](int i, const std::string& pass, bool changed, const std::string& text) {
    dumps.push_back({i, pass, changed, text});
  };
  passes::PassManager pm(o);
  if (passNames) pm.addByNames(passNames);
  else pm.addPipeline();
  ir::Module m = ir::parse(kReadmeMoeUp);
  pm.run(m, {});
  EXPECT_FALSE(dumps.empty());
  if (!dumps.empty()) {
    EXPECT_EQ(dumps.back().text, ir::print(m));
  }
  return dumps;
}

TEST(Pipeline, ListsThePassesInOrderWithAReasonEach) {
  std::vector<std::string> names;
  for (const passes::PassInfo& p : passes::pipeline()) {
    names.push_back(p.name);
    EXPECT_GT(std::string(p.why).size(), 20u) << p.name;
    EXPECT_EQ(passes::findPass(p.name), &p);
  }
  EXPECT_THAT(names, ElementsAre("verify", "expand-recipe", "canonicalize-layouts", "fold-relayouts", "fuse-quantize",
                                 "specialize"));
  EXPECT_EQ(passes::findPass("fold"), nullptr);
}

TEST(PassManager, PrintAfterAllDumpsAfterEveryPass) {
  const std::vector<Dump> dumps = runPrintingAfterAll(nullptr);
  ASSERT_EQ(dumps.size(), passes::pipeline().size());
  for (size_t i = 0; i < dumps.size(); ++i) {
    EXPECT_EQ(dumps[i].index, static_cast<int>(i));
    EXPECT_EQ(dumps[i].pass, passes::pipeline()[i].name);
    EXPECT_EQ(ir::print(ir::parse(dumps[i].text)), dumps[i].text) << "dump after " << dumps[i].pass;
  }
  // verify, expand-recipe (no recipe named) and specialize (nothing to bind) change nothing on this
  // program; the three layout and fusion passes do.
  EXPECT_FALSE(dumps[0].changed);
  EXPECT_FALSE(dumps[1].changed);
  EXPECT_TRUE(dumps[2].changed);
  EXPECT_TRUE(dumps[3].changed);
  EXPECT_TRUE(dumps[4].changed);
  EXPECT_FALSE(dumps[5].changed);
  EXPECT_EQ(dumps[0].text, ir::print(ir::parse(kReadmeMoeUp)));
}

TEST(PassManager, DefaultDumpGoesToStderrAndNotesUnchangedPasses) {
  passes::PassManagerOptions o;
  o.printAfterAll = true;
  passes::PassManager pm(o);
  pm.addPipeline();
  ir::Module m = ir::parse(kReadmeMoeUp);
  ::testing::internal::CaptureStderr();
  pm.run(m, {});
  const std::string err = ::testing::internal::GetCapturedStderr();
  for (const passes::PassInfo& p : passes::pipeline()) EXPECT_THAT(err, HasSubstr(p.name));
  EXPECT_THAT(err, HasSubstr("verify (unchanged)"));
  EXPECT_THAT(err, Not(HasSubstr("fold-relayouts (unchanged)")));
  EXPECT_THAT(err, HasSubstr("func @moe_up"));
}

TEST(PassManager, AddByNamesKeepsTheGivenOrder) {
  const std::vector<Dump> dumps = runPrintingAfterAll("fuse-quantize, verify,canonicalize-layouts");
  ASSERT_EQ(dumps.size(), 3u);
  EXPECT_EQ(dumps[0].pass, "fuse-quantize");
  EXPECT_EQ(dumps[1].pass, "verify");
  EXPECT_EQ(dumps[2].pass, "canonicalize-layouts");
}

TEST(PassManager, UnknownPassNamesListTheKnownOnes) {
  passes::PassManager pm;
  EXPECT_EQ(test::errorOf([&] { pm.addByNames("verify,fold"); }),
            "unknown pass 'fold' (known: verify, expand-recipe, canonicalize-layouts, fold-relayouts, fuse-quantize, specialize)");
  EXPECT_THAT(test::errorOf([&] { pm.addByNames("verify,,specialize"); }), HasSubstr("unknown pass ''"));
  EXPECT_EQ(test::errorOf([&] { pm.addByNames(""); }), "(no error)");  // parse and print only
}

TEST(PassManager, TimePassesLogsOneLinePerPass) {
  std::vector<std::string> lines;
  passes::PassManagerOptions o;
  o.timePasses = true;
  o.onLog = [&](const std::string& line) { lines.push_back(line); };
  passes::PassManager pm(o);
  pm.addByNames("verify,fold-relayouts");
  ir::Module m = ir::parse(kReadmeMoeUp);
  pm.run(m, {});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], MatchesRegex("mxjit,pass,verify,[0-9]+\\.[0-9][0-9][0-9]"));
  EXPECT_THAT(lines[1], MatchesRegex("mxjit,pass,fold-relayouts,[0-9]+\\.[0-9][0-9][0-9]"));
}

// A pass that reports a change and leaves the IR broken: the pass manager names it.
bool breakTypes(ir::Module& m, const passes::PassOptions&) {
  m.functions[0]->ops[0]->result->type.dims[1] = ir::Dim::fixed(4096);
  return true;
}
constexpr passes::PassInfo kBreakTypes = {"break-types", "test only", &breakTypes};

TEST(PassManager, VerifyEachNamesThePassThatBrokeTheIR) {
  passes::PassManager pm;
  pm.add(kBreakTypes);
  ir::Module m = ir::parse(kReadmeMoeUp);
  EXPECT_THAT(test::errorOf([&] { pm.run(m, {}); }), HasSubstr("verify after break-types: "));

  passes::PassManagerOptions o;
  o.verifyEach = false;
  passes::PassManager unchecked(o);
  unchecked.add(kBreakTypes);
  ir::Module m2 = ir::parse(kReadmeMoeUp);
  EXPECT_EQ(test::errorOf([&] { unchecked.run(m2, {}); }), "(no error)");
  // ...and the verify pass itself catches it.
  EXPECT_THAT(test::errorOf([&] { passes::verify(m2, {}); }), HasSubstr("mx.quantize"));
}

TEST(Specialize, UnboundDimIsAnErrorNamingDimAndValue) {
  ir::Module m = ir::parse(R"(func @f(%x: bf16[M,K], %w: bf16[8,N,K], %offs: i32[8]) -> bf16[M,N] {
  %y = mx.grouped_mm %x, %w, %offs kind=2d3d out=bf16 a=mk b=enk
  return %y
}
)");
  passes::PassOptions o;
  o.dimBindings = {{"K", 2048}};
  EXPECT_EQ(test::errorOf([&] { passes::specialize(m, o); }),
            "specialize: dim 1 of %w is still symbolic (N): bind it or mark it dynamic");
  o.dimBindings["N"] = -1;
  EXPECT_THAT(test::errorOf([&] { passes::specialize(m, o); }), HasSubstr("N=-1 for %w: a dim size must be non-negative"));
  o.dimBindings["N"] = 1024;
  EXPECT_TRUE(passes::specialize(m, o));
  EXPECT_FALSE(passes::specialize(m, o));  // nothing left to bind
}

}  // namespace
