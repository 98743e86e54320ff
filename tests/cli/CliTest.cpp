// The mxjit CLI as outside programs drive it: results equal the library's, and every bad input exits
// non-zero with one line naming the problem.
#include "formats/BFloat16.h"
#include "formats/Quantize.h"
#include "npy/Npy.h"
#include "reference/GroupedMM.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

using namespace mxjit;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

struct CliResult {
  int status;
  std::string output;
};

class Cli : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mxjit_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    a_ = HostTensor(DType::BF16, {96, 64});
    w_ = HostTensor(DType::BF16, {3, 32, 64});  // [E, N, K]
    gradOut_ = HostTensor(DType::BF16, {96, 32});
    for (HostTensor* t : {&a_, &w_, &gradOut_})
      for (int64_t i = 0; i < t->numel(); ++i) t->data<uint16_t>()[i] = formats::floatToBf16(normal(rng));
    offs_ = offsOf({10, 10, 90});
    write("a.npy", a_), write("w.npy", w_), write("do.npy", gradOut_), write("offs.npy", offs_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static HostTensor offsOf(std::vector<int32_t> v) {
    HostTensor t(DType::I32, {static_cast<int64_t>(v.size())});
    std::copy(v.begin(), v.end(), t.data<int32_t>());
    return t;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write(const std::string& name, const HostTensor& t) const { npy::writeNpy(path(name), t.view()); }

  CliResult run(const std::string& args) const {
    const std::string cmd = std::string(MXJIT_CLI) + " " + args + " 2>&1";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
    const int status = ::pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
  }
  std::string gemmArgs(const std::string& offs = "offs.npy", const std::string& mode = "floor") const {
    return "grouped-mm --a " + path("a.npy") + " --b " + path("w.npy") + " --b-layout enk --offs " + path(offs) +
           " --elem e4m3 --grad-elem e4m3 --mode " + mode + " --out " + path("out.npy");
  }
  // A failing run: non-zero exit, exactly one line of output, naming the problem.
  void expectError(const std::string& args, const std::string& substring) const {
    const CliResult r = run(args);
    EXPECT_NE(r.status, 0) << args;
    EXPECT_THAT(r.output, HasSubstr(substring)) << args;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  }

  fs::path dir_;
  HostTensor a_, w_, gradOut_, offs_;
};

TEST_F(Cli, QuantizeWritesWhatTheLibraryComputes) {
  const CliResult r = run("quantize --input " + path("a.npy") + " --input-dtype bf16 --elem e5m2 --mode even --block 32 "
                          "--axis 0 --qdata " + path("q.npy") + " --scale " + path("s.npy"));
  ASSERT_EQ(r.status, 0) << r.output;
  const formats::MXTensor want = formats::quantize(a_.view(), 0, ElemFormat::E5M2, 32, ScaleMode::Even);
  const HostTensor q = npy::readNpy(path("q.npy")), s = npy::readNpy(path("s.npy"));
  ASSERT_EQ(q.shape(), want.qdata.shape());
  ASSERT_EQ(s.shape(), (std::vector<int64_t>{3, 64}));
  EXPECT_TRUE(std::equal(q.bytes(), q.bytes() + q.nbytes(), want.qdata.bytes()));
  EXPECT_TRUE(std::equal(s.bytes(), s.bytes() + s.nbytes(), want.scales.bytes()));
}

TEST_F(Cli, GroupedMMForwardAndBackwardEqualTheLibrary) {
  const CliResult r = run(gemmArgs() + " --out-dtype f32 --grad-out " + path("do.npy") + " --grad-a " + path("ga.npy") +
                          " --grad-b " + path("gb.npy"));
  ASSERT_EQ(r.status, 0) << r.output;
  const QuantRecipe recipe{ElemFormat::E4M3, ElemFormat::E4M3, 32, ScaleMode::Floor};
  HostTensor out(DType::F32, {96, 32}), gradA(DType::F32, {96, 64}), gradB(DType::F32, {3, 64, 32});
  reference::groupedMMForward(a_.view(), w_.view(), WeightLayout::ENK, offs_.view(), recipe, out.view());
  reference::groupedMMDgrad(gradOut_.view(), w_.view(), WeightLayout::ENK, offs_.view(), recipe, gradA.view());
  reference::groupedMMWgrad(a_.view(), gradOut_.view(), offs_.view(), recipe, gradB.view());
  for (auto [name, want] : {std::pair{"out.npy", &out}, {"ga.npy", &gradA}, {"gb.npy", &gradB}}) {
    const HostTensor got = npy::readNpy(path(name));
    ASSERT_EQ(got.shape(), want->shape()) << name;
    EXPECT_TRUE(std::equal(got.bytes(), got.bytes() + got.nbytes(), want->bytes())) << name;
  }
  // rows 90..95 lie past offs[-1] and are zeros
  const HostTensor got = npy::readNpy(path("out.npy"));
  for (int64_t i = 90 * 32; i < 96 * 32; ++i) ASSERT_EQ(got.data<float>()[i], 0.0f);
}

TEST_F(Cli, RecipeFlagEqualsTheLibraryRecipe) {
  for (const char* name : {"mxfp8_e4m3_e5m2grad", "mxfp8_e4m3_wgrad_hp", "bf16"}) {
    const CliResult r = run("grouped-mm --a " + path("a.npy") + " --b " + path("w.npy") + " --b-layout enk --offs " +
                            path("offs.npy") + " --recipe " + name + " --out-dtype f32 --out " + path("out.npy") +
                            " --grad-out " + path("do.npy") + " --grad-a " + path("ga.npy") + " --grad-b " + path("gb.npy"));
    ASSERT_EQ(r.status, 0) << r.output;
    const QuantRecipe recipe = recipePreset(name);
    HostTensor gradB(DType::F32, {3, 64, 32});
    reference::groupedMMWgrad(a_.view(), gradOut_.view(), offs_.view(), recipe, gradB.view());
    const HostTensor got = npy::readNpy(path("gb.npy"));
    EXPECT_TRUE(std::equal(got.bytes(), got.bytes() + got.nbytes(), gradB.bytes())) << name;
  }
}

TEST_F(Cli, DemoPasses) {
  const CliResult r = run("demo --tokens 200 --k 64 --n 64 --experts 4");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("demo: PASS"));
}

// The bench's JSON is a contract too: one record per (shape, pass, engine) with the documented keys,
// the forward on packed weights among the engines where the host runs it.
TEST_F(Cli, BenchWritesItsRecords) {
  const CliResult r = run("bench --shape 64,64,64,2 --pass fwd --engines mxjit,mxjit_packed --rounds 1 --round-ms 5 "
                          "--threads 2 --json " + path("b.json"));
  ASSERT_EQ(r.status, 0) << r.output;
  std::stringstream json;
  json << std::ifstream(path("b.json")).rdbuf();
  for (const char* key : {"\"shape\": [64, 64, 64, 2]", "\"pass\": \"fwd\"", "\"engine\": \"mxjit\"", "\"ms_median\": ",
                          "\"gflops\": ", "\"vs_onednn\": ", "\"vs_onednn_plain\": ", "\"pct_peak\": "})
    EXPECT_THAT(json.str(), HasSubstr(key));
  if (r.output.find("packed weights run on AVX512-BF16 hosts") == std::string::npos) {
    EXPECT_THAT(json.str(), HasSubstr("\"engine\": \"mxjit_packed\""));
  }
  expectError("bench --engines mxjit,magic", "unknown engine 'magic' in --engines (expected mxjit, mxjit_packed, onednn, reference)");
}

TEST_F(Cli, BadInputGetsOneClearLine) {
  write("offs_decreasing.npy", offsOf({50, 40, 96}));
  write("offs_past.npy", offsOf({10, 20, 97}));
  write("offs_short.npy", offsOf({10, 96}));
  HostTensor f32(DType::F32, {96, 64});
  write("a_f32.npy", f32);
  std::ofstream(path("garbage.npy")) << "this is not an npy file";

  expectError(gemmArgs("offs_decreasing.npy"), "offs[1]=40 < offs[0]=50: offs must be non-decreasing");
  expectError(gemmArgs("offs_past.npy"), "offs[2]=97 is past the 96 rows");
  expectError(gemmArgs("offs_short.npy"), "offs has 2 entries but W has 3 experts");
  expectError(gemmArgs("offs.npy", "nearest"), "unknown scale mode 'nearest'");
  expectError(gemmArgs() + " --engine magic", "unknown --engine 'magic'");
  expectError(gemmArgs() + " --grad-a " + path("ga.npy"), "--grad-a and --grad-b need --grad-out");
  expectError(gemmArgs() + " --frobnicate 1", "unknown argument '--frobnicate'");
  expectError("grouped-mm --a " + path("a.npy"), "missing required flag --b-layout");
  expectError(gemmArgs() + " --recipe mxfp4", "unknown recipe 'mxfp4'");
  expectError(gemmArgs() + " --out-dtype f16", "unknown --out-dtype 'f16'");
  expectError("grouped-mm --a " + path("missing.npy") + " --b " + path("w.npy") +
                  " --b-layout enk --offs " + path("offs.npy") + " --elem e4m3 --mode floor --out " + path("o.npy"),
              "missing.npy");
  expectError("grouped-mm --a " + path("offs.npy") + " --b " + path("w.npy") + " --b-layout enk --offs " +
                  path("offs.npy") + " --elem e4m3 --mode floor --out " + path("o.npy"),
              "holds '<i4' (int32) data; expected '<u2' (bf16 bits)");
  expectError("grouped-mm --a " + path("a.npy") + " --b " + path("w.npy") + " --b-layout ekn --offs " +
                  path("offs.npy") + " --elem e4m3 --mode floor --out " + path("o.npy"),
              "has K=32");
  const std::string q = " --qdata " + path("q.npy") + " --scale " + path("s.npy");
  expectError("quantize --input " + path("a_f32.npy") + " --input-dtype bf16 --elem e4m3 --mode floor" + q,
              "holds '<f4' (f32) data; expected '<u2' (bf16 bits)");
  expectError("quantize --input " + path("garbage.npy") + " --input-dtype f32 --elem e4m3 --mode floor" + q,
              "garbage.npy");
  expectError("quantize --input " + path("a.npy") + " --input-dtype bf16 --elem e3m4 --mode floor" + q,
              "unknown element format 'e3m4'");
  expectError("quantize --input " + path("a.npy") + " --input-dtype bf16 --elem e4m3 --mode floor --block 48" + q,
              "block size 48 is not supported");
  expectError("quantize --input " + path("w.npy") + " --input-dtype bf16 --elem e4m3 --mode floor --axis 1 --block 64" + q,
              "dim 1 (size 32) is not a multiple of the block size 64");
  expectError("quantize --input " + path("a.npy") + " --input-dtype bf16 --elem e4m3 --mode floor --axis x" + q,
              "--axis expects an integer, got 'x'");
  expectError("transmogrify", "unknown command 'transmogrify'");
  EXPECT_FALSE(fs::exists(path("q.npy")));  // no failed run leaves a file behind
}

}  // namespace
