// Measures what the JIT costs around the kernels: the first-call compile of each kernel kind (cold: a
// fresh runtime, no disk cache) and the overhead of a cache-hit call (a problem with no rows, so the
// call is argument checks, key, lookup and dispatch). Prints a table and writes it to the file given
// as the first argument (default bench/results/compile_and_dispatch.txt).
#include "formats/BFloat16.h"
#include "mxjit/Ops.h"
#include "mxjit/PackedWeights.h"
#include "support/HostTensor.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <vector>

using namespace mxjit;

namespace {

double millisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

HostTensor offsOf(std::vector<int32_t> ends) {
  HostTensor t(DType::I32, {static_cast<int64_t>(ends.size())});
  std::copy(ends.begin(), ends.end(), t.data<int32_t>());
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "bench/results/compile_and_dispatch.txt";
  const int64_t k = 2048, n = 1024, e = 8, m = 256;
  HostTensor a(DType::BF16, {m, k}), w(DType::BF16, {e, n, k}), gradOut(DType::BF16, {m, n});
  HostTensor out(DType::BF16, {m, n}), gradA(DType::BF16, {m, k}), gradB(DType::BF16, {e, k, n});
  HostTensor q(DType::E4M3, {m, k}), s(DType::E8M0, {m, k / 32});
  const HostTensor offs = offsOf({32, 64, 96, 128, 160, 192, 224, 256});
  // Decode: 8 tokens per expert, the streaming plan in column tiles (bf16 weights quantized in registers).
  HostTensor aDecode(DType::BF16, {64, k}), outDecode(DType::BF16, {64, n});
  // And decode dgrad: grad_out times W^T, each n a row of K values, in row blocks (the same kernel).
  HostTensor gradDecode(DType::BF16, {64, n}), gradADecode(DType::BF16, {64, k});
  const HostTensor offsDecode = offsOf({8, 16, 24, 32, 40, 48, 56, 64});
  const QuantRecipe recipe{};
  // And decode on packed weights (quantized once, outside the timing).
  HostTensor qw(DType::E4M3, {e, n, k}), sw(DType::E8M0, {e, n, k / 32});
  quantize(w.view(), -1, ElemFormat::E4M3, 32, ScaleMode::RCeil, qw.view(), sw.view());
  const PackedWeights packed = pack_weights(MXTensorView{qw.view(), sw.view()}, WeightLayout::ENK);

  std::string report = fmt::format("mxjit compile and dispatch costs (K={}, N={}, E={})\n\n", k, n, e);
  RuntimeOptions options;
  options.cacheDir.clear();
  struct Kernel {
    const char* name;
    const char* plan;  // RuntimeOptions::gemmPlan
    std::function<void(Runtime&)> call;
  };
  const Kernel kernels[] = {
      {"forward 2d3d (streaming)", "auto", [&](Runtime& rt) { grouped_mm(a.view(), w.view(), WeightLayout::ENK, offs.view(), recipe, out.view(), rt); }},
      {"forward 2d3d (column tiles)", "auto",
       [&](Runtime& rt) { grouped_mm(aDecode.view(), w.view(), WeightLayout::ENK, offsDecode.view(), recipe, outDecode.view(), rt); }},
      {"forward 2d3d (packed weights)", "auto",
       [&](Runtime& rt) { grouped_mm(aDecode.view(), packed, offsDecode.view(), recipe, outDecode.view(), rt); }},
      {"dgrad 2d3d (row blocks)", "auto",
       [&](Runtime& rt) { grouped_mm(gradDecode.view(), w.view(), WeightLayout::EKN, offsDecode.view(), recipe, gradADecode.view(), rt); }},
      {"forward 2d3d (row tiles)", "tiles", [&](Runtime& rt) { grouped_mm(a.view(), w.view(), WeightLayout::ENK, offs.view(), recipe, out.view(), rt); }},
      {"dgrad 2d3d + wgrad 2d2d", "auto",
       [&](Runtime& rt) { grouped_mm_backward(a.view(), w.view(), WeightLayout::ENK, offs.view(), gradOut.view(), recipe, gradA.view(), gradB.view(), rt); }},
      {"quantize along K", "auto", [&](Runtime& rt) { quantize(a.view(), -1, ElemFormat::E4M3, 32, ScaleMode::RCeil, q.view(), s.view(), nullptr, rt); }},
  };
  report += fmt::format("first call, cold (IR, passes, plan, LLVM, JIT link; a kernel's modules on {} threads), median of 3 "
                        "fresh runtimes:\n", Runtime(options).options().compileThreads);
  for (const Kernel& kernel : kernels) {
    std::vector<double> compileMs;
    for (int round = 0; round < 3; ++round) {
      RuntimeOptions o = options;
      o.gemmPlan = kernel.plan;
      Runtime rt(o);
      kernel.call(rt);
      compileMs.push_back(rt.stats().compileMs / std::max<uint64_t>(rt.stats().compiles, 1));
    }
    std::sort(compileMs.begin(), compileMs.end());
    report += fmt::format("  {:<28} {:8.1f} ms per kernel\n", kernel.name, compileMs[1]);
  }

  // Cache hit: M_total = 0, so nothing but the call's own overhead is timed.
  Runtime rt(options);
  HostTensor a0(DType::BF16, {0, k}), out0(DType::BF16, {0, n});
  const HostTensor offs0 = offsOf(std::vector<int32_t>(e, 0));
  grouped_mm(a0.view(), w.view(), WeightLayout::ENK, offs0.view(), recipe, out0.view(), rt);
  const int calls = 20000;
  std::vector<double> perCallUs;
  for (int round = 0; round < 5; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) grouped_mm(a0.view(), w.view(), WeightLayout::ENK, offs0.view(), recipe, out0.view(), rt);
    perCallUs.push_back(millisSince(start) * 1000.0 / calls);
  }
  std::sort(perCallUs.begin(), perCallUs.end());
  report += fmt::format("\ncache-hit call overhead (forward, M_total=0, median of 5 x {} calls): {:.2f} us per call\n",
                        calls, perCallUs[2]);
  report += fmt::format("target: {}\n", rt.targetName());
  fmt::print("{}", report);
  std::ofstream(path) << report;
  return 0;
}
