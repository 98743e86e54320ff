// Numerical quality report: how far each quant recipe moves a MoE expert layer's three grouped GEMMs
// (out, grad_A, grad_B) from the unquantized result. Every recipe preset runs through the JIT API
// (grouped_mm, grouped_mm_backward, f32 outputs) and so does a sweep of the four scale modes on the
// E4M3 and the E5M2-gradient recipes; each tensor's SNR is measured in dB against the f64 product of
// the same bf16 inputs (lib/reference/ExactGroupedMM.h). Prints a table and writes it, with the data
// description and the gates of tests/api/QualityGateTest.cpp checked on this problem, to
// bench/results/quality.txt (or --out FILE). Exits 1 if a gate fails.
//
//   mxjit-quality [--tokens 2048] [--k 512] [--n 256] [--experts 8] [--seed 2026] [--out FILE]
#include "QualityData.h"
#include "QualityGates.h"
#include "formats/BFloat16.h"
#include "mxjit/Error.h"
#include "mxjit/Ops.h"
#include "reference/ExactGroupedMM.h"
#include "support/HostTensor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace mxjit;

namespace {

using quality::gateDb;
using quality::floats;
using quality::normalBf16;

struct Problem {
  int64_t tokens = 2048, k = 512, n = 256;
  int experts = 8;
  unsigned seed = 2026;
  std::string out = "bench/results/quality.txt";
};

Problem parseArgs(int argc, char** argv) {
  Problem p;
  const std::map<std::string, std::function<void(const std::string&)>> flags = {
      {"--tokens", [&](const std::string& v) { p.tokens = std::stoll(v); }},
      {"--k", [&](const std::string& v) { p.k = std::stoll(v); }},
      {"--n", [&](const std::string& v) { p.n = std::stoll(v); }},
      {"--experts", [&](const std::string& v) { p.experts = std::stoi(v); }},
      {"--seed", [&](const std::string& v) { p.seed = static_cast<unsigned>(std::stoul(v)); }},
      {"--out", [&](const std::string& v) { p.out = v; }},
  };
  for (int i = 1; i < argc; i += 2) {
    const auto flag = flags.find(argv[i]);
    if (flag == flags.end() || i + 1 >= argc)
      throw Error(ErrorKind::Parse, fmt::format("bad argument '{}' (flags: --tokens --k --n --experts --seed --out, "
                                                "each with a value)", argv[i]));
    try {
      flag->second(argv[i + 1]);
    } catch (const std::logic_error&) {
      throw Error(ErrorKind::Parse, fmt::format("{} expects an integer, got '{}'", argv[i], argv[i + 1]));
    }
  }
  if (p.tokens < 1 || p.k < 1 || p.n < 1 || p.experts < 4)
    throw Error(ErrorKind::InvalidArgument, "sizes must be positive and --experts at least 4 (the routing needs "
                                            "a heavy, two empty and a one-token expert)");
  return p;
}

// MoE-like jagged routing: expert 0 takes 4x the mean, experts 1 and 3 none, expert 2 a single token;
// the rest share what is left in gamma-distributed proportions (sizes need not be multiples of 32).
std::vector<int32_t> routeTokens(int64_t tokens, int experts, std::mt19937& rng) {
  std::vector<int64_t> size(experts, 0);
  size[0] = std::min<int64_t>(tokens, 4 * tokens / experts);
  size[2] = std::min<int64_t>(1, tokens - size[0]);
  int64_t left = tokens - size[0] - size[2];
  std::vector<double> weight(experts, 0.0);
  std::gamma_distribution<double> gamma(2.0, 1.0);
  for (int e = 4; e < experts; ++e) weight[e] = gamma(rng);
  const double total = std::accumulate(weight.begin(), weight.end(), 0.0);
  for (int e = 4; e < experts; ++e) {
    size[e] = e == experts - 1 ? left : int64_t(std::floor(weight[e] / total * double(left)));
    left -= e == experts - 1 ? 0 : size[e];
  }
  if (experts == 4) size[0] += left;  // no free experts: the heavy one absorbs the remainder
  std::vector<int32_t> ends(experts);
  int64_t end = 0;
  for (int e = 0; e < experts; ++e) ends[e] = static_cast<int32_t>(end += size[e]);
  return ends;
}

struct Snr {
  double out, gradA, gradB;
};

struct Row {
  std::string name;  // preset name, or "<base> mode=<mode>" in the sweep
  QuantRecipe recipe;
  Snr snr;
};

std::string recipeColumns(const QuantRecipe& r) {
  if (!r.quantized) return fmt::format("{:<5} {:<5} {:>5} {:<5} {:<4}", "bf16", "bf16", "-", "-", "bf16");
  return fmt::format("{:<5} {:<5} {:>5} {:<5} {:<4}", elemFormatName(r.fwdElem), elemFormatName(r.gradElem), r.block,
                     scaleModeName(r.mode), r.wgradHighPrecision ? "hp" : "mx");
}

struct Gate {
  std::string text;
  bool ok;
};

std::vector<Gate> checkGates(const std::vector<Row>& rows) {
  auto find = [&](const std::string& name) -> const Snr& {
    for (const Row& r : rows)
      if (r.name == name) return r.snr;
    throw Error(ErrorKind::Internal, fmt::format("no row '{}'", name));
  };
  std::vector<Gate> gates;
  for (const Row& r : rows) {
    const double gOut = gateDb(r.recipe, GemmPass::Forward), gA = gateDb(r.recipe, GemmPass::Dgrad),
                 gB = gateDb(r.recipe, GemmPass::Wgrad);
    gates.push_back({fmt::format("{:<34} out >= {:.0f}, grad_A >= {:.0f}, grad_B >= {:.0f} dB", r.name, gOut, gA, gB),
                     r.snr.out >= gOut && r.snr.gradA >= gA && r.snr.gradB >= gB});
  }
  auto above = [&](std::string what, double hi, double lo, double margin) {
    gates.push_back({fmt::format("{:<56} {:6.2f} > {:6.2f}{}", what, hi, lo,
                                 margin > 0 ? fmt::format(" + {:.0f} dB", margin) : ""),
                     hi > lo + margin});
  };
  const Snr &bf16 = find("bf16"), &e4m3 = find("mxfp8_e4m3"), &e5m2 = find("mxfp8_e4m3_e5m2grad"),
            &hp = find("mxfp8_e4m3_wgrad_hp");
  above("grad_A: bf16 > mxfp8_e4m3", bf16.gradA, e4m3.gradA, 0);
  above("grad_B: bf16 > mxfp8_e4m3", bf16.gradB, e4m3.gradB, 0);
  above("grad_A: mxfp8_e4m3 > mxfp8_e4m3_e5m2grad + 1 dB", e4m3.gradA, e5m2.gradA, 1);
  above("grad_B: mxfp8_e4m3 > mxfp8_e4m3_e5m2grad + 1 dB", e4m3.gradB, e5m2.gradB, 1);
  above("grad_B: mxfp8_e4m3_wgrad_hp > mxfp8_e4m3", hp.gradB, e4m3.gradB, 0);
  for (ScaleMode mode : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even}) {
    const std::string m(scaleModeName(mode));
    const Snr &hi = find("mxfp8_e4m3 mode=" + m), &mid = find("mxfp8_e4m3_e5m2grad mode=" + m);
    above(fmt::format("mode={}: grad_A e4m3 > e5m2grad", m), hi.gradA, mid.gradA, 0);
    above(fmt::format("mode={}: grad_B e4m3 > e5m2grad", m), hi.gradB, mid.gradB, 0);
  }
  return gates;
}

}  // namespace

int main(int argc, char** argv) try {
  const Problem p = parseArgs(argc, argv);
  const auto start = std::chrono::steady_clock::now();
  std::mt19937 rng(p.seed);
  const int64_t e = p.experts;
  HostTensor offs(DType::I32, {e});
  const std::vector<int32_t> ends = routeTokens(p.tokens, p.experts, rng);
  std::copy(ends.begin(), ends.end(), offs.data<int32_t>());
  const HostTensor a = normalBf16({p.tokens, p.k}, 1.0f, 0.0, rng);
  const HostTensor w = normalBf16({e, p.n, p.k}, 0.02f, 0.0, rng);  // [E, N, K], as torchao stores it
  const HostTensor gradOut = normalBf16({p.tokens, p.n}, 1e-3f, 1e-3, rng);

  const std::vector<double> exactOut = reference::exactForward(a.view(), w.view(), WeightLayout::ENK, offs.view());
  const std::vector<double> exactGradA = reference::exactDgrad(gradOut.view(), w.view(), WeightLayout::ENK, offs.view());
  const std::vector<double> exactGradB = reference::exactWgrad(a.view(), gradOut.view(), offs.view());

  HostTensor out(DType::F32, {p.tokens, p.n}), gradA(DType::F32, {p.tokens, p.k}), gradB(DType::F32, {e, p.k, p.n});
  auto measure = [&](const QuantRecipe& r) {
    grouped_mm(a.view(), w.view(), WeightLayout::ENK, offs.view(), r, out.view());
    grouped_mm_backward(a.view(), w.view(), WeightLayout::ENK, offs.view(), gradOut.view(), r, gradA.view(), gradB.view());
    return Snr{reference::snrDb(floats(out), exactOut), reference::snrDb(floats(gradA), exactGradA),
               reference::snrDb(floats(gradB), exactGradB)};
  };

  std::vector<Row> presets, modes;
  for (std::string_view name : recipePresetNames()) {
    const QuantRecipe r = recipePreset(name);
    presets.push_back({std::string(name), r, measure(r)});
  }
  for (std::string_view base : {"mxfp8_e4m3", "mxfp8_e4m3_e5m2grad"})
    for (ScaleMode mode : {ScaleMode::Floor, ScaleMode::RCeil, ScaleMode::Ceil, ScaleMode::Even}) {
      QuantRecipe r = recipePreset(base);
      r.mode = mode;
      const auto same = std::find_if(presets.begin(), presets.end(), [&](const Row& row) { return row.recipe == r; });
      modes.push_back({fmt::format("{} mode={}", base, scaleModeName(mode)), r, same != presets.end() ? same->snr : measure(r)});
    }

  // Controls, not recipes: what the gates must reject (GatesCanFail in the test).
  QuantRecipe allE5m2;
  allE5m2.fwdElem = allE5m2.gradElem = ElemFormat::E5M2;
  const Snr e5m2Snr = measure(allE5m2);
  HostTensor outBf16(DType::BF16, {p.tokens, p.n}), gradABf16(DType::BF16, {p.tokens, p.k}),
      gradBBf16(DType::BF16, {e, p.k, p.n});
  const QuantRecipe bf16 = recipePreset("bf16");
  grouped_mm(a.view(), w.view(), WeightLayout::ENK, offs.view(), bf16, outBf16.view());
  grouped_mm_backward(a.view(), w.view(), WeightLayout::ENK, offs.view(), gradOut.view(), bf16, gradABf16.view(),
                      gradBBf16.view());
  const Snr roundedSnr{reference::snrDb(floats(outBf16), exactOut), reference::snrDb(floats(gradABf16), exactGradA),
                       reference::snrDb(floats(gradBBf16), exactGradB)};

  std::vector<int32_t> sizes(p.experts);
  for (int g = 0; g < p.experts; ++g) sizes[g] = ends[g] - (g ? ends[g - 1] : 0);
  std::string report = fmt::format(
      "mxjit numerical quality: SNR (dB) of the JIT's f32 results against the unquantized f64 product of the\n"
      "same bf16 inputs, SNR = 10 log10(sum exact^2 / sum (got - exact)^2); higher is better.\n\n"
      "data (seed {}): MoE expert layer, {} experts, {} tokens routed as [{}]\n"
      "  (expert 0 at 4x the mean, experts 1 and 3 empty, expert 2 a single token), K={}, N={}\n"
      "  A        [{}, {}]  normal(0, 1)\n"
      "  W        [{}, {}, {}]  normal(0, 0.02), stored [E, N, K]\n"
      "  grad_out [{}, {}]  normal(0, 1e-3), 0.1% of elements scaled by U(50, 100) (outliers)\n"
      "all inputs rounded to bf16; out = A_g W_g, grad_A = grad_out_g W_g^T, grad_B = A_g^T grad_out_g\n\n",
      p.seed, p.experts, p.tokens, fmt::join(sizes, ", "), p.k, p.n, p.tokens, p.k, e, p.n, p.k, p.tokens, p.n);
  const std::string header = fmt::format("{:<34} {:<5} {:<5} {:>5} {:<5} {:<4} {:>8} {:>8} {:>8}\n", "recipe", "fwd",
                                         "grad", "block", "mode", "wgrd", "out", "grad_A", "grad_B");
  auto table = [&](const std::vector<Row>& rows) {
    std::string text = header + std::string(header.size() - 1, '-') + "\n";
    for (const Row& r : rows)
      text += fmt::format("{:<34} {} {:8.2f} {:8.2f} {:8.2f}\n", r.name, recipeColumns(r.recipe), r.snr.out,
                          r.snr.gradA, r.snr.gradB);
    return text;
  };
  report += "recipe presets (recipePresetNames()):\n" + table(presets);
  report += "\nscale modes (QuantRecipe::mode varied on two presets):\n" + table(modes);
  report += fmt::format(
      "\ncontrols that the gates reject (not recipes):\n"
      "{:<34} {:8.2f} {:8.2f} {:8.2f}   (every GEMM E5M2 x E5M2: under the E4M3 gates)\n"
      "{:<34} {:8.2f} {:8.2f} {:8.2f}   (results rounded to bf16: under the unquantized gate)\n",
      "all e5m2, rceil", e5m2Snr.out, e5m2Snr.gradA, e5m2Snr.gradB, "bf16 recipe, bf16 outputs", roundedSnr.out,
      roundedSnr.gradA, roundedSnr.gradB);

  std::vector<Row> all = presets;
  all.insert(all.end(), modes.begin(), modes.end());
  const std::vector<Gate> gates = checkGates(all);
  const bool ok = std::all_of(gates.begin(), gates.end(), [](const Gate& g) { return g.ok; });
  report += "\ngates (tests/api/QualityGateTest.cpp, where each is explained), on this problem:\n";
  for (const Gate& g : gates) report += fmt::format("  {:<4} {}\n", g.ok ? "ok" : "FAIL", g.text);
  report += fmt::format("{}\n", ok ? "all gates hold" : "a gate FAILED");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("{}(took {:.1f} s)\n", report, seconds);
  std::ofstream file(p.out);
  if (!(file << report)) throw Error(ErrorKind::Io, fmt::format("cannot write '{}'", p.out));
  return ok ? 0 : 1;
} catch (const std::exception& ex) {
  fmt::print(stderr, "mxjit-quality: {}\n", ex.what());
  return 1;
}
