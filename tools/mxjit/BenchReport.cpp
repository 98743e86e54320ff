#include "BenchReport.h"

#include "mxjit/Error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>

namespace mxjit::cli {
namespace {

std::string ratio(double x) { return std::isfinite(x) ? fmt::format("{:.2f}x", x) : "-"; }
std::string fixed(double x, int precision) { return std::isfinite(x) ? fmt::format("{:.{}f}", x, precision) : "-"; }

// JSON pieces: numbers (null when not finite), strings (escaped), arrays of numbers.
std::string jnum(double x) { return std::isfinite(x) ? fmt::format("{:.10g}", x) : "null"; }
std::string jstr(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", int(c));
    else out += c;
  }
  return out + "\"";
}
template <class T> std::string jarray(const std::vector<T>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + jnum(double(v[i]));
  return out + "]";
}
std::string jpeaks(const MachinePeaks& p) {
  return fmt::format("{{\"fp32_fma_gflops\": {}, \"bf16_dot_gflops\": {}, \"amx_bf16_gflops\": {}, \"read_gbps\": {}}}",
                     jnum(p.fp32FmaGflops), jnum(p.bf16DotGflops), jnum(p.amxGflops), jnum(p.readGBps));
}
std::string jshape(const BenchShape& s) { return jarray(std::vector<int64_t>{s.m, s.k, s.n, s.g}); }

constexpr const char* kRowFormat = "{:<18} {:<8} {:<16} {:>10} {:>8} {:>7} {:>7} {:>8} {:>8} {:>9}  {}\n";

}  // namespace

double MachinePeaks::bestComputeGflops() const { return std::max({fp32FmaGflops, bf16DotGflops, amxGflops}); }
std::string MachinePeaks::bestComputeName() const {
  if (amxGflops >= bestComputeGflops() && amxGflops > 0) return "amx_bf16 tdpbf16ps";
  return bf16DotGflops > fp32FmaGflops ? "avx512_bf16 vdpbf16ps" : avx512f ? "avx512f fp32 FMA" : "avx2 fp32 FMA";
}
MachinePeaks MachinePeaks::bestOf(const MachinePeaks& o) const {
  MachinePeaks p = *this;
  p.fp32FmaGflops = std::max(fp32FmaGflops, o.fp32FmaGflops);
  p.bf16DotGflops = std::max(bf16DotGflops, o.bf16DotGflops);
  p.amxGflops = std::max(amxGflops, o.amxGflops);
  p.readGBps = std::max(readGBps, o.readGBps);
  return p;
}

BenchReport::BenchReport(MachinePeaks peaks, std::string onednnVersion, std::string groups, int rounds, std::string command)
    : peaks_(peaks), peaksAtStart_(std::move(peaks)), onednnVersion_(std::move(onednnVersion)), groups_(std::move(groups)),
      command_(std::move(command)), rounds_(rounds) {}

void BenchReport::emit(const std::string& text) {
  fmt::print("{}", text);
  std::fflush(stdout);
  text_ += text;
}

void BenchReport::printPreamble() {
  emit(fmt::format("{}\n{}, {} threads, groups {}, per-call time = median of {} rounds (engines interleaved)\n", command_,
                   peaks_.cpu, peaks_.threads, groups_, rounds_));
  if (peaks_.loadAverage >= 0.5)
    emit(fmt::format("warning: load average {:.2f} before the run: other processes share these cores, so timings\n"
                     "(multi-threaded ones most) are lower and noisier than this machine can do\n",
                     peaks_.loadAverage));
  fmt::print("progress (the table follows at the end):\n");
}

void BenchReport::add(BenchRecord r) {
  if (r.timing)
    fmt::print("  {:<18} {:<8} {:<16} {:10.3f} ms/call\n", r.shape.str(), benchPassName(r.pass), r.engine, r.timing->msMedian);
  else
    fmt::print("  {:<18} {:<8} {:<16} not run: {}\n", r.shape.str(), benchPassName(r.pass), r.engine, r.run.error);
  std::fflush(stdout);
  records_.push_back(std::move(r));
}

void BenchReport::addDispatch(const DispatchCost& d) { dispatch_.push_back(d); }

void BenchReport::derive(BenchRecord& r) const {
  const bool memBound = memoryBound(r.shape, r.pass);
  if (r.timing && r.timing->msMedian > 0) {
    const double seconds = r.timing->msMedian * 1e-3;
    if (r.run.work.flops > 0) r.gflops = r.run.work.flops / seconds * 1e-9;
    r.gbps = r.run.work.bytes / seconds * 1e-9;
    r.pctPeak = memBound ? 100 * r.gbps / peaks_.readGBps : 100 * r.gflops / peaks_.bestComputeGflops();
  }
}

void BenchReport::finish(const MachinePeaks& peaksAtEnd, const RuntimeStats& stats, const std::string& target, int compileThreads) {
  peaksAtEnd_ = peaksAtEnd;
  peaks_ = peaksAtStart_.bestOf(peaksAtEnd);
  stats_ = stats, target_ = target, compileThreads_ = compileThreads;
  for (BenchRecord& r : records_) derive(r);
  // Throughput ratios within each (shape, pass): GFLOP/s for GEMMs, GB/s for quantize (no flops).
  for (BenchRecord& r : records_) {
    const auto rate = [&](const BenchRecord& x) { return r.pass == BenchPass::Quantize ? x.gbps : x.gflops; };
    for (const BenchRecord& peer : records_) {
      if (peer.pass != r.pass || peer.shape.str() != r.shape.str()) continue;
      if (peer.engine == "onednn_prepacked") r.vsOnednn = rate(r) / rate(peer);
      if (peer.engine == "onednn_plain") r.vsOnednnPlain = rate(r) / rate(peer);
      if (peer.engine == "reference") r.vsReference = rate(r) / rate(peer);
    }
  }

  const MachinePeaks& p = peaks_;
  const auto both = [](double start, double end, const char* unit) {
    return fmt::format("(start {:.1f}, end {:.1f} {})", start, end, unit);
  };
  std::string s = fmt::format("\nmachine limits, measured on {} threads before and after the runs (the better of the two):\n", p.threads);
  s += fmt::format("  fp32 FMA peak ({}, register-resident FMA chains)        {:8.1f} GFLOP/s {}\n", p.avx512f ? "AVX-512" : "AVX2",
                   p.fp32FmaGflops, both(peaksAtStart_.fp32FmaGflops, peaksAtEnd_.fp32FmaGflops, "GFLOP/s"));
  if (p.avx512Bf16)
    s += fmt::format("  bf16 dot peak (AVX512-BF16 vdpbf16ps, 64 flops each)       {:8.1f} GFLOP/s {}\n", p.bf16DotGflops,
                     both(peaksAtStart_.bf16DotGflops, peaksAtEnd_.bf16DotGflops, "GFLOP/s"));
  else
    s += "  bf16 dot peak: this CPU has no AVX512-BF16\n";
  if (p.amxBf16)
    s += fmt::format("  AMX-BF16 peak (tdpbf16ps on register-resident tiles)       {:8.1f} GFLOP/s {}\n", p.amxGflops,
                     both(peaksAtStart_.amxGflops, peaksAtEnd_.amxGflops, "GFLOP/s"));
  else
    s += "  AMX-BF16: absent (CPUID reports no AMX on this CPU), so no AMX peak\n";
  s += fmt::format("  memory read bandwidth (streaming sum over {} MiB)         {:8.1f} GB/s    {}\n", p.readBufferBytes >> 20,
                   p.readGBps, both(peaksAtStart_.readGBps, peaksAtEnd_.readGBps, "GB/s"));
  s += fmt::format("oneDNN {}: bf16 matmul per group, bf16 out, fp32 accumulation\n\n", onednnVersion_);
  s += fmt::format(
      "%peak: compute-bound rows (C) of the best compute peak ({}, {:.1f} GFLOP/s); memory-bound rows (M: groups\n"
      "of <= 16 rows on average, and quantize) of read bandwidth, with bytes = weights of the experts that have\n"
      "rows (fp8 + e8m0 where mxjit takes them prequantized, bf16 otherwise) + A + out, each read/written once.\n"
      "vs dnn / vs plain / vs ref: throughput over oneDNN prepacked / oneDNN plain / the scalar reference.\n\n",
      p.bestComputeName(), p.bestComputeGflops());
  s += fmt::format(kRowFormat, "shape MxKxNxG", "pass", "engine", "ms/call", "GFLOP/s", "GB/s", "vs dnn", "vs plain", "vs ref",
                   "%peak", "note");
  for (const BenchRecord& r : records_) {
    std::string note = r.run.error.empty() ? r.run.note : "not run: " + r.run.error;
    if (!r.run.impl.empty()) note = r.run.impl + "; " + note;
    const std::string pct =
        std::isfinite(r.pctPeak) ? fmt::format("{:.1f}% {}", r.pctPeak, memoryBound(r.shape, r.pass) ? "M" : "C") : "-";
    s += fmt::format(kRowFormat, r.shape.str(), benchPassName(r.pass), r.engine, r.timing ? fixed(r.timing->msMedian, 3) : "-",
                     fixed(r.gflops, 1), fixed(r.gbps, 1), ratio(r.vsOnednn), ratio(r.vsOnednnPlain), ratio(r.vsReference), pct,
                     note);
  }

  s += fmt::format("\nJIT compile and dispatch (target {}, stages compiled on {} thread(s), no disk cache):\n", target, compileThreads);
  s += fmt::format("  {} kernels compiled in {:.0f} ms, {:.1f} ms per kernel on first call; {} cache hits\n", stats.compiles,
                   stats.compileMs, stats.compiles ? stats.compileMs / double(stats.compiles) : 0.0, stats.hits);
  for (const BenchRecord& r : records_)
    if (r.compiles)
      s += fmt::format("  first call {:<18} {:<8} {:8.1f} ms per kernel, {} kernel(s); the call took {:.0f} ms\n",
                       r.shape.str(), benchPassName(r.pass), r.compileMs, r.compiles, r.timing->firstCallMs);
  for (const DispatchCost& d : dispatch_)
    s += fmt::format("  cache-hit overhead (zero-row forward) {:<18} bf16 W {:7.2f} us, prequantized W {:7.2f} us per call\n",
                     d.shape.str(), d.hitUsBf16, d.hitUsMx);
  bool header = false;
  for (const BenchRecord& r : records_) {
    if (r.run.impl.empty()) continue;
    if (!header) s += "\noneDNN implementations picked (impl_info_str):\n", header = true;
    s += fmt::format("  {:<18} {:<8} {:<16} {}\n", r.shape.str(), benchPassName(r.pass), r.engine, r.run.impl);
  }
  emit(s);
}

void BenchReport::writeJson(const std::string& path) const {
  const MachinePeaks& p = peaks_;
  std::string s = "[\n";
  s += fmt::format(
      "{{\"record\": \"header\", \"tool\": \"mxjit bench\", \"command\": {}, \"cpu\": {}, \"threads\": {}, \"groups\": {}, \"rounds\": {},\n"
      " \"peaks\": {{\"fp32_fma_gflops\": {}, \"fp32_fma_isa\": {}, \"bf16_dot_gflops\": {}, \"avx512_bf16\": {}, "
      "\"amx_bf16\": {}, \"amx_bf16_gflops\": {}, \"read_gbps\": {}, \"read_buffer_mib\": {}, \"best_compute_gflops\": {}, "
      "\"best_compute\": {}, \"measured_at_start\": {}, \"measured_at_end\": {}}},\n \"load_average\": {},\n"
      " \"onednn\": {},\n"
      " \"pct_peak_rule\": {},\n",
      jstr(command_), jstr(p.cpu), p.threads, jstr(groups_), rounds_, jnum(p.fp32FmaGflops), jstr(p.avx512f ? "avx512f" : "avx2"),
      p.avx512Bf16 ? jnum(p.bf16DotGflops) : "null", p.avx512Bf16 ? "true" : "false", p.amxBf16 ? "true" : "false",
      p.amxBf16 ? jnum(p.amxGflops) : "null", jnum(p.readGBps), p.readBufferBytes >> 20,
      jnum(p.bestComputeGflops()), jstr(p.bestComputeName()),
      jpeaks(peaksAtStart_), jpeaks(peaksAtEnd_),
      jnum(p.loadAverage), jstr(onednnVersion_),
      jstr("compute-bound: gflops / best_compute_gflops; memory-bound (<= 16 rows per group on average, quantize): "
           "gbps / read_gbps with bytes = weights of experts with rows (fp8+e8m0 for mxjit fwd, else bf16) + A + out"));
  s += fmt::format(" \"jit\": {{\"target\": {}, \"compile_threads\": {}, \"compiles\": {}, \"compile_ms_total\": {}, "
                   "\"compile_ms_per_kernel\": {}, \"hits\": {}, \"dispatch\": [",
                   jstr(target_), compileThreads_, stats_.compiles, jnum(stats_.compileMs),
                   jnum(stats_.compiles ? stats_.compileMs / double(stats_.compiles) : NAN), stats_.hits);
  for (size_t i = 0; i < dispatch_.size(); ++i) {
    const DispatchCost& d = dispatch_[i];
    s += fmt::format("{}{{\"shape\": {}, \"zero_row_hit_us_bf16_w\": {}, \"zero_row_hit_us_mx_w\": {}}}", i ? ", " : "",
                     jshape(d.shape), jnum(d.hitUsBf16), jnum(d.hitUsMx));
  }
  s += "]}}";
  for (const BenchRecord& r : records_) {
    const bool memBound = memoryBound(r.shape, r.pass);
    s += fmt::format(
        ",\n{{\"record\": \"result\", \"shape\": {}, \"pass\": {}, \"engine\": {}, \"ms_median\": {}, \"gflops\": {}, "
        "\"gbps\": {}, \"vs_onednn\": {}, \"vs_onednn_plain\": {}, \"vs_reference\": {}, \"pct_peak\": {}, \"bound\": {}, "
        "\"flops\": {}, \"bytes\": {}, \"problem\": {}, \"ms_rounds\": {}, \"ms_min\": {}, \"calls_per_round\": {}, \"first_call_ms\": {}, "
        "\"jit_compiles\": {}, \"jit_compile_ms\": {}, \"impl\": {}, \"note\": {}, \"error\": {}}}",
        jshape(r.shape), jstr(std::string(benchPassName(r.pass))), jstr(r.engine), jnum(r.timing ? r.timing->msMedian : NAN),
        jnum(r.gflops), jnum(r.gbps), jnum(r.vsOnednn), jnum(r.vsOnednnPlain), jnum(r.vsReference), jnum(r.pctPeak),
        jstr(memBound ? "memory" : "compute"), jnum(r.run.work.flops), jnum(r.run.work.bytes), jarray(r.run.problem),
        r.timing ? jarray(r.timing->roundMs) : "[]",
        jnum(r.timing && !r.timing->roundMs.empty() ? *std::min_element(r.timing->roundMs.begin(), r.timing->roundMs.end()) : NAN),
        r.timing ? r.timing->calls : 0, jnum(r.timing ? r.timing->firstCallMs : NAN),
        r.compiles, jnum(r.compiles ? r.compileMs : NAN), jstr(r.run.impl), jstr(r.run.note), jstr(r.run.error));
  }
  s += "\n]\n";
  std::ofstream out(path);
  if (!(out << s)) throw Error(ErrorKind::Io, fmt::format("cannot write {}", path));
}

void BenchReport::writeText(const std::string& path) const {
  std::ofstream out(path);
  if (!(out << text_)) throw Error(ErrorKind::Io, fmt::format("cannot write {}", path));
}

}  // namespace mxjit::cli
