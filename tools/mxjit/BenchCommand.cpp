// mxjit bench: the JIT against its peers in one run, on MoE expert shapes. Peers: oneDNN bf16 matmul
// per group with plain and with prepacked weights, the scalar reference (on a reduced problem); the
// machine's limits are measured on the spot (BenchPeaks). Prints a table, and with --json FILE writes
// one record per (shape, pass, engine) after a header record with the peaks, plus FILE's .txt twin.
#include "Args.h"
#include "BenchPeaks.h"
#include "BenchReport.h"
#include "BenchWorkload.h"
#include "Commands.h"
#include "JitCosts.h"
#include "mxjit/Error.h"

#include <fmt/format.h>

#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>

namespace mxjit::cli {
namespace {

// Training shapes (forward by default) and decode shapes (8 tokens per expert).
const BenchShape kDefaultShapes[] = {{16384, 2048, 1024, 8}, {8192, 4096, 1536, 4}, {4096, 1024, 1024, 16},
                                     {64, 4096, 1536, 8},    {256, 2880, 2880, 32}};

struct Options {
  std::vector<BenchShape> shapes;
  std::vector<BenchPass> passes;
  bool jagged = false;
  int threads = 0, rounds = 3;
  double roundMs = 250;
  std::string json;
  bool onednn = true, reference = true, mxjit = true, mxjitPacked = true;
};

std::vector<std::string> splitList(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t end; (end = text.find(sep, start)) != std::string::npos; start = end + 1) parts.push_back(text.substr(start, end - start));
  parts.push_back(text.substr(start));
  return parts;
}

BenchShape parseShape(const std::string& text) {
  const std::vector<std::string> parts = splitList(text, ',');
  int64_t v[4] = {};
  bool ok = parts.size() == 4;
  for (size_t i = 0; ok && i < 4; ++i) {
    const auto [end, ec] = std::from_chars(parts[i].data(), parts[i].data() + parts[i].size(), v[i]);
    ok = ec == std::errc() && end == parts[i].data() + parts[i].size() && v[i] > 0;
  }
  if (!ok) throw Error(ErrorKind::Parse, fmt::format("--shape expects M,K,N,G (positive integers), got '{}'", text));
  if (v[0] > INT32_MAX) throw Error(ErrorKind::InvalidArgument, fmt::format("--shape {}: M must fit int32 group offsets", text));
  if (v[1] % 32 || v[2] % 32)
    throw Error(ErrorKind::InvalidArgument, fmt::format("--shape {}: K and N must be multiples of 32 (the MX block)", text));
  return {v[0], v[1], v[2], v[3]};
}

Options parseOptions(std::span<char* const> argv) {
  // --shape may repeat (Args takes each flag once): collect those first, hand the rest to Args.
  Options o;
  std::vector<char*> rest;
  for (size_t i = 0; i < argv.size(); ++i) {
    if (std::string_view(argv[i]) == "--shape") {
      if (i + 1 >= argv.size()) throw Error(ErrorKind::Parse, "--shape needs a value");
      o.shapes.push_back(parseShape(argv[++i]));
    } else {
      rest.push_back(argv[i]);
    }
  }
  const Args args(rest, {"groups", "pass", "threads", "json", "rounds", "round-ms", "engines"});
  const std::string groups = args.valueOr("groups", "uniform");
  if (groups != "uniform" && groups != "jagged")
    throw Error(ErrorKind::Parse, fmt::format("unknown --groups '{}' (expected uniform or jagged)", groups));
  o.jagged = groups == "jagged";
  if (const auto passes = args.optional("pass"))
    for (const std::string& p : splitList(*passes, ',')) o.passes.push_back(parseBenchPass(p));
  else
    o.passes = {BenchPass::Fwd};
  o.threads = args.intOr("threads", omp_get_max_threads());
  o.rounds = args.intOr("rounds", 3);
  o.roundMs = args.intOr("round-ms", 250);
  if (o.threads < 1 || o.rounds < 1 || o.roundMs < 1)
    throw Error(ErrorKind::InvalidArgument, "--threads, --rounds and --round-ms must be positive");
  o.json = args.valueOr("json", "");
  if (const auto engines = args.optional("engines")) {
    o.onednn = o.reference = o.mxjit = o.mxjitPacked = false;
    for (const std::string& e : splitList(*engines, ',')) {
      if (e == "onednn") o.onednn = true;
      else if (e == "reference") o.reference = true;
      else if (e == "mxjit") o.mxjit = true;
      else if (e == "mxjit_packed") o.mxjitPacked = true;
      else throw Error(ErrorKind::Parse, fmt::format("unknown engine '{}' in --engines (expected mxjit, mxjit_packed, onednn, reference)", e));
    }
  }
  if (o.shapes.empty()) o.shapes.assign(std::begin(kDefaultShapes), std::end(kDefaultShapes));
  return o;
}

// A warm-up call (the JIT compiles there), a second one if the first was short; then the calls per
// round that fill about roundMs.
Timing warmUp(const std::function<void()>& call, double roundMs) {
  Timing t;
  auto start = std::chrono::steady_clock::now();
  call();
  t.firstCallMs = bench::millisSince(start);
  double estimate = t.firstCallMs;
  if (estimate < roundMs) {
    start = std::chrono::steady_clock::now();
    call();
    estimate = bench::millisSince(start);
  }
  t.calls = std::clamp(int(roundMs / std::max(estimate, 1e-3)), 1, 2000);
  return t;
}

// One round: t.calls calls, their per-call milliseconds appended to t.roundMs.
void timeRound(const std::function<void()>& call, Timing& t) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < t.calls; ++i) call();
  t.roundMs.push_back(bench::millisSince(start) / t.calls);
  t.msMedian = bench::medianOf(t.roundMs);
}

// The 1-minute load average: other processes on these cores make multi-threaded timings wander.
double loadAverage() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  in >> load;
  return load;
}

std::string cpuName() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

MachinePeaks measurePeaks(int threads) {
  MachinePeaks p;
  p.loadAverage = loadAverage();  // before our own loops add to it
  p.threads = threads;
  p.cpu = cpuName();
  const CpuFeatures f = cpuFeatures();
  p.avx512f = f.avx512f, p.avx512Bf16 = f.avx512Bf16, p.amxBf16 = f.amxBf16;
  p.fp32FmaGflops = measureFp32FmaGflops(threads);
  p.bf16DotGflops = measureBf16DotGflops(threads);
  p.amxGflops = measureAmxBf16Gflops(threads);
  const long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
  // >> the last-level cache: 16x L3, within [512 MiB, 1 GiB] (some hypervisors report odd L3 sizes).
  p.readBufferBytes = std::clamp<size_t>(l3 > 0 ? size_t(l3) * 16 : 0, size_t(512) << 20, size_t(1) << 30);
  p.readGBps = measureReadGBps(threads, p.readBufferBytes);
  return p;
}

}  // namespace

int runBench(std::span<char* const> argv) {
  const Options o = parseOptions(argv);
  omp_set_num_threads(o.threads);  // oneDNN's OpenMP runtime and the peak loops
  RuntimeOptions runtimeOptions = RuntimeOptions::fromEnvironment();
  runtimeOptions.threads = o.threads;
  runtimeOptions.cacheDir.clear();  // first calls compile for real
  if (runtimeOptions.compileThreads <= 0) runtimeOptions.compileThreads = o.threads;  // the cores the run uses
  Runtime rt(runtimeOptions);

  std::string command = "mxjit bench";
  for (char* arg : argv) command += std::string(" ") + arg;
  BenchReport report(measurePeaks(o.threads), oneDnnVersion(), o.jagged ? "jagged" : "uniform", o.rounds, command);
  report.printPreamble();
  for (const BenchShape& shape : o.shapes) {
    BenchWorkload work(shape, o.jagged, rt);
    for (const BenchPass pass : o.passes) {
      std::vector<BenchRecord> group;
      const auto addEngine = [&](const std::string& engine, EngineRun run) {
        BenchRecord& r = group.emplace_back();
        r.shape = shape, r.pass = pass, r.engine = engine, r.run = std::move(run);
      };
      if (o.onednn) {
        addEngine("onednn_prepacked", work.oneDnn(pass, true));
        addEngine("onednn_plain", work.oneDnn(pass, false));
      }
      if (o.reference) addEngine("reference", work.reference(pass));
      if (o.mxjit) addEngine("mxjit", work.mxjit(pass));
      if (o.mxjitPacked && pass == BenchPass::Fwd) addEngine("mxjit_packed", work.mxjitPacked());
      // Warm every engine up, then interleave the rounds: a burst of load from other processes on
      // shared cores then hits every engine of the comparison alike rather than one of them.
      std::vector<Timing> subtracted(group.size());
      for (size_t i = 0; i < group.size(); ++i) {
        BenchRecord& r = group[i];
        if (!r.run.call) continue;
        const RuntimeStats before = rt.stats();
        r.timing = warmUp(r.run.call, o.roundMs);
        if (r.run.subtract) subtracted[i] = warmUp(r.run.subtract, o.roundMs);  // a cache hit: the same kernel
        const RuntimeStats after = rt.stats();
        r.compiles = int(after.compiles - before.compiles);
        r.compileMs = bench::compileMsPerKernel(before, after);
      }
      for (int round = 0; round < o.rounds; ++round)
        for (size_t i = 0; i < group.size(); ++i) {
          if (!group[i].timing) continue;
          timeRound(group[i].run.call, *group[i].timing);
          if (group[i].run.subtract) timeRound(group[i].run.subtract, subtracted[i]);
        }
      for (size_t i = 0; i < group.size(); ++i) {
        BenchRecord& r = group[i];
        if (r.timing && r.run.subtract) {  // the JIT's wgrad: backward minus its dgrad kernel, round by round
          for (size_t k = 0; k < r.timing->roundMs.size(); ++k) r.timing->roundMs[k] -= subtracted[i].roundMs[k];
          r.timing->msMedian = bench::medianOf(r.timing->roundMs);
        }
        report.add(std::move(r));
      }
    }
    if (o.mxjit) {
      DispatchCost d{shape};
      for (bool mx : {false, true}) {
        const std::function<void()> call = work.zeroRowForward(mx);
        const RuntimeStats before = rt.stats();
        call();  // a first zero-row call may compile the weight-streaming plan
        (mx ? d.compileMsMx : d.compileMsBf16) = bench::compileMsPerKernel(before, rt.stats());
        (mx ? d.hitUsMx : d.hitUsBf16) = bench::hitCallMicros(call, 2000, 5);
      }
      report.addDispatch(d);
    }
  }
  report.finish(measurePeaks(o.threads), rt.stats(), rt.targetName(), rt.options().compileThreads);
  if (!o.json.empty()) {
    std::string txt = o.json;
    txt = (txt.size() > 5 && txt.ends_with(".json") ? txt.substr(0, txt.size() - 5) : txt) + ".txt";
    report.writeJson(o.json);
    report.writeText(txt);
    fmt::print("wrote {} and {} (plot: bench/plot.sh {})\n", o.json, txt, o.json);
  }
  return 0;
}

}  // namespace mxjit::cli
