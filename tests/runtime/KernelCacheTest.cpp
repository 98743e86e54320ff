// Cache behaviour: a second call compiles nothing, concurrent first calls compile once, different
// shapes are different kernels, the on-disk cache serves a fresh runtime and survives damaged files,
// and the portable target gives the same bits as AVX-512.
#include "JitTestUtil.h"
#include "KernelSpec.h"
#include "mxjit/Ops.h"
#include "reference/GroupedMM.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

using namespace mxjit;
using namespace mxjit::test;
namespace fs = std::filesystem;

namespace {

RuntimeOptions quiet(std::string target = "auto", std::string cacheDir = "") {
  RuntimeOptions o;
  o.target = std::move(target);
  o.cacheDir = std::move(cacheDir);
  return o;
}

struct Forward {
  GemmProblem p = makeProblem({20, 0, 13}, 0, 64, 32, true, 1);
  HostTensor out{DType::BF16, {p.m, p.n}};
  void run(Runtime& rt) { grouped_mm(p.a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), QuantRecipe{}, out.view(), rt); }
};

TEST(KernelCache, SecondCallCompilesNothing) {
  Runtime rt(quiet());
  Forward f;
  f.run(rt);
  EXPECT_EQ(rt.stats().compiles, 1u);
  EXPECT_EQ(rt.stats().hits, 0u);
  f.run(rt);
  EXPECT_EQ(rt.stats().compiles, 1u);
  EXPECT_EQ(rt.stats().hits, 1u);
  // M_total and offs are runtime values: other routing of the same shapes reuses the kernel (within its
  // bucket of group sizes: here a mean within 16 rows, weights streamed on every target, and no group of
  // 1..8 rows).
  GemmProblem other = makeProblem({10, 12, 11}, 3, 64, 32, true, 2);
  HostTensor out(DType::BF16, {other.m, other.n});
  grouped_mm(other.a.view(), other.w.view(), WeightLayout::ENK, other.offs.view(), QuantRecipe{}, out.view(), rt);
  EXPECT_EQ(rt.stats().compiles, 1u);
  // A different N is a different kernel.
  GemmProblem wider = makeProblem({4, 4, 4}, 0, 64, 64, true, 3);
  HostTensor out2(DType::BF16, {wider.m, wider.n});
  grouped_mm(wider.a.view(), wider.w.view(), WeightLayout::ENK, wider.offs.view(), QuantRecipe{}, out2.view(), rt);
  EXPECT_EQ(rt.stats().compiles, 2u);
  EXPECT_EQ(rt.stats().kernels, 2u);
  // Groups of 1..8 rows beside larger ones: the column-tile kernel for them (new), the whole-panel one
  // for the rest (the first call's).
  const uint64_t hits = rt.stats().hits;
  GemmProblem mixed = makeProblem({1, 30, 7}, 3, 64, 32, true, 2);
  HostTensor out3(DType::BF16, {mixed.m, mixed.n});
  grouped_mm(mixed.a.view(), mixed.w.view(), WeightLayout::ENK, mixed.offs.view(), QuantRecipe{}, out3.view(), rt);
  EXPECT_EQ(rt.stats().compiles, 3u);
  EXPECT_EQ(rt.stats().hits, hits + 1);
}

// MXJIT_TIME_STAGES: a call prints one line per stage that had work, naming the kernel's stage.
TEST(KernelCache, TimeStagesPrintsEveryStageOfACall) {
  RuntimeOptions o = quiet();
  Runtime rt(o);
  o.timeStages = true;
  Runtime timed(o);
  Forward f;
  f.run(timed);  // the first call compiles
  ::testing::internal::CaptureStderr();
  f.run(timed);
  const std::string lines = ::testing::internal::GetCapturedStderr();
  int count = 0;
  for (size_t at = 0; (at = lines.find("mxjit,stage,mxjit_mm2d3d", at)) != std::string::npos; ++at) ++count;
  EXPECT_EQ(count, 2) << lines;  // pack_a and the multiply (two groups with rows)
  ::testing::internal::CaptureStderr();
  f.run(rt);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(KernelCache, EightConcurrentFirstCallsCompileOnce) {
  Runtime rt(quiet());
  std::vector<Forward> calls(8);
  std::vector<std::thread> threads;
  for (Forward& f : calls) threads.emplace_back([&] { f.run(rt); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(rt.stats().compiles, 1u);
  EXPECT_EQ(rt.stats().hits, 7u);
  for (Forward& f : calls) EXPECT_EQ(differingElements(f.out, calls[0].out), 0);
}

TEST(KernelCache, PortableTargetGivesTheSameBits) {
  Runtime avx(quiet("auto")), portable(quiet("portable"));
  EXPECT_EQ(portable.targetName(), "portable");
  Forward a, b;
  a.run(avx);
  b.run(portable);
  HostTensor want(DType::BF16, {a.p.m, a.p.n});
  reference::groupedMMForward(a.p.a.view(), a.p.w.view(), WeightLayout::ENK, a.p.offs.view(), QuantRecipe{}, want.view());
  EXPECT_EQ(differingElements(b.out, want), 0);
  EXPECT_EQ(gemmMismatches(a.out, want, a.p.a, a.p.w, true, a.p.offs, avx), 0);
  if (avx.targetName() != "amx") {
    EXPECT_EQ(differingElements(a.out, b.out), 0);
  }
}

// The plan a runtime is told to use decides the kernel (one each), never the bits; a bad name is refused.
TEST(KernelCache, ForcedGemmPlansGiveTheSameBits) {
  Forward tiles, stream;
  for (auto [f, plan] : {std::pair{&tiles, "tiles"}, {&stream, "stream"}}) {
    RuntimeOptions o = quiet();
    o.gemmPlan = plan;
    Runtime rt(o);
    f->run(rt);
    EXPECT_EQ(rt.stats().compiles, 1u) << plan;
  }
  EXPECT_EQ(differingElements(tiles.out, stream.out), 0);
  RuntimeOptions bad = quiet();
  bad.gemmPlan = "fastest";
  try {
    Runtime rt(bad);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("fastest"), std::string::npos) << e.what();
  }
}

TEST(KernelCache, DiskCacheServesAFreshRuntimeAndSurvivesDamage) {
  const fs::path dir = fs::temp_directory_path() / ("mxjit_disk_cache_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  Forward first;
  {
    Runtime rt(quiet("auto", dir.string()));
    first.run(rt);
    EXPECT_EQ(rt.stats().compiles, 1u);
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  {
    Runtime rt(quiet("auto", dir.string()));
    Forward again;
    again.run(rt);
    EXPECT_EQ(rt.stats().compiles, 0u);
    EXPECT_EQ(rt.stats().diskHits, 1u);
    EXPECT_EQ(differingElements(again.out, first.out), 0);
  }
  // Truncate; corrupt one byte of the object; stamp another format version (a file from another mxjit
  // release); change the build fingerprint (objects of other helpers or another plan for the key): each
  // is detected, recompiled and rewritten, never loaded.
  for (int damage = 0; damage < 4; ++damage) {
    const auto size = fs::file_size(files[0]);
    if (damage == 0) fs::resize_file(files[0], size / 2);
    else {
      // The header: magic (8 bytes), format and LLVM versions (4 each), the key, the build.
      const size_t at[] = {0, size - 10, 8, 16 + sizeof(runtime::KernelSpec)};
      std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(static_cast<std::streamoff>(at[damage]));
      const char was = static_cast<char>(f.get());
      f.seekp(static_cast<std::streamoff>(at[damage]));
      f.put(static_cast<char>(was ^ 0x5A));
    }
    Runtime rt(quiet("auto", dir.string()));
    Forward again;
    again.run(rt);
    EXPECT_EQ(rt.stats().diskHits, 0u) << "damage " << damage;
    EXPECT_EQ(rt.stats().compiles, 1u) << "damage " << damage;
    EXPECT_EQ(differingElements(again.out, first.out), 0);
  }
  fs::remove_all(dir);
}

}  // namespace
