// Every op reads and writes only its tensors' bytes: each operand and result is copied against an
// inaccessible page, first at its start and then at its end (GuardedTensor), and the call must neither
// fault nor change its results. The shapes reach each plan: decode-size groups (column tiles, row
// blocks, the fused kernels' routing) with the first and last experts holding rows, groups of up to 32
// rows, training-size ones (row tiles), short rows (K = 64, 96), partial panels, rows past the last group.
#include "JitTestUtil.h"
#include "formats/BlockedScales.h"
#include "formats/PackedScales.h"
#include "formats/Quantize.h"
#include "mxjit/Ops.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <span>
#include <thread>

using namespace mxjit;
using namespace mxjit::test;

namespace {

struct Shape {
  std::vector<int32_t> groups;
  int64_t k, n;
};

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> all = {
      // Decode groups, a partial panel, short rows: two scales a column, where the fp8 column tiles read
      // four bytes a column and so read before the first column's scales (fixed; it faulted here).
      {{3, 8, 0, 5, 1, 7}, 64, 40},
      {{2, 0, 9, 31, 1}, 96, 72},     // groups of up to 32 rows beside small ones
      {{40, 1, 0, 70, 33}, 160, 96},  // training-size groups
      {{1, 7, 4}, 256, 1056},         // decode groups across 33 panels
  };
  return all;
}

std::string nameOf(const Shape& s, bool atEnd) {
  return fmt::format("K {} N {} groups {}{}", s.k, s.n, s.groups.size(), atEnd ? ", tensors at a page's end" : ", at a page's start");
}

void expectSameBytes(const TensorView& got, const HostTensor& want, const std::string& what) {
  ASSERT_EQ(got.nbytes(), want.view().nbytes()) << what;
  if (got.nbytes() > 0) EXPECT_EQ(std::memcmp(got.data, want.view().data, size_t(got.nbytes())), 0) << what;
}

// Whether `call` is refused with an mxjit::Error: the tests run every recipe preset, and the guarded
// call must be refused alike where a recipe does not take a shape (K under its block).
bool refused(const std::function<void()>& call) {
  try {
    call();
    return false;
  } catch (const Error&) {
    return true;
  }
}

TEST(Bounds, ForwardOnBf16Weights) {
  for (std::string_view preset : recipePresetNames())
    for (const Shape& s : shapes())
      for (WeightLayout layout : {WeightLayout::ENK, WeightLayout::EKN})
        for (bool atEnd : {false, true}) {
          const QuantRecipe recipe = recipePreset(preset);
          const GemmProblem p = makeProblem(s.groups, 2, s.k, s.n, layout == WeightLayout::ENK, 71);
          HostTensor want(DType::BF16, {p.m, p.n});
          const GuardedTensor a(p.a, atEnd), w(p.w, atEnd), offs(p.offs, atEnd), out(HostTensor(DType::BF16, {p.m, p.n}), atEnd);
          const std::string what = fmt::format("{} {} {}", preset, nameOf(s, atEnd), layout == WeightLayout::ENK ? "ENK" : "EKN");
          const bool refusedPlain = refused([&] { grouped_mm(p.a.view(), p.w.view(), layout, p.offs.view(), recipe, want.view()); });
          ASSERT_EQ(refused([&] { grouped_mm(a.view, w.view, layout, offs.view, recipe, out.view); }), refusedPlain) << what;
          if (!refusedPlain) expectSameBytes(out.view, want, what);
        }
}

TEST(Bounds, ForwardOnPrequantizedOperands) {
  for (const Shape& s : shapes())
    for (WeightLayout layout : {WeightLayout::ENK, WeightLayout::EKN})
      for (bool atEnd : {false, true}) {
        const GemmProblem p = makeProblem(s.groups, 2, s.k, s.n, layout == WeightLayout::ENK, 72);
        const formats::MXTensor qw = formats::quantize(p.w.view(), layout == WeightLayout::ENK ? 2 : 1, ElemFormat::E4M3, 32, ScaleMode::RCeil);
        const formats::MXTensor qa = formats::quantize(p.a.view(), 1, ElemFormat::E4M3, 32, ScaleMode::RCeil);
        HostTensor want(DType::F32, {p.m, p.n}), wantMx(DType::BF16, {p.m, p.n});
        grouped_mm(p.a.view(), MXTensorView{qw.qdata.view(), qw.scales.view()}, layout, p.offs.view(), QuantRecipe{}, want.view());
        grouped_mm(MXTensorView{qa.qdata.view(), qa.scales.view()}, MXTensorView{qw.qdata.view(), qw.scales.view()}, layout,
                   p.offs.view(), wantMx.view());
        const GuardedTensor a(p.a, atEnd), codes(qw.qdata, atEnd), scales(qw.scales, atEnd), offs(p.offs, atEnd);
        const GuardedTensor aCodes(qa.qdata, atEnd), aScales(qa.scales, atEnd);
        const GuardedTensor out(HostTensor(DType::F32, {p.m, p.n}), atEnd), outMx(HostTensor(DType::BF16, {p.m, p.n}), atEnd);
        grouped_mm(a.view, MXTensorView{codes.view, scales.view}, layout, offs.view, QuantRecipe{}, out.view);
        grouped_mm(MXTensorView{aCodes.view, aScales.view}, MXTensorView{codes.view, scales.view}, layout, offs.view, outMx.view);
        const std::string what = nameOf(s, atEnd) + (layout == WeightLayout::ENK ? " ENK" : " EKN");
        expectSameBytes(out.view, want, what);
        expectSameBytes(outMx.view, wantMx, what + ", A prequantized");
      }
}

// Weights and activations with their scales in torch's 128x4 blocked layout and flashinfer's packed
// words (ENK weights), the scales guarded as the codes are.
TEST(Bounds, ForwardOnEveryScaleLayout) {
  for (const Shape& s : shapes())
    for (ScaleLayout layout : {ScaleLayout::Blocked128x4, ScaleLayout::PackedI32})
      for (bool atEnd : {false, true}) {
        const GemmProblem p = makeProblem(s.groups, 0, s.k, s.n, /*enk=*/true, 76);
        const formats::MXTensor qw = formats::quantize(p.w.view(), 2, ElemFormat::E4M3, 32, ScaleMode::RCeil);
        const formats::MXTensor qa = formats::quantize(p.a.view(), 1, ElemFormat::E4M3, 32, ScaleMode::RCeil);
        const int64_t kGroups = p.k / 32;
        const std::span<const int32_t> ends(p.offs.data<int32_t>(), size_t(p.experts));
        HostTensor wScales, aScales;
        const auto bytesOf = [](const std::vector<uint8_t>& v) {
          HostTensor t(DType::E8M0, {int64_t(v.size())});
          std::copy(v.begin(), v.end(), t.data<uint8_t>());
          return t;
        };
        const auto wordsOf = [](const std::vector<int32_t>& v) {
          HostTensor t(DType::I32, {int64_t(v.size())});
          std::copy(v.begin(), v.end(), t.data<int32_t>());
          return t;
        };
        if (layout == ScaleLayout::Blocked128x4) {
          wScales = bytesOf(formats::toBlockedPerExpert({qw.scales.bytes(), size_t(qw.scales.nbytes())}, p.experts, p.n, kGroups));
          aScales = bytesOf(formats::toBlockedGroupedRows({qa.scales.bytes(), size_t(qa.scales.nbytes())}, p.m, kGroups, ends));
        } else {
          wScales = wordsOf(formats::packBScale({qw.scales.bytes(), size_t(qw.scales.nbytes())}, p.experts, p.n, kGroups).words);
          aScales = wordsOf(
              formats::packAScale({qa.scales.bytes(), size_t(qa.scales.nbytes())}, p.m, kGroups, formats::mIndptrFromOffs(ends)).words);
        }
        HostTensor want(DType::BF16, {p.m, p.n}), wantMx(DType::BF16, {p.m, p.n});
        const MXTensorView w{qw.qdata.view(), wScales.view(), ElemFormat::E4M3, 32, layout};
        grouped_mm(p.a.view(), w, WeightLayout::ENK, p.offs.view(), QuantRecipe{}, want.view());
        grouped_mm(MXTensorView{qa.qdata.view(), aScales.view(), ElemFormat::E4M3, 32, layout}, w, WeightLayout::ENK, p.offs.view(),
                   wantMx.view());
        const GuardedTensor a(p.a, atEnd), codes(qw.qdata, atEnd), scales(wScales, atEnd), offs(p.offs, atEnd);
        const GuardedTensor aCodes(qa.qdata, atEnd), aScalesGuarded(aScales, atEnd);
        const GuardedTensor out(HostTensor(DType::BF16, {p.m, p.n}), atEnd), outMx(HostTensor(DType::BF16, {p.m, p.n}), atEnd);
        const MXTensorView guardedW{codes.view, scales.view, ElemFormat::E4M3, 32, layout};
        grouped_mm(a.view, guardedW, WeightLayout::ENK, offs.view, QuantRecipe{}, out.view);
        grouped_mm(MXTensorView{aCodes.view, aScalesGuarded.view, ElemFormat::E4M3, 32, layout}, guardedW, WeightLayout::ENK, offs.view,
                   outMx.view);
        const std::string what = nameOf(s, atEnd) + (layout == ScaleLayout::Blocked128x4 ? " blocked 128x4" : " packed i32");
        expectSameBytes(out.view, want, what);
        expectSameBytes(outMx.view, wantMx, what + ", A prequantized");
      }
}

// Packed weights are the runtime's own bytes; the tokens, offsets (and decode's m_indptr) and results
// are guarded.
TEST(Bounds, ForwardOnPackedWeights) {
  if (Runtime::global().targetName() != "avx512bf16" && Runtime::global().targetName() != "amx")
    GTEST_SKIP() << "packed weights need AVX512-BF16";
  for (const Shape& s : shapes())
    for (bool atEnd : {false, true}) {
      const GemmProblem p = makeProblem(s.groups, 0, s.k, s.n, /*enk=*/true, 75);  // decode's tokens end with the last group
      const formats::MXTensor qw = formats::quantize(p.w.view(), 2, ElemFormat::E4M3, 32, ScaleMode::RCeil);
      const PackedWeights w = pack_weights(MXTensorView{qw.qdata.view(), qw.scales.view()}, WeightLayout::ENK);
      HostTensor want(DType::BF16, {p.m, p.n}), indptr(DType::I32, {p.experts + 1});
      indptr.data<int32_t>()[0] = 0;
      std::copy(p.offs.data<int32_t>(), p.offs.data<int32_t>() + p.experts, indptr.data<int32_t>() + 1);
      grouped_mm(p.a.view(), w, p.offs.view(), QuantRecipe{}, want.view());
      const GuardedTensor a(p.a, atEnd), offs(p.offs, atEnd), mIndptr(indptr, atEnd);
      const GuardedTensor out(HostTensor(DType::BF16, {p.m, p.n}), atEnd), decoded(HostTensor(DType::BF16, {p.m, p.n}), atEnd);
      grouped_mm(a.view, w, offs.view, QuantRecipe{}, out.view);
      expectSameBytes(out.view, want, nameOf(s, atEnd));
      grouped_mm_decode(a.view, mIndptr.view, w, QuantRecipe{}, decoded.view);
      expectSameBytes(decoded.view, want, nameOf(s, atEnd) + ", m_indptr");
    }
}

TEST(Bounds, Backward) {
  for (std::string_view preset : recipePresetNames())
    for (const Shape& s : shapes())
      for (WeightLayout layout : {WeightLayout::ENK, WeightLayout::EKN})
        for (bool atEnd : {false, true}) {
          const QuantRecipe recipe = recipePreset(preset);
          // dgrad quantizes along N: a multiple of 32
          const GemmProblem p = makeProblem(s.groups, 2, s.k, (s.n + 31) / 32 * 32, layout == WeightLayout::ENK, 73);
          HostTensor wantA(DType::BF16, {p.m, p.k}), wantB(DType::BF16, {p.experts, p.k, p.n});
          const GuardedTensor a(p.a, atEnd), w(p.w, atEnd), offs(p.offs, atEnd), gradOut(p.gradOut, atEnd);
          const GuardedTensor gradA(HostTensor(DType::BF16, {p.m, p.k}), atEnd),
              gradB(HostTensor(DType::BF16, {p.experts, p.k, p.n}), atEnd);
          const std::string what = fmt::format("{} {} {}", preset, nameOf(s, atEnd), layout == WeightLayout::ENK ? "ENK" : "EKN");
          const bool refusedPlain = refused([&] {
            grouped_mm_backward(p.a.view(), p.w.view(), layout, p.offs.view(), p.gradOut.view(), recipe, wantA.view(), wantB.view());
          });
          ASSERT_EQ(refused([&] {
                      grouped_mm_backward(a.view, w.view, layout, offs.view, gradOut.view, recipe, gradA.view, gradB.view);
                    }),
                    refusedPlain)
              << what;
          if (refusedPlain) continue;
          expectSameBytes(gradA.view, wantA, what + " grad_a");
          expectSameBytes(gradB.view, wantB, what + " grad_b");
        }
}

// Empty dimensions: no columns of grad_out (N = 0: dgrad contracts over nothing, wgrad has nothing to
// write), no contraction in the forward (K = 0), with rows in every group; the empty tensors hold no
// bytes, so any read of them faults.
TEST(Bounds, EmptyDimensions) {
  for (bool atEnd : {false, true}) {
    const GemmProblem p = makeProblem({3, 40, 0, 22}, 2, 96, 0, /*enk=*/true, 77);
    HostTensor wantA(DType::BF16, {p.m, p.k}), wantB(DType::BF16, {p.experts, p.k, p.n});
    grouped_mm_backward(p.a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), p.gradOut.view(), QuantRecipe{}, wantA.view(),
                        wantB.view());
    const GuardedTensor a(p.a, atEnd), w(p.w, atEnd), offs(p.offs, atEnd), gradOut(p.gradOut, atEnd);
    const GuardedTensor gradA(HostTensor(DType::BF16, {p.m, p.k}), atEnd), gradB(HostTensor(DType::BF16, {p.experts, p.k, p.n}), atEnd);
    grouped_mm_backward(a.view, w.view, WeightLayout::ENK, offs.view, gradOut.view, QuantRecipe{}, gradA.view, gradB.view);
    expectSameBytes(gradA.view, wantA, std::string("N = 0, grad_a") + (atEnd ? " at a page's end" : ""));
    for (WeightLayout layout : {WeightLayout::ENK, WeightLayout::EKN}) {
      const GemmProblem q = makeProblem({3, 40, 0, 22}, 2, 0, 64, layout == WeightLayout::ENK, 78);
      HostTensor want(DType::BF16, {q.m, q.n});
      grouped_mm(q.a.view(), q.w.view(), layout, q.offs.view(), QuantRecipe{}, want.view());
      const GuardedTensor qa(q.a, atEnd), qw(q.w, atEnd), qoffs(q.offs, atEnd), out(HostTensor(DType::BF16, {q.m, q.n}), atEnd);
      grouped_mm(qa.view, qw.view, layout, qoffs.view, QuantRecipe{}, out.view);
      expectSameBytes(out.view, want, std::string("K = 0") + (atEnd ? " at a page's end" : ""));
    }
  }
}

// A kernel's per-thread scratch holds what each of its stages puts there: f32 activations take the cold
// row packer (a row of K floats in the scratch) in the streaming plans too, whose own scratch is smaller
// at K = 8192 (column tiles) or was none (packed weights). Each call runs on a fresh thread (one OpenMP
// thread), whose scratch no earlier kernel has grown; under AddressSanitizer an overrun fails it.
TEST(Bounds, ThreadScratchHoldsTheColdRowPacker) {
  const GemmProblem p = makeProblem({1, 3, 0, 5}, 0, 8192, 64, /*enk=*/true, 75);
  const GemmProblem pk = makeProblem({1, 3, 0, 5}, 0, 8192, 64, /*enk=*/false, 75);
  HostTensor a(DType::F32, {p.m, p.k});
  for (int64_t i = 0; i < a.numel(); ++i) a.data<float>()[i] = formats::bf16ToFloat(p.a.data<uint16_t>()[i]);
  const formats::MXTensor qw = formats::quantize(p.w.view(), 2, ElemFormat::E4M3, 32, ScaleMode::RCeil);
  const MXTensorView mxw{qw.qdata.view(), qw.scales.view()};
  const PackedWeights packed = pack_weights(mxw, WeightLayout::ENK);
  const QuantRecipe recipe{};
  const std::vector<std::pair<std::string, std::function<void(const TensorView&, Runtime&)>>> calls = {
      {"bf16 [E,N,K] weights (column tiles)",
       [&](const TensorView& out, Runtime& rt) { grouped_mm(a.view(), p.w.view(), WeightLayout::ENK, p.offs.view(), recipe, out, rt); }},
      {"bf16 [E,K,N] weights (row blocks)",
       [&](const TensorView& out, Runtime& rt) { grouped_mm(a.view(), pk.w.view(), WeightLayout::EKN, pk.offs.view(), recipe, out, rt); }},
      {"fp8 [E,N,K] weights (column tiles)",
       [&](const TensorView& out, Runtime& rt) { grouped_mm(a.view(), mxw, WeightLayout::ENK, p.offs.view(), recipe, out, rt); }},
      {"packed weights", [&](const TensorView& out, Runtime& rt) { grouped_mm(a.view(), packed, p.offs.view(), recipe, out, rt); }},
  };
  for (const auto& [what, call] : calls) {
    HostTensor want(DType::BF16, {p.m, p.n}), got(DType::BF16, {p.m, p.n});
    if (refused([&] { call(want.view(), Runtime::global()); })) continue;  // packed weights need AVX512-BF16
    std::thread fresh([&] {
      RuntimeOptions options;
      options.threads = 1;
      Runtime rt(options);
      call(got.view(), rt);
    });
    fresh.join();
    expectSameBytes(got.view(), want, what);
  }
}

TEST(Bounds, Quantize) {
  for (const Shape& s : shapes())
    for (bool atEnd : {false, true}) {
      const GemmProblem p = makeProblem(s.groups, 0, s.k, s.n, /*enk=*/true, 74);
      int64_t scaleRows = 0;  // along M, each group its own run of blocks of 32
      for (int64_t g = 0, begin = 0; g < p.experts; begin = p.offs.data<int32_t>()[g++]) scaleRows += (p.offs.data<int32_t>()[g] - begin + 31) / 32;
      HostTensor codesK(DType::E4M3, {p.m, p.k}), scalesK(DType::E8M0, {p.m, p.k / 32});
      HostTensor codesM(DType::E4M3, {p.m, p.k}), scalesM(DType::E8M0, {scaleRows, p.k});
      quantize(p.a.view(), -1, ElemFormat::E4M3, 32, ScaleMode::RCeil, codesK.view(), scalesK.view());
      const TensorView offsView = p.offs.view();
      quantize(p.a.view(), 0, ElemFormat::E4M3, 32, ScaleMode::RCeil, codesM.view(), scalesM.view(), &offsView);
      const GuardedTensor a(p.a, atEnd), offs(p.offs, atEnd);
      const GuardedTensor gotCodesK(codesK, atEnd), gotScalesK(scalesK, atEnd), gotCodesM(codesM, atEnd), gotScalesM(scalesM, atEnd);
      std::memset(gotCodesK.view.data, 0, size_t(gotCodesK.view.nbytes()));
      std::memset(gotScalesM.view.data, 0, size_t(gotScalesM.view.nbytes()));
      quantize(a.view, -1, ElemFormat::E4M3, 32, ScaleMode::RCeil, gotCodesK.view, gotScalesK.view);
      quantize(a.view, 0, ElemFormat::E4M3, 32, ScaleMode::RCeil, gotCodesM.view, gotScalesM.view, &offs.view);
      expectSameBytes(gotCodesK.view, codesK, nameOf(s, atEnd) + " along K, codes");
      expectSameBytes(gotScalesK.view, scalesK, nameOf(s, atEnd) + " along K, scales");
      expectSameBytes(gotCodesM.view, codesM, nameOf(s, atEnd) + " along M, codes");
      expectSameBytes(gotScalesM.view, scalesM, nameOf(s, atEnd) + " along M, scales");
    }
}

}  // namespace
