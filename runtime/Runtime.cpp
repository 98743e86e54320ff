#include "CodeGen.h"
#include "ObjectBundle.h"
#include "RuntimeImpl.h"
#include "ir/Printer.h"
#include "mxjit/Error.h"
#include "passes/PassManager.h"
#include "plan/LowerToPlan.h"
#include "support/Env.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

namespace mxjit {
namespace {

bool envFlag(std::string_view name) {
  const auto v = envValue(name);
  return v && *v != "0";
}

int envInt(std::string_view name, int fallback) {
  const auto v = envValue(name);
  return v ? std::atoi(v->c_str()) : fallback;
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

RuntimeOptions RuntimeOptions::fromEnvironment() {
  RuntimeOptions o;
  o.target = envValue("MXJIT_TARGET").value_or(o.target);
  o.cacheDir = envValue("MXJIT_CACHE_DIR").value_or("");
  o.dumpDir = envValue("MXJIT_DUMP_DIR").value_or("");
  o.printAfterAll = envFlag("MXJIT_PRINT_AFTER_ALL");
  o.timePasses = envFlag("MXJIT_TIME_PASSES");
  o.timeStages = envFlag("MXJIT_TIME_STAGES");
  o.debug = envInt("MXJIT_DEBUG", 0);
  o.threads = envInt("MXJIT_THREADS", 0);
  o.compileThreads = envInt("MXJIT_COMPILE_THREADS", 0);
  o.gemmPlan = envValue("MXJIT_GEMM_PLAN").value_or(o.gemmPlan);
  o.cacheCapacity = static_cast<size_t>(envInt("MXJIT_CACHE_CAPACITY", static_cast<int>(o.cacheCapacity)));
  return o;
}

namespace {

Runtime::Impl::GemmPlan parseGemmPlan(const std::string& s) {
  if (s == "auto") return Runtime::Impl::GemmPlan::Auto;
  if (s == "tiles") return Runtime::Impl::GemmPlan::Tiles;
  if (s == "stream") return Runtime::Impl::GemmPlan::Stream;
  throw Error(ErrorKind::InvalidArgument, fmt::format("unknown GEMM plan '{}' (expected auto, tiles or stream)", s));
}

// The most rows of a group the streaming stage could take in column tiles or row blocks
// (plan::fusedGroupRows; 0: neither applies): only groups within it make a kernel of their own.
int64_t fusedGroupRows(const runtime::KernelSpec& s, bool amxHost) {
  const auto dtype = static_cast<DType>(s.bDType);
  plan::OperandPlan b;
  b.layout = static_cast<ir::OperandLayout>(s.bLayout);
  b.load = dtype == DType::E4M3 || dtype == DType::E5M2 ? abi::kDequantize
           : (s.highPrecision & 2)                     ? abi::kHighPrecisionBf16
           : dtype == DType::BF16                      ? abi::kQuantizeBf16
                                                       : abi::kQuantizeF32;
  b.block = s.bBlock ? s.bBlock : s.block;
  return s.kind == runtime::SpecKind::Gemm2d3d ? plan::fusedGroupRows(b, s.k, s.n, amxHost) : 0;
}

}  // namespace

Runtime::Impl::Impl(RuntimeOptions o)
    : options(std::move(o)), gemmPlan(parseGemmPlan(options.gemmPlan)),
      target(codegen::hostTarget(codegen::parseTargetCap(options.target))), cache(options.cacheCapacity) {
  if (options.compileThreads <= 0) options.compileThreads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (!options.cacheDir.empty()) disk.emplace(options.cacheDir);
  if (!options.dumpDir.empty()) std::filesystem::create_directories(options.dumpDir);
}

runtime::KernelCache::KernelPtr Runtime::Impl::kernelFor(runtime::KernelSpec spec, const std::function<ir::Module()>& build,
                                                         const std::map<std::string, int64_t>& bindings) {
  spec.avx512 = target.amx ? 3 : target.avx512bf16 ? 2 : target.avx512 ? 1 : 0;
  spec.featuresHash = runtime::fnv1a(target.features.data(), target.features.size());
  bool compiledHere = false;
  auto kernel = cache.getOrCompile(spec, [&] { return compile(spec, build, bindings); }, &compiledHere,
                                   [&](const runtime::Kernel& evicted) {
                                     if (options.debug >= 1) fmt::print(stderr, "mxjit,evict,{},0\n", evicted.plan.stem);
                                   });
  if (!compiledHere) {
    hits.fetch_add(1, std::memory_order_relaxed);
    if (options.debug >= 2) fmt::print(stderr, "mxjit,hit,{},0\n", kernel->plan.stem);
  }
  return kernel;
}

std::vector<Runtime::Impl::Route> Runtime::Impl::routeGroups(const runtime::KernelSpec& spec,
                                                            const std::vector<GroupRange>& groups) const {
  const int64_t fusedRows = fusedGroupRows(spec, target.amx);
  int64_t largest = 0, rows = 0;
  bool tiny = false, small = false;  // groups of 1..kColumnTileRows rows, of kColumnTileRows + 1..fusedRows
  for (const GroupRange& g : groups) {
    largest = std::max(largest, g.size()), rows += g.size();
    tiny |= g.size() > 0 && g.size() <= std::min(fusedRows, plan::kColumnTileRows);
    small |= g.size() > plan::kColumnTileRows && g.size() <= fusedRows;
  }
  const int64_t mean = groups.empty() ? 0 : rows / static_cast<int64_t>(groups.size());
  runtime::KernelSpec panels = spec;
  const bool panelPacked = spec.bLayout == uint8_t(ir::OperandLayout::PNK);
  panels.streamPanels = gemmPlan == GemmPlan::Auto ? plan::streamWeightPanels(largest, mean, spec.k, target.amx, panelPacked)
                                                   : gemmPlan == GemmPlan::Stream;
  // Groups within fusedRows stream their weights once in column tiles or row blocks whatever the others
  // take (whole panels, or row tiles, which would pack every small group's weights first), unless a plan
  // is forced: those of up to 8 rows in a kernel that multiplies each pair row as it is decoded or
  // quantized, larger ones in one that keeps it for every 8 rows (8-row groups ran 8% slower there).
  const bool fused = gemmPlan == GemmPlan::Auto || (gemmPlan == GemmPlan::Stream && panels.streamPanels);
  if (!fused || (!tiny && !small)) return {{panels, {}}};
  std::vector<Route> routes;
  runtime::KernelSpec fusedSpec = spec;
  if (tiny) fusedSpec.streamPanels = 2, routes.push_back({fusedSpec, {0, plan::kColumnTileRows}});
  if (small) fusedSpec.streamPanels = 3, routes.push_back({fusedSpec, {plan::kColumnTileRows + 1, fusedRows}});
  if (largest > fusedRows) routes.push_back({panels, {fusedRows + 1}});
  if (routes.size() == 1) routes[0].rows = {};  // every group, empty ones included
  return routes;
}

void Runtime::Impl::runGemm2d3d(const runtime::KernelSpec& spec, const std::vector<GroupRange>& groups,
                                const std::function<ir::Module()>& build, const std::map<std::string, int64_t>& bindings,
                                const abi::KernelArgs& args, std::span<const int32_t> offs) {
  const std::vector<Route> routes = routeGroups(spec, groups);
  std::vector<runtime::KernelCache::KernelPtr> kernels;  // all of them first: a failed compile runs nothing
  for (const Route& r : routes) kernels.push_back(kernelFor(r.spec, build, bindings));
  for (size_t i = 0; i < routes.size(); ++i) runtime::runKernel(*kernels[i], args, offs, options, routes[i].rows);
}

void Runtime::Impl::bucketTokenGroups(runtime::KernelSpec& spec, const std::vector<GroupRange>& groups) const {
  int64_t largest = 0;
  for (const GroupRange& g : groups) largest = std::max(largest, g.size());
  spec.smallGroups = target.amx && largest <= plan::kSmallGroupRows;
}

runtime::KernelCache::KernelPtr Runtime::Impl::compile(const runtime::KernelSpec& spec, const std::function<ir::Module()>& build,
                                                       const std::map<std::string, int64_t>& bindings) {
  const auto start = std::chrono::steady_clock::now();
  ir::Module module = build();
  const bool dumping = !options.dumpDir.empty();
  std::vector<std::pair<std::string, std::string>> irDumps = {{"input", ir::print(module)}};

  passes::PassManagerOptions pmOptions;
  pmOptions.printAfterAll = options.printAfterAll || dumping;
  pmOptions.timePasses = options.timePasses;
  pmOptions.onPrint = [&](int, const std::string& pass, bool changed, const std::string& text) {
    if (options.printAfterAll) fmt::print(stderr, "// ----- IR after {}{} -----\n{}", pass, changed ? "" : " (unchanged)", text);
    if (dumping) irDumps.emplace_back(pass, text);
  };
  passes::PassManager pm(pmOptions);
  pm.addPipeline();
  passes::PassOptions passOptions;
  passOptions.dimBindings = bindings;
  pm.run(module, passOptions);
  plan::PlanOptions planOptions;
  planOptions.streamPanels = spec.streamPanels != 0;
  planOptions.fusedGroupRows = spec.streamPanels == 2   ? plan::kColumnTileRows
                               : spec.streamPanels == 3 ? fusedGroupRows(spec, target.amx)
                                                        : 0;
  planOptions.smallGroups = spec.smallGroups != 0;
  plan::KernelPlan plan = plan::lowerToPlan(module, plan::selectMicrokernel(target.avx512, target.avx512bf16, target.amx), planOptions);
  // The key's hash makes symbols unique even where the readable stem omits a detail (e.g. features).
  plan.stem += fmt::format("_{:08x}", runtime::KernelSpecHash{}(spec) & 0xFFFFFFFFu);

  std::optional<std::vector<std::string>> objects;
  // Objects on disk are this plan's only if the same plan (stages, constants, item grids) and the same
  // helpers built them: a newer mxjit may lower the same key differently.
  uint64_t builtFrom = 0;
  if (disk) {
    static const uint64_t helpers = [] {
      const std::string_view bitcode = codegen::helperBitcode();
      return runtime::fnv1a(bitcode.data(), bitcode.size());
    }();
    const std::string planText = plan.toString();
    builtFrom = runtime::fnv1a(planText.data(), planText.size(), helpers);
    if (std::optional<std::string> bundle = disk->load(plan.stem, spec, builtFrom)) objects = runtime::unbundleObjects(*bundle);
  }
  std::vector<std::string> entryNames;
  size_t modules = 0;  // one per stage and per stage part
  for (const plan::Stage& stage : plan.stages) entryNames.push_back(codegen::entryName(plan, stage)), modules += stage.part ? 2 : 1;
  const bool fromDisk = objects.has_value() && objects->size() == modules;
  if (fromDisk) {
    diskHits.fetch_add(1, std::memory_order_relaxed);
  } else {
    codegen::CompiledKernel compiled = codegen::compilePlan(plan, target, {dumping, dumping, options.compileThreads});
    objects = compiled.objects();
    if (options.timePasses)
      for (const codegen::CompiledStage& stage : compiled.stages)
        for (const auto& [phase, ms] : stage.phaseMs) fmt::print(stderr, "mxjit,codegen,{}:{},{:.3f}\n", stage.entryName, phase, ms);
    compiles.fetch_add(1, std::memory_order_relaxed);
    if (disk) disk->store(plan.stem, spec, builtFrom, runtime::bundleObjects(*objects));
    if (dumping) {
      const std::string stem = options.dumpDir + "/" + plan.stem;
      writeFile(stem + ".ll", compiled.llvmIr());
      writeFile(stem + ".opt.ll", compiled.optimizedIr());
      writeFile(stem + ".s", compiled.assembly());
    }
  }
  if (dumping) {
    const std::string stem = options.dumpDir + "/" + plan.stem;
    for (size_t i = 0; i < irDumps.size(); ++i) writeFile(fmt::format("{}.{:02}-{}.mxir", stem, i, irDumps[i].first), irDumps[i].second);
    writeFile(stem + ".plan.txt", plan.toString());
  }

  auto kernel = std::make_shared<runtime::Kernel>();
  std::vector<void*> addresses;
  const auto linkStart = std::chrono::steady_clock::now();
  kernel->code = jit.add(plan.stem, *objects, entryNames, addresses);
  if (options.timePasses)
    fmt::print(stderr, "mxjit,codegen,{}:jit-link,{:.3f}\n", plan.stem,
               std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - linkStart).count());
  kernel->engine = &jit;
  for (void* a : addresses) kernel->entries.push_back(reinterpret_cast<abi::KernelFn>(a));
  kernel->plan = std::move(plan);

  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  compileMicros.fetch_add(micros, std::memory_order_relaxed);
  if (options.debug >= 1)
    fmt::print(stderr, "mxjit,{},{},{:.2f}\n", fromDisk ? "disk-hit" : "compile", kernel->plan.stem, micros / 1000.0);
  return kernel;
}

Runtime::Runtime(RuntimeOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Runtime::~Runtime() = default;

Runtime& Runtime::global() {
  static Runtime runtime;
  return runtime;
}

RuntimeStats Runtime::stats() const {
  RuntimeStats s;
  s.compiles = impl_->compiles.load();
  s.diskHits = impl_->diskHits.load();
  s.hits = impl_->hits.load();
  s.compileMs = impl_->compileMicros.load() / 1000.0;
  s.kernels = impl_->cache.size();
  s.evictions = impl_->cache.evictions();
  return s;
}

const RuntimeOptions& Runtime::options() const { return impl_->options; }
std::string Runtime::targetName() const { return impl_->target.name(); }

}  // namespace mxjit
