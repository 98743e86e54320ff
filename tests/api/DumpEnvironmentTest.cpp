// The dumps are reachable from the library: a runtime with a dump directory (MXJIT_DUMP_DIR) writes the
// IR after every pass, the plan, the LLVM IR before and after optimisation and the assembly.
#include "mxjit/Error.h"
#include "mxjit/Ops.h"
#include "support/Env.h"
#include "support/HostTensor.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace mxjit;
namespace fs = std::filesystem;

namespace {

TEST(Dumps, EnvironmentVariableWritesEveryArtefact) {
  const fs::path dir = fs::temp_directory_path() / ("mxjit_dumps_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  ::setenv("MXJIT_DUMP_DIR", dir.c_str(), 1);
  const RuntimeOptions options = RuntimeOptions::fromEnvironment();
  ::unsetenv("MXJIT_DUMP_DIR");
  ASSERT_EQ(options.dumpDir, dir.string());
  Runtime rt(options);
  HostTensor x(DType::BF16, {4, 64}), q(DType::E4M3, {4, 64}), s(DType::E8M0, {4, 2});
  quantize(x.view(), -1, ElemFormat::E4M3, 32, ScaleMode::RCeil, q.view(), s.view(), nullptr, rt);

  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  auto has = [&](const std::string& suffix) {
    return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return n.ends_with(suffix); });
  };
  for (const char* suffix : {".00-input.mxir", "-verify.mxir", "-specialize.mxir", ".plan.txt", ".ll", ".opt.ll", ".s"})
    EXPECT_TRUE(has(suffix)) << suffix;
  for (const std::string& n : names) {
    std::ifstream in(dir / n);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_FALSE(text.str().empty()) << n;
  }
  fs::remove_all(dir);
}

TEST(Dumps, EveryVariableIsDocumented) {
  for (const EnvVar& v : envVars()) {
    EXPECT_TRUE(v.name.starts_with("MXJIT_"));
    EXPECT_FALSE(v.meaning.empty()) << v.name;
  }
  EXPECT_THROW(envValue("MXJIT_NOT_A_VARIABLE"), Error);
}

}  // namespace
