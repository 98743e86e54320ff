#include "BenchWorkload.h"

#include "formats/BFloat16.h"
#include "formats/Quantize.h"
#include "mxjit/Error.h"
#include "mxjit/Ops.h"
#include "reference/GroupedMM.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>

namespace mxjit::cli {
namespace {

constexpr int kBlock = 32;
// One reference call aims at this much work: ~0.1-0.2 s at the scalar reference's few GFLOP/s.
constexpr double kReferenceFlops = 0.4e9;
constexpr double kReferenceQuantizeElems = 4e6;

void fillBf16(HostTensor& t, float scale, uint64_t seed) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  uint16_t* p = t.data<uint16_t>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64
    const float u = float(int64_t(x >> 40) - (int64_t(1) << 23)) / float(1 << 23);  // [-1, 1)
    p[i] = formats::floatToBf16(u * scale);
  }
}

// A row-major view of rows [0, rows) of a 2-D tensor, or of expert 0 of a 3-D one.
TensorView leading(const HostTensor& t, int64_t count) {
  TensorView v = t.view();
  v.shape[0] = count;
  return v;
}

HostTensor offsTensor(const std::vector<int32_t>& ends) {
  HostTensor t(DType::I32, {int64_t(ends.size())});
  std::copy(ends.begin(), ends.end(), t.data<int32_t>());
  return t;
}

int64_t activeGroups(const std::vector<int32_t>& ends) {
  int64_t active = 0;
  for (size_t g = 0; g < ends.size(); ++g) active += ends[g] > (g ? ends[g - 1] : 0);
  return active;
}

}  // namespace

std::string BenchShape::str() const { return fmt::format("{}x{}x{}x{}", m, k, n, g); }

std::string_view benchPassName(BenchPass p) {
  switch (p) {
  case BenchPass::Fwd: return "fwd";
  case BenchPass::Dgrad: return "dgrad";
  case BenchPass::Wgrad: return "wgrad";
  case BenchPass::Step: return "step";
  case BenchPass::Quantize: return "quantize";
  }
  return "?";
}

BenchPass parseBenchPass(std::string_view s) {
  for (BenchPass p : {BenchPass::Fwd, BenchPass::Dgrad, BenchPass::Wgrad, BenchPass::Step, BenchPass::Quantize})
    if (s == benchPassName(p)) return p;
  throw Error(ErrorKind::Parse, fmt::format("unknown --pass '{}' (expected fwd, dgrad, wgrad, step or quantize)", s));
}

std::vector<int32_t> groupEnds(const BenchShape& s, bool jagged) {
  std::vector<int64_t> sizes(s.g);
  if (!jagged) {
    for (int64_t g = 0; g < s.g; ++g) sizes[g] = s.m / s.g + (g < s.m % s.g);
  } else {
    std::mt19937 rng(2026);
    std::gamma_distribution<double> gamma(1.0, 1.0);
    std::vector<double> weight(s.g);
    for (double& w : weight) w = gamma(rng);
    if (s.g > 2) weight[1] = 0;  // an idle expert
    const double total = std::accumulate(weight.begin(), weight.end(), 0.0);
    int64_t assigned = 0;
    for (int64_t g = 0; g < s.g; ++g) assigned += sizes[g] = int64_t(std::floor(weight[g] / total * double(s.m)));
    sizes[std::max_element(weight.begin(), weight.end()) - weight.begin()] += s.m - assigned;
  }
  std::vector<int32_t> ends(s.g);
  int64_t end = 0;
  for (int64_t g = 0; g < s.g; ++g) ends[g] = int32_t(end += sizes[g]);
  return ends;
}

bool memoryBound(const BenchShape& s, BenchPass p) { return p == BenchPass::Quantize || s.m <= 16 * s.g; }

Work workOf(const BenchShape& s, const std::vector<int32_t>& ends, BenchPass p, bool fp8Weights) {
  const double m = double(s.m), k = double(s.k), n = double(s.n), bf16 = 2;
  const double gemm = 2 * m * k * n;
  const double activeWeights = double(activeGroups(ends)) * k * n;
  const double fwdBytes = m * k * bf16 + activeWeights * (fp8Weights ? 1.0 + 1.0 / kBlock : bf16) + m * n * bf16;
  const double dgradBytes = m * n * bf16 + activeWeights * bf16 + m * k * bf16;
  const double wgradBytes = m * k * bf16 + m * n * bf16 + double(s.g) * k * n * bf16;
  switch (p) {
  case BenchPass::Fwd: return {gemm, fwdBytes};
  case BenchPass::Dgrad: return {gemm, dgradBytes};
  case BenchPass::Wgrad: return {gemm, wgradBytes};
  case BenchPass::Step: return {3 * gemm, fwdBytes + dgradBytes + wgradBytes};
  case BenchPass::Quantize: return {0, m * k * bf16 + m * k * (1.0 + 1.0 / kBlock)};
  }
  return {};
}

BenchWorkload::BenchWorkload(BenchShape shape, bool jagged, Runtime& runtime)
    : shape_(shape), ends_(groupEnds(shape, jagged)), runtime_(runtime), offs_(offsTensor(ends_)) {}

HostTensor& BenchWorkload::a() {
  if (!a_.nbytes()) fillBf16(a_ = HostTensor(DType::BF16, {shape_.m, shape_.k}), 1.0f, 1);
  return a_;
}

HostTensor& BenchWorkload::wEnk() {
  if (!wEnk_.nbytes()) fillBf16(wEnk_ = HostTensor(DType::BF16, {shape_.g, shape_.n, shape_.k}), 0.02f, 2);
  return wEnk_;
}

HostTensor& BenchWorkload::wEkn() {
  if (!wEkn_.nbytes()) {
    const HostTensor& src = wEnk();
    wEkn_ = HostTensor(DType::BF16, {shape_.g, shape_.k, shape_.n});
    const int64_t k = shape_.k, n = shape_.n;
    for (int64_t g = 0; g < shape_.g; ++g)
      for (int64_t r = 0; r < n; ++r)
        for (int64_t c = 0; c < k; ++c)
          wEkn_.data<uint16_t>()[(g * k + c) * n + r] = src.data<uint16_t>()[(g * n + r) * k + c];
  }
  return wEkn_;
}

HostTensor& BenchWorkload::gradOut() {
  if (!gradOut_.nbytes()) fillBf16(gradOut_ = HostTensor(DType::BF16, {shape_.m, shape_.n}), 1e-3f, 3);
  return gradOut_;
}

void BenchWorkload::quantizeWeights() {
  if (wq_.nbytes()) return;
  wq_ = HostTensor(DType::E4M3, {shape_.g, shape_.n, shape_.k});
  ws_ = HostTensor(DType::E8M0, {shape_.g, shape_.n, shape_.k / kBlock});
  quantize(wEnk().view(), -1, ElemFormat::E4M3, kBlock, ScaleMode::RCeil, wq_.view(), ws_.view(), nullptr, runtime_);
}

EngineRun BenchWorkload::mxjitPacked() {
  EngineRun run;
  run.problem = {shape_.m, shape_.k, shape_.n, shape_.g};
  run.work = workOf(shape_, ends_, BenchPass::Fwd, true);
  if (runtime_.targetName() != "avx512bf16" && runtime_.targetName() != "amx") {
    run.error = "packed weights run on AVX512-BF16 hosts";
    return run;
  }
  quantizeWeights();
  if (!packed_) packed_ = pack_weights(MXTensorView{wq_.view(), ws_.view(), ElemFormat::E4M3, kBlock, ScaleLayout::Plain}, WeightLayout::ENK);
  if (out_.shape() != std::vector<int64_t>{shape_.m, shape_.n} || out_.dtype() != DType::BF16)
    out_ = HostTensor(DType::BF16, {shape_.m, shape_.n});
  run.call = [&rt = runtime_, a = a().view(), w = &*packed_, offs = offs_.view(), out = out_.view()] {
    grouped_mm(a, *w, offs, QuantRecipe{}, out, rt);
  };
  run.note = "W prequantized and packed once (pack_weights)";
  return run;
}

EngineRun BenchWorkload::mxjit(BenchPass p) {
  EngineRun run;
  run.problem = {shape_.m, shape_.k, shape_.n, shape_.g};
  run.work = workOf(shape_, ends_, p, p == BenchPass::Fwd);
  const QuantRecipe recipe;
  const auto ensure = [](HostTensor& t, DType d, std::vector<int64_t> shape) {
    if (t.shape() != shape || t.dtype() != d) t = HostTensor(d, std::move(shape));
    return t.view();
  };
  const TensorView out = ensure(out_, DType::BF16, {shape_.m, shape_.n});
  const TensorView gradA = ensure(gradA_, DType::BF16, {shape_.m, shape_.k});
  const TensorView gradB = ensure(gradB_, DType::BF16, {shape_.g, shape_.k, shape_.n});
  const TensorView offs = offs_.view();
  Runtime& rt = runtime_;
  // dgrad on its own: the 2d3d kernel grouped_mm_backward runs for it, grad_out (M,N) times B_g^T,
  // i.e. W [G,N,K] read as EKN with the roles of K and N swapped (same kernel key, same bits).
  const auto dgrad = [&] {
    return [&rt, offs, recipe, gradA, go = gradOut().view(), w = wEnk().view()] {
      grouped_mm(go, w, WeightLayout::EKN, offs, recipe, gradA, rt);
    };
  };
  switch (p) {
  case BenchPass::Fwd: {
    quantizeWeights();
    const MXTensorView w{wq_.view(), ws_.view(), ElemFormat::E4M3, kBlock, ScaleLayout::Plain};
    run.call = [&rt, a = a().view(), w, offs, recipe, out] { grouped_mm(a, w, WeightLayout::ENK, offs, recipe, out, rt); };
    run.note = "W prequantized (fp8+e8m0)";
    break;
  }
  case BenchPass::Dgrad:
    run.call = dgrad();
    run.note = "grouped_mm on W^T (backward's dgrad kernel)";
    break;
  case BenchPass::Wgrad:
    run.call = [&rt, a = a().view(), w = wEnk().view(), offs, go = gradOut().view(), recipe, gradA, gradB] {
      grouped_mm_backward(a, w, WeightLayout::ENK, offs, go, recipe, gradA, gradB, rt);
    };
    run.subtract = dgrad();
    run.note = "grouped_mm_backward minus dgrad";
    break;
  case BenchPass::Step:
    run.call = [&rt, a = a().view(), w = wEnk().view(), offs, go = gradOut().view(), recipe, out, gradA, gradB] {
      grouped_mm(a, w, WeightLayout::ENK, offs, recipe, out, rt);
      grouped_mm_backward(a, w, WeightLayout::ENK, offs, go, recipe, gradA, gradB, rt);
    };
    run.note = "bf16 W, quantized each call";
    break;
  case BenchPass::Quantize: {
    const TensorView q = ensure(q_, DType::E4M3, {shape_.m, shape_.k});
    const TensorView s = ensure(qs_, DType::E8M0, {shape_.m, shape_.k / kBlock});
    run.call = [&rt, a = a().view(), q, s] { quantize(a, -1, ElemFormat::E4M3, kBlock, ScaleMode::RCeil, q, s, nullptr, rt); };
    break;
  }
  }
  return run;
}

EngineRun BenchWorkload::oneDnn(BenchPass p, bool prepacked) {
  EngineRun run;
  run.problem = {shape_.m, shape_.k, shape_.n, shape_.g};
  run.work = workOf(shape_, ends_, p, false);
  if (p == BenchPass::Quantize) {
    run.error = "no oneDNN peer for MX quantize";
    return run;
  }
  if (!oneDnnAvailable()) {
    run.error = oneDnnVersion();
    return run;
  }
  const int64_t k = shape_.k, n = shape_.n;
  const auto bf16 = [](HostTensor& t) { return t.data<uint16_t>(); };
  const auto ensure = [](HostTensor& t, std::vector<int64_t> shape) {
    if (t.shape() != shape || t.dtype() != DType::BF16) t = HostTensor(DType::BF16, std::move(shape));
    return t.data<uint16_t>();
  };
  uint16_t* out = ensure(out_, {shape_.m, n});
  uint16_t* gradA = ensure(gradA_, {shape_.m, k});
  uint16_t* gradB = ensure(gradB_, {shape_.g, k, n});
  std::vector<DnnGemm> gemms;
  for (int64_t g = 0; g < shape_.g; ++g) {
    const int64_t begin = g ? ends_[g - 1] : 0, rows = ends_[g] - begin;
    if (rows == 0) continue;
    if (p == BenchPass::Fwd || p == BenchPass::Step)  // out_g = A_g @ W[g], W[g] stored [K,N]
      gemms.push_back({rows, k, n, bf16(a()) + begin * k, false, bf16(wEkn()) + g * k * n, false, out + begin * n});
    if (p == BenchPass::Dgrad || p == BenchPass::Step)  // grad_A_g = grad_out_g @ W[g]^T
      gemms.push_back({rows, n, k, bf16(gradOut()) + begin * n, false, bf16(wEkn()) + g * k * n, true, gradA + begin * k});
    if (p == BenchPass::Wgrad || p == BenchPass::Step)  // grad_B[g] = A_g^T @ grad_out_g
      gemms.push_back({k, rows, n, bf16(a()) + begin * k, true, bf16(gradOut()) + begin * n, false, gradB + g * k * n});
  }
  const DnnRun dnn = oneDnnGroupedGemm(gemms, prepacked);
  run.call = dnn.call;
  run.error = dnn.error;
  run.impl = dnn.impl;
  run.note = prepacked ? "W reordered once, not timed" : "W as stored";
  return run;
}

EngineRun BenchWorkload::reference(BenchPass p) {
  EngineRun run;
  int64_t first = 0;  // the first group with rows
  while (first + 1 < shape_.g && ends_[first] == (first ? ends_[first - 1] : 0)) ++first;
  const int64_t groupRows = ends_[first] - (first ? ends_[first - 1] : 0);
  const double perRow = p == BenchPass::Quantize ? double(shape_.k) : 2.0 * double(shape_.k * shape_.n) * (p == BenchPass::Step ? 3 : 1);
  const double budget = p == BenchPass::Quantize ? kReferenceQuantizeElems : kReferenceFlops;
  const int64_t rows = std::max<int64_t>(1, std::min<int64_t>(p == BenchPass::Quantize ? shape_.m : groupRows, int64_t(budget / perRow)));
  const BenchShape reduced{rows, shape_.k, shape_.n, 1};
  run.problem = {rows, shape_.k, shape_.n, 1};
  run.work = workOf(reduced, {int32_t(rows)}, p, false);
  run.note = p == BenchPass::Quantize ? fmt::format("{} of {} rows", rows, shape_.m)
                                      : fmt::format("1 group, {} of its {} rows", rows, groupRows);

  struct Buffers {
    HostTensor offs, out, gradA, gradB;
  };
  auto b = std::make_shared<Buffers>();
  b->offs = offsTensor({int32_t(rows)});
  b->out = HostTensor(DType::BF16, {rows, shape_.n});
  b->gradA = HostTensor(DType::BF16, {rows, shape_.k});
  b->gradB = HostTensor(DType::BF16, {1, shape_.k, shape_.n});
  const TensorView a = leading(this->a(), rows);  // [rows, K]: the group's rows (values are alike)
  const TensorView w = p == BenchPass::Quantize ? TensorView{} : leading(wEnk(), 1);  // expert 0 [1, N, K]
  const TensorView go = p == BenchPass::Quantize || p == BenchPass::Fwd ? TensorView{} : leading(gradOut(), rows);
  const QuantRecipe recipe;
  const bool fwd = p == BenchPass::Fwd || p == BenchPass::Step, dgrad = p == BenchPass::Dgrad || p == BenchPass::Step,
             wgrad = p == BenchPass::Wgrad || p == BenchPass::Step;
  if (p == BenchPass::Quantize)
    run.call = [a] { (void)formats::quantize(a, -1, ElemFormat::E4M3, kBlock, ScaleMode::RCeil); };
  else
    run.call = [b, a, w, go, recipe, fwd, dgrad, wgrad] {
      if (fwd) reference::groupedMMForward(a, w, WeightLayout::ENK, b->offs.view(), recipe, b->out.view());
      if (dgrad) reference::groupedMMDgrad(go, w, WeightLayout::ENK, b->offs.view(), recipe, b->gradA.view());
      if (wgrad) reference::groupedMMWgrad(a, go, b->offs.view(), recipe, b->gradB.view());
    };
  return run;
}

std::function<void()> BenchWorkload::zeroRowForward(bool mxWeights) {
  if (!a0_.shape().size()) {
    a0_ = HostTensor(DType::BF16, {0, shape_.k});
    out0_ = HostTensor(DType::BF16, {0, shape_.n});
    offs0_ = offsTensor(std::vector<int32_t>(shape_.g, 0));
  }
  const QuantRecipe recipe;
  Runtime& rt = runtime_;
  if (!mxWeights)
    return [&rt, a = a0_.view(), w = wEnk().view(), offs = offs0_.view(), recipe, out = out0_.view()] {
      grouped_mm(a, w, WeightLayout::ENK, offs, recipe, out, rt);
    };
  quantizeWeights();
  const MXTensorView w{wq_.view(), ws_.view(), ElemFormat::E4M3, kBlock, ScaleLayout::Plain};
  return [&rt, a = a0_.view(), w, offs = offs0_.view(), recipe, out = out0_.view()] {
    grouped_mm(a, w, WeightLayout::ENK, offs, recipe, out, rt);
  };
}

}  // namespace mxjit::cli
