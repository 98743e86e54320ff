// Reliability of the runtime: the in-memory cache's bound (eviction frees JIT code, memory stays flat),
// many threads on identical and different ops, and NaN / Inf / extreme values flowing through the JIT
// exactly as through the reference (mx-semantics.md §4.6, §5.1).
#include "JitTestUtil.h"
#include "formats/Quantize.h"
#include "mxjit/Error.h"
#include "mxjit/Ops.h"
#include "reference/GroupedMM.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <thread>

using namespace mxjit;
using namespace mxjit::test;

namespace {

RuntimeOptions withCapacity(size_t capacity) {
  RuntimeOptions o;
  o.cacheCapacity = capacity;
  return o;
}

void quantizeRows(Runtime& rt, int64_t k) {
  HostTensor x(DType::BF16, {2, k}), q(DType::E4M3, {2, k}), s(DType::E8M0, {2, k / 32});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<uint16_t>()[i] = formats::floatToBf16(float(i % 13) - 6.0f);
  quantize(x.view(), -1, ElemFormat::E4M3, 32, ScaleMode::RCeil, q.view(), s.view(), nullptr, rt);
  const formats::MXTensor want = formats::quantize(x.view(), -1, ElemFormat::E4M3, 32, ScaleMode::RCeil);
  ASSERT_EQ(differingElements(q, want.qdata), 0) << "K=" << k;
}

int64_t residentKiB() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

TEST(CacheBound, LeastRecentlyUsedKernelsAreEvictedAndRecompiled) {
  Runtime rt(withCapacity(4));
  for (int64_t i = 1; i <= 10; ++i) quantizeRows(rt, 32 * i);
  EXPECT_EQ(rt.stats().kernels, 4u);
  EXPECT_EQ(rt.stats().evictions, 6u);
  EXPECT_EQ(rt.stats().compiles, 10u);
  quantizeRows(rt, 32 * 10);  // still cached
  EXPECT_EQ(rt.stats().compiles, 10u);
  quantizeRows(rt, 32 * 1);  // evicted long ago: compiled again, and still right
  EXPECT_EQ(rt.stats().compiles, 11u);
}

TEST(CacheBound, MemoryStaysFlatOverManyDistinctShapes) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's own bookkeeping grows resident memory";
#endif
  Runtime rt(withCapacity(8));
  for (int64_t i = 1; i <= 40; ++i) quantizeRows(rt, 32 * i);  // warm-up: allocator pools, LLVM state
  // Allocators grow in one-off steps (~1 MiB, at no fixed kernel), so judge the slope, not the total:
  // a leak grows every stretch of kernels, a bounded cache leaves at least one stretch flat.
  constexpr int64_t kStretches = 5, kKernelsPerStretch = 200;  // a thousand distinct kernels
  int64_t flattest = std::numeric_limits<int64_t>::max(), next = 41;
  for (int64_t s = 0; s < kStretches; ++s) {
    const int64_t before = residentKiB();
    for (int64_t i = 0; i < kKernelsPerStretch; ++i, ++next) quantizeRows(rt, 32 * next);
    flattest = std::min(flattest, residentKiB() - before);
  }
  EXPECT_EQ(rt.stats().kernels, 8u);
  // Measured here: without the bound each stretch of 200 small kernels keeps ~1.3 MiB of JIT modules
  // (code, relocations, symbol tables); with it the flattest stretch grows 0-100 KiB.
  EXPECT_LT(flattest, 640) << "resident memory grew by at least " << flattest << " KiB in every stretch of "
                           << kKernelsPerStretch << " kernels";
}

TEST(Concurrency, ManyThreadsIdenticalAndDifferentOps) {
  Runtime rt;
  const GemmProblem p1 = makeProblem({9, 0, 30}, 0, 64, 32, true, 51), p2 = makeProblem({9, 17}, 2, 128, 64, false, 52);  // groups past 8 rows: one kernel a call
  HostTensor want1(DType::BF16, {p1.m, p1.n}), want2(DType::F32, {p2.m, p2.n});
  reference::groupedMMForward(p1.a.view(), p1.w.view(), WeightLayout::ENK, p1.offs.view(), QuantRecipe{}, want1.view());
  reference::groupedMMForward(p2.a.view(), p2.w.view(), WeightLayout::EKN, p2.offs.view(), QuantRecipe{}, want2.view());
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int iter = 0; iter < 12; ++iter) {
        if ((t + iter) % 2) {
          HostTensor out(DType::BF16, {p1.m, p1.n});
          grouped_mm(p1.a.view(), p1.w.view(), WeightLayout::ENK, p1.offs.view(), QuantRecipe{}, out.view(), rt);
          wrong += gemmMismatches(out, want1, p1.a, p1.w, true, p1.offs, rt) != 0;
        } else {
          HostTensor out(DType::F32, {p2.m, p2.n});
          grouped_mm(p2.a.view(), p2.w.view(), WeightLayout::EKN, p2.offs.view(), QuantRecipe{}, out.view(), rt);
          wrong += gemmMismatches(out, want2, p2.a, p2.w, false, p2.offs, rt) != 0;
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(rt.stats().compiles, 2u);  // two keys, each compiled once by whichever thread came first
  EXPECT_EQ(rt.stats().hits, 8u * 12u - 2u);
}

TEST(SpecialValues, NanInfAndExtremesFlowAsTheReferenceSays) {
  GemmProblem p = makeProblem({6, 10}, 0, 64, 32, true, 53);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  auto set = [](HostTensor& t, int64_t i, float v) { t.data<uint16_t>()[i] = formats::floatToBf16(v); };
  set(p.a, 2 * 64 + 5, nan);                   // row 2, first K block: row 2 becomes NaN
  set(p.a, 8 * 64 + 40, -inf);                 // row 8, second K block: row 8 becomes NaN
  set(p.a, 11 * 64 + 3, 3.0e38f);              // a huge but finite value: its row's block keeps a scale
  set(p.a, 12 * 64 + 0, 1e-40f);               // bf16 subnormal
  set(p.w, (1 * 32 + 7) * 64 + 33, nan);       // expert 1, column 7: NaN for every row of group 1
  for (const QuantRecipe& recipe : {QuantRecipe{}, recipePreset("mxfp8_e4m3_floor"), recipePreset("mxfp8_e4m3_e5m2grad")}) {
    HostTensor got(DType::F32, {p.m, p.n}), want(DType::F32, {p.m, p.n});
    grouped_mm(p.a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), recipe, got.view());
    reference::groupedMMForward(p.a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), recipe, want.view());
    EXPECT_EQ(gemmMismatches(got, want, p.a, p.w, true, p.offs), 0);
    for (int64_t j = 0; j < p.n; ++j) {
      EXPECT_TRUE(std::isnan(got.data<float>()[2 * p.n + j]));
      EXPECT_TRUE(std::isnan(got.data<float>()[8 * p.n + j]));
      EXPECT_EQ(std::isnan(got.data<float>()[0 * p.n + j]), false) << j;
      EXPECT_EQ(std::isnan(got.data<float>()[12 * p.n + j]), j == 7) << j;  // group 1's NaN weight column
    }
  }
}

TEST(SpecialValues, Bf16DotDiffersOnlyBelowTheNormalRange) {
  // A block of subnormal-sized activations gets scale code 0 and dequantizes to bf16 subnormals, which
  // vdpbf16ps flushes (DAZ/FTZ). The stated bound: every result equals the reference's, or both are
  // below 2^-126 in magnitude. The AVX-512 fp32 target keeps even those bits. (On AMX hosts "auto" is
  // AMX, bounded as gemmMismatches says; "avx512bf16" is the vdpbf16ps path.)
  GemmProblem p = makeProblem({5, 11}, 0, 64, 32, true, 54);
  for (int64_t k = 0; k < 32; ++k) p.a.data<uint16_t>()[3 * 64 + k] = formats::floatToBf16(1e-39f * float(k % 5 + 1));
  HostTensor want(DType::F32, {p.m, p.n});
  reference::groupedMMForward(p.a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), QuantRecipe{}, want.view());
  for (const char* target : {"auto", "avx512bf16", "avx512"}) {
    const std::unique_ptr<Runtime> owned = runtimeForTarget(target);
    if (!owned) continue;
    Runtime& rt = *owned;
    HostTensor got(DType::F32, {p.m, p.n});
    grouped_mm(p.a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), QuantRecipe{}, got.view(), rt);
    if (rt.targetName() == "amx") {
      EXPECT_EQ(gemmMismatches(got, want, p.a, p.w, true, p.offs, rt), 0);
      continue;
    }
    const float tiny = std::ldexp(1.0f, -126);
    for (int64_t i = 0; i < got.numel(); ++i) {
      const float g = got.data<float>()[i], w = want.data<float>()[i];
      if (rt.targetName() != "avx512bf16") ASSERT_EQ(std::memcmp(&g, &w, 4), 0) << target << " " << i;
      else ASSERT_TRUE(std::memcmp(&g, &w, 4) == 0 || std::fabs(w - g) < tiny) << i << ": " << g << " vs " << w;
    }
  }
}

}  // namespace
