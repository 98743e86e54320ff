// Bytes in: one call of the op API (grouped_mm, grouped_mm_backward or quantize) on tiny tensors whose
// shapes, dtypes, offsets and recipe come from the input, bad ones included: decreasing offsets,
// offsets past M or negative, wrong ranks and lengths, K not divisible by the block, odd or negative
// blocks, wrong dtypes, null data. Every tensor is a real buffer of its declared size (GuardedTensor).
// Accepted outcomes: an mxjit::Error (not Internal), or a result with the guards intact and the inputs
// unchanged that equals the scalar reference bit for bit (any NaN equals any NaN in GEMM outputs). A
// GEMM on extreme values (GuardedTensor::fill) or with an operand left unquantized in f32 is checked
// for everything but its values: where fp32 products are not exact, the JIT's fused multiply-adds and
// the reference's separate ones may differ (exactPass).
//
// The JIT compiles once per distinct kernel key, so the shapes come from small sets (K in {32, 64},
// N in {32, 48}, G in 1..4, the quantized axis 32 or 64 long): after a warm-up most calls are cache hits.
// One runtime serves every input, on one thread (the fuzzer runs one input at a time).
#include "ByteReader.h"
#include "FuzzTarget.h"
#include "GuardedTensor.h"
#include "formats/Quantize.h"
#include "mxjit/Ops.h"
#include "reference/GroupedMM.h"
#include "support/HostTensor.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

using namespace mxjit;
using fuzz::ByteReader;
using fuzz::GuardedTensor;
using fuzz::fail;

namespace {

Runtime& fuzzRuntime() {
  static Runtime runtime([] {
    RuntimeOptions options;
    options.threads = 1;
    return options;
  }());
  return runtime;
}

/// MXJIT_FUZZ_VERBOSE=1 prints each call before it runs (to see what a crashing input does).
void announce(const std::string& call) {
  static const bool verbose = std::getenv("MXJIT_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "call: %s\n", call.c_str());
}

// ---- drawing arguments -------------------------------------------------------------------------

/// Group ends for `groups` groups of 0..33 rows; rarely broken (decreasing, past M, negative, huge).
std::vector<int32_t> groupEnds(ByteReader& in, int64_t groups, int64_t& rows) {
  std::vector<int32_t> ends;
  int32_t end = 0;
  for (int64_t g = 0; g < groups; ++g) ends.push_back(end += static_cast<int32_t>(in.pick(34)));
  rows = end + static_cast<int64_t>(in.pick(4));  // rows past the last group belong to none
  if (in.rarely(6) && !ends.empty()) {
    const size_t at = in.pick(ends.size());
    switch (in.pick(4)) {
    case 0: if (at + 1 < ends.size()) std::swap(ends[at], ends[at + 1]); else ends[at] = ends[at] / 2 - 1; break;
    case 1: ends.back() = static_cast<int32_t>(rows + 1 + static_cast<int64_t>(in.pick(8))); break;
    case 2: ends[at] = -1 - static_cast<int32_t>(in.pick(4)); break;
    default: ends[at] = std::numeric_limits<int32_t>::max();
    }
  }
  return ends;
}

/// Rarely one dim off by one, one dim dropped or one added.
std::vector<int64_t> breakShape(std::vector<int64_t> shape, ByteReader& in) {
  if (!in.rarely(12)) return shape;
  const size_t at = shape.empty() ? 0 : in.pick(shape.size());
  switch (in.pick(4)) {
  case 0: if (!shape.empty()) shape[at] += 1; break;
  case 1: if (!shape.empty()) shape[at] -= 1; break;  // may become -1
  case 2: if (!shape.empty()) shape.pop_back(); break;
  default: shape.push_back(1);
  }
  return shape;
}

DType breakType(DType good, ByteReader& in) { return in.rarely(16) ? static_cast<DType>(in.pick(7)) : good; }

DType floatType(ByteReader& in) { return in.oneOf({DType::BF16, DType::F32}); }

/// A tensor of dtype `good` and `shape`, either rarely broken. (Each read is its own statement: the
/// order of evaluation of function arguments differs between compilers, and a crash found by the
/// clang-built fuzzer must replay in the g++ build.)
std::unique_ptr<GuardedTensor> tensor(ByteReader& in, DType good, std::vector<int64_t> shape) {
  const DType dtype = breakType(good, in);
  std::vector<int64_t> declared = breakShape(std::move(shape), in);
  return std::make_unique<GuardedTensor>(dtype, std::move(declared));
}

QuantRecipe readRecipe(ByteReader& in) {
  QuantRecipe r;
  r.fwdElem = in.oneOf({ElemFormat::E4M3, ElemFormat::E5M2});
  r.gradElem = in.oneOf({ElemFormat::E4M3, ElemFormat::E5M2});
  r.mode = in.oneOf({ScaleMode::RCeil, ScaleMode::Floor, ScaleMode::Ceil, ScaleMode::Even});
  if (in.rarely(6)) r.block = in.oneOf({16, 64, 128, 0, -32, 33, 2, 1});
  r.quantized = !in.rarely(8);
  r.wgradHighPrecision = in.rarely(8);
  return r;
}

struct GemmSizes {
  int64_t m = 0, k = 32, n = 32, experts = 1;
  std::vector<int32_t> offs;
};

GemmSizes readSizes(ByteReader& in) {
  GemmSizes s;
  s.k = in.rarely(10) ? in.oneOf<int64_t>({16, 48, 0, 33, 96}) : in.oneOf<int64_t>({32, 64});
  s.n = in.rarely(10) ? in.oneOf<int64_t>({16, 1, 0, 33, 64}) : in.oneOf<int64_t>({32, 48});
  s.experts = in.rarely(32) ? 0 : 1 + static_cast<int64_t>(in.pick(4));
  s.offs = groupEnds(in, s.experts, s.m);
  return s;
}

/// The offsets tensor: i32 (E,), rarely another dtype or length.
std::unique_ptr<GuardedTensor> offsTensor(ByteReader& in, const std::vector<int32_t>& ends) {
  auto t = tensor(in, DType::I32, {static_cast<int64_t>(ends.size())});
  t->setInts(ends);
  return t;
}

/// Rarely one non-empty tensor gets a null data pointer.
void maybeNull(std::initializer_list<GuardedTensor*> tensors, ByteReader& in) {
  if (!in.rarely(32)) return;
  GuardedTensor* t = tensors.begin()[in.pick(tensors.size())];
  t->view.data = nullptr;
}

// ---- checking results --------------------------------------------------------------------------

std::string describe(std::initializer_list<std::pair<const char*, const GuardedTensor*>> tensors, const QuantRecipe& r) {
  std::string s;
  for (auto [name, t] : tensors)
    s += std::string(name) + " " + std::string(dtypeName(t->view.dtype)) + shapeString(t->view.shape) + "  ";
  s += "recipe " + std::string(elemFormatName(r.fwdElem)) + "/" + std::string(elemFormatName(r.gradElem)) + " b" +
       std::to_string(r.block) + " " + std::string(scaleModeName(r.mode)) + (r.quantized ? "" : " unquantized") +
       (r.wgradHighPrecision ? " wgrad-hp" : "");
  return s;
}

/// Guards intact on every tensor, inputs as they were.
void checkIntegrity(std::initializer_list<std::pair<const char*, const GuardedTensor*>> all,
                    std::initializer_list<std::pair<const GuardedTensor*, const std::vector<uint8_t>*>> inputs,
                    const std::string& call) {
  for (auto [name, t] : all) t->checkGuard(std::string(name) + " (" + call + ")");
  for (auto [t, before] : inputs)
    if (t->snapshot() != *before) fail("an input was modified: " + call);
}

/// Element by element; with `nanEqual`, two floating-point NaNs are equal whatever their sign and
/// payload (the GEMM's NaN bits are not specified). fp8 codes and scales are always compared exactly.
void expectSame(const GuardedTensor& got, const HostTensor& want, const char* what, const std::string& call, bool nanEqual) {
  const size_t bytes = static_cast<size_t>(want.nbytes());
  if (got.size() != bytes) fail(std::string(what) + ": size differs from the reference's (" + call + ")");
  const DType dtype = got.view.dtype;
  const size_t elem = static_cast<size_t>(dtypeSize(dtype));
  auto hex = [&](const uint8_t* p) {  // one element, most significant byte first
    std::string s = "0x";
    for (size_t b = elem; b-- > 0;) s += "0123456789abcdef"[p[b] >> 4], s += "0123456789abcdef"[p[b] & 15];
    return s;
  };
  auto isNan = [&](const uint8_t* p) {
    if (dtype == DType::F32) return std::isnan(std::bit_cast<float>(uint32_t(p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24)));
    if (dtype == DType::BF16) return ((p[0] | p[1] << 8) & 0x7FFF) > 0x7F80;
    return false;
  };
  for (size_t i = 0; i < bytes; i += elem) {
    const uint8_t *g = got.bytes() + i, *w = want.bytes() + i;
    if (std::memcmp(g, w, elem) == 0 || (nanEqual && isNan(g) && isNan(w))) continue;
    fail(std::string(what) + ": element " + std::to_string(i / elem) + " is " + hex(g) + ", the reference gives " + hex(w) + " (" +
         call + ")");
  }
}

/// Runs a reference computation that must accept what the JIT accepted.
template <class F> void referenceAccepts(F&& body, const std::string& call) {
  try {
    body();
  } catch (const Error& e) {
    fail("the JIT accepted a call the reference rejects: " + std::string(e.what()) + " (" + call + ")");
  }
}

/// Whether the JIT must equal the reference bit for bit on a GEMM pass. Its microkernels fuse each
/// multiply-add; that equals the reference's separate multiply and add only where every product is
/// exact in fp32, i.e. both operands hold bf16 values (as every MX-dequantized operand does). An
/// operand the recipe leaves unquantized in f32 breaks that (1-ulp differences are found at once), so
/// such a pass is checked for everything but its values. Set to true if the JIT is made exact there.
constexpr bool kUnquantizedF32IsExact = false;

bool exactPass(bool operandsQuantized, DType a, DType b) {
  return operandsQuantized || kUnquantizedF32IsExact || (a == DType::BF16 && b == DType::BF16);
}

/// On AMX hosts the GEMMs (forward, dgrad, wgrad) run tdpbf16ps, which rounds each 32-term dot product
/// once: bounded, not bit-equal (tests/runtime/AmxTest.cpp checks the bound). There the fuzzer checks
/// them for everything but their values; memory safety is what it is for.
bool amxGemm() { return fuzzRuntime().targetName() == "amx"; }

// ---- the three ops -----------------------------------------------------------------------------

/// What forward and backward draw first, in this order: sizes, recipe, weight layout, A, W.
struct GemmDraw {
  GemmSizes s;
  QuantRecipe recipe;
  WeightLayout layout;
  std::unique_ptr<GuardedTensor> a, w;
};

GemmDraw drawGemm(ByteReader& in) {
  GemmDraw d;
  d.s = readSizes(in);
  d.recipe = readRecipe(in);
  d.layout = in.oneOf({WeightLayout::ENK, WeightLayout::EKN});
  const GemmSizes& s = d.s;
  d.a = tensor(in, floatType(in), {s.m, s.k});
  d.w = tensor(in, floatType(in), d.layout == WeightLayout::ENK ? std::vector{s.experts, s.n, s.k} : std::vector{s.experts, s.k, s.n});
  return d;
}

void fuzzForward(ByteReader& in) {
  const auto& [s, recipe, layout, a, w] = drawGemm(in);
  const auto out = tensor(in, floatType(in), {s.m, s.n});
  const auto offs = offsTensor(in, s.offs);
  bool tame = a->fill(in);
  tame = w->fill(in) && tame;
  out->fillGarbage();
  maybeNull({a.get(), w.get(), out.get()}, in);
  const auto aBefore = a->snapshot(), wBefore = w->snapshot(), offsBefore = offs->snapshot();

  const std::string call = "grouped_mm " + std::string(weightLayoutName(layout)) + " " +
                           describe({{"A", a.get()}, {"W", w.get()}, {"offs", offs.get()}, {"out", out.get()}}, recipe);
  announce(call);
  if (!fuzz::runOrReject([&] { grouped_mm(a->view, w->view, layout, offs->view, recipe, out->view, fuzzRuntime()); })) return;
  checkIntegrity({{"A", a.get()}, {"W", w.get()}, {"offs", offs.get()}, {"out", out.get()}},
                 {{a.get(), &aBefore}, {w.get(), &wBefore}, {offs.get(), &offsBefore}}, call);
  HostTensor want(out->view.dtype, out->view.shape);
  // An empty contraction (K = 0) sums nothing: out is all zeros, as `want` is constructed.
  if (a->view.dim(1) > 0)
    referenceAccepts([&] { reference::groupedMMForward(a->view, w->view, layout, offs->view, recipe, want.view()); }, call);
  if (tame && !amxGemm() && exactPass(recipe.quantized, a->view.dtype, w->view.dtype)) expectSame(*out, want, "out", call, true);
}

void fuzzBackward(ByteReader& in) {
  const auto& [s, recipe, layout, a, w] = drawGemm(in);
  const auto gradOut = tensor(in, floatType(in), {s.m, s.n});
  const auto gradA = tensor(in, floatType(in), {s.m, s.k});
  const auto gradB = tensor(in, floatType(in), {s.experts, s.k, s.n});
  const auto offs = offsTensor(in, s.offs);
  bool tame = a->fill(in);
  tame = w->fill(in) && tame;
  tame = gradOut->fill(in) && tame;
  gradA->fillGarbage(), gradB->fillGarbage();
  maybeNull({a.get(), w.get(), gradOut.get(), gradA.get(), gradB.get()}, in);
  const auto aBefore = a->snapshot(), wBefore = w->snapshot(), gBefore = gradOut->snapshot(), offsBefore = offs->snapshot();

  const std::string call = "grouped_mm_backward " + std::string(weightLayoutName(layout)) + " " +
                           describe({{"A", a.get()}, {"W", w.get()}, {"offs", offs.get()}, {"grad_out", gradOut.get()}, {"grad_A", gradA.get()},
                                     {"grad_B", gradB.get()}},
                                    recipe);
  announce(call);
  if (!fuzz::runOrReject([&] {
        grouped_mm_backward(a->view, w->view, layout, offs->view, gradOut->view, recipe, gradA->view, gradB->view, fuzzRuntime());
      }))
    return;
  checkIntegrity({{"A", a.get()}, {"W", w.get()}, {"offs", offs.get()}, {"grad_out", gradOut.get()}, {"grad_A", gradA.get()}, {"grad_B", gradB.get()}},
                 {{a.get(), &aBefore}, {w.get(), &wBefore}, {gradOut.get(), &gBefore}, {offs.get(), &offsBefore}}, call);
  HostTensor wantA(gradA->view.dtype, gradA->view.shape), wantB(gradB->view.dtype, gradB->view.shape);
  // An empty contraction (N = 0 for dgrad, M = 0 for wgrad) sums nothing: zeros, as constructed.
  if (gradOut->view.dim(1) > 0)
    referenceAccepts([&] { reference::groupedMMDgrad(gradOut->view, w->view, layout, offs->view, recipe, wantA.view()); }, call);
  if (a->view.dim(0) > 0)
    referenceAccepts([&] { reference::groupedMMWgrad(a->view, gradOut->view, offs->view, recipe, wantB.view()); }, call);
  if (tame && !amxGemm() && exactPass(recipe.quantized, gradOut->view.dtype, w->view.dtype))
    expectSame(*gradA, wantA, "grad_A", call, true);
  if (tame && !amxGemm() && exactPass(recipe.quantized && !recipe.wgradHighPrecision, a->view.dtype, gradOut->view.dtype))
    expectSame(*gradB, wantB, "grad_B", call, true);
}

/// The reference of a grouped quantize along axis 0: each group's rows zero-padded to whole blocks and
/// quantized on their own. Compares the codes of grouped rows (rows past the last group are not
/// specified) and every scale row.
void checkGroupedQuantize(const GuardedTensor& x, const std::vector<int32_t>& ends, ElemFormat elem, int block, ScaleMode mode,
                          const GuardedTensor& qdata, const GuardedTensor& scales, const std::string& call) {
  const int64_t cols = x.view.dim(1), elemBytes = dtypeSize(x.view.dtype);
  int64_t begin = 0, scaleRow = 0;
  for (const int32_t end : ends) {
    const int64_t rows = end - begin, padded = (rows + block - 1) / block * block;
    HostTensor group(x.view.dtype, {padded, cols});
    if (rows > 0) std::memcpy(group.bytes(), x.bytes() + begin * cols * elemBytes, static_cast<size_t>(rows * cols * elemBytes));
    formats::MXTensor want;
    referenceAccepts([&] { want = formats::quantize(group.view(), 0, elem, block, mode); }, call);
    for (int64_t i = 0; i < rows * cols; ++i)
      if (qdata.bytes()[begin * cols + i] != want.qdata.bytes()[i])
        fail("qdata: element " + std::to_string(begin * cols + i) + " differs from the reference (" + call + ")");
    for (int64_t i = 0; i < padded / block * cols; ++i)
      if (scales.bytes()[scaleRow * cols + i] != want.scales.bytes()[i])
        fail("scales: element " + std::to_string(scaleRow * cols + i) + " differs from the reference (" + call + ")");
    begin = end, scaleRow += padded / block;
  }
}

void fuzzQuantize(ByteReader& in) {
  const int rank = in.oneOf({2, 2, 1, 3});
  int axis = in.oneOf({-1, 0, rank - 1});
  if (in.rarely(16)) axis = in.oneOf({rank, -rank - 1, 1, -2});
  const ElemFormat elem = in.oneOf({ElemFormat::E4M3, ElemFormat::E5M2});
  const ScaleMode mode = in.oneOf({ScaleMode::RCeil, ScaleMode::Floor, ScaleMode::Ceil, ScaleMode::Even});
  const int block = in.rarely(6) ? in.oneOf({16, 64, 0, -32, 33, 2}) : 32;
  const int resolved = axis < 0 ? axis + rank : axis;
  const bool grouped = (rank == 2 && resolved == 0) ? in.pick(2) == 1 : in.rarely(16);

  // The quantized axis is 32 or 64 long (rarely not a multiple of the block); the others are small.
  std::vector<int64_t> shape(static_cast<size_t>(rank), 1);
  std::vector<int32_t> ends;
  for (int d = 0; d < rank; ++d)
    shape[d] = d == resolved ? (in.rarely(10) ? in.oneOf<int64_t>({0, 33, 48, 96}) : in.oneOf<int64_t>({32, 64}))
               : rank == 2 && resolved == 1 ? static_cast<int64_t>(in.pick(70))  // rows: not in the kernel key
                                            : in.oneOf<int64_t>({1, 2, 3, 32, 48});
  if (grouped) {
    int64_t rows = 0;
    ends = groupEnds(in, 1 + static_cast<int64_t>(in.pick(4)), rows);
    if (rank == 2 && resolved == 0) shape[0] = rows;
  }
  // The scale shape the API documents, from the shape as drawn (before any breakage below).
  std::vector<int64_t> scaleShape = shape;
  if (resolved >= 0 && resolved < rank && block > 0) {
    int64_t blocks = shape[resolved] / block;
    if (grouped) {
      blocks = 0;
      int64_t begin = 0;
      // Broken ends (past the rows, INT32_MAX) still give a scale shape of the tensor's size: the call
      // must refuse them, not this harness allocate gigabytes for them.
      for (int32_t end : ends) {
        const int64_t clamped = std::clamp<int64_t>(end, begin, shape[0]);
        blocks += (clamped - begin + block - 1) / block, begin = clamped;
      }
    }
    scaleShape[resolved] = blocks;
  }
  const DType codes = elem == ElemFormat::E4M3 ? DType::E4M3 : DType::E5M2;
  const auto x = tensor(in, floatType(in), shape);
  const auto qdata = tensor(in, in.oneOf({codes, DType::U8}), shape);
  const auto scales = tensor(in, in.oneOf({DType::E8M0, DType::U8}), scaleShape);
  const auto offs = offsTensor(in, ends);
  x->fill(in);  // quantize is exact on any value, extremes included
  qdata->fillGarbage(), scales->fillGarbage();
  maybeNull({x.get(), qdata.get(), scales.get()}, in);
  const auto xBefore = x->snapshot(), offsBefore = offs->snapshot();

  const std::string call = "quantize axis=" + std::to_string(axis) + " block=" + std::to_string(block) + " " +
                           std::string(elemFormatName(elem)) + " " + std::string(scaleModeName(mode)) + " " +
                           describe({{"x", x.get()}, {"qdata", qdata.get()}, {"scales", scales.get()}}, QuantRecipe{}) +
                           (grouped ? " grouped offs " + shapeString(offs->view.shape) : "");
  announce(call);
  if (!fuzz::runOrReject([&] {
        quantize(x->view, axis, elem, block, mode, qdata->view, scales->view, grouped ? &offs->view : nullptr, fuzzRuntime());
      }))
    return;
  checkIntegrity({{"x", x.get()}, {"qdata", qdata.get()}, {"scales", scales.get()}, {"offs", offs.get()}}, {{x.get(), &xBefore}, {offs.get(), &offsBefore}},
                 call);
  if (grouped) {
    const std::vector<int32_t> given(offs->view.as<const int32_t>(), offs->view.as<const int32_t>() + offs->view.numel());
    return checkGroupedQuantize(*x, given, elem, block, mode, *qdata, *scales, call);
  }
  formats::MXTensor want;
  referenceAccepts([&] { want = formats::quantize(x->view, axis, elem, block, mode); }, call);
  expectSame(*qdata, want.qdata, "qdata", call, false);
  expectSame(*scales, want.scales, "scales", call, false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader in(data, size);
  // Odd-sized inputs put their tensors at the end of their pages, even-sized ones at the start (the
  // bytes the input is read from stay the same).
  GuardedTensor::atPageEnd() = size % 2 != 0;
  switch (in.pick(3)) {
  case 0: fuzzForward(in); break;
  case 1: fuzzQuantize(in); break;
  default: fuzzBackward(in);
  }
  return 0;
}
