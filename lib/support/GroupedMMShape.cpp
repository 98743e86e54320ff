#include "support/GroupedMMShape.h"

#include "mxjit/Error.h"

#include <fmt/format.h>

#include <array>

namespace mxjit {
namespace {

void expectShape(const TensorView& t, std::string_view what, std::vector<int64_t> want) {
  if (t.shape != want)
    throw Error(ErrorKind::ShapeMismatch,
                fmt::format("{} has shape {}; expected {}", what, shapeString(t.shape), shapeString(want)));
}

void expectDivisible(int64_t extent, std::string_view dimName, int block, std::string_view pass) {
  if (extent % block != 0)
    throw Error(ErrorKind::InvalidArgument,
                fmt::format("{}: {}={} is not a multiple of the block size {}", pass, dimName, extent, block));
}

// Validates the recipe and offs (one i32 end per group, `experts` of them) over `rows` rows.
std::vector<GroupRange> checkGroups(const TensorView& offs, int64_t experts, int64_t rows, const QuantRecipe& recipe) {
  validateRecipe(recipe);
  expectDType(offs, "offs", {DType::I32});
  expectRank(offs, "offs", 1);
  if (offs.dim(0) != experts)
    throw Error(ErrorKind::ShapeMismatch,
                fmt::format("offs has {} entries but W has {} experts: one end offset per expert", offs.dim(0), experts));
  expectData(offs, "offs");
  return groupRanges(std::span(offs.as<const int32_t>(), static_cast<size_t>(experts)), rows);
}

// Reads W (E, K, N) or (E, N, K) and returns its sizes as (E, K, N).
std::array<int64_t, 3> weightDims(const TensorView& w, WeightLayout layout) {
  expectDType(w, "W", {DType::F32, DType::BF16});
  expectRank(w, "W", 3);
  return layout == WeightLayout::EKN ? std::array{w.dim(0), w.dim(1), w.dim(2)}
                                     : std::array{w.dim(0), w.dim(2), w.dim(1)};
}

void expectOutput(const TensorView& out, std::string_view what, std::vector<int64_t> shape) {
  expectDType(out, what, {DType::F32, DType::BF16});
  expectShape(out, what, std::move(shape));
}

void expect2d(const TensorView& t, std::string_view what) {
  expectDType(t, what, {DType::F32, DType::BF16});
  expectRank(t, what, 2);
}

}  // namespace

GroupedMMShape checkForward(const TensorView& a, const TensorView& w, WeightLayout layout, const TensorView& offs,
                            const QuantRecipe& recipe, const TensorView& out) {
  expect2d(a, "A");
  const auto [experts, k, n] = weightDims(w, layout);
  if (a.dim(1) != k)
    throw Error(ErrorKind::ShapeMismatch, fmt::format("A has shape {} but W ({} layout, shape {}) has K={}",
                                                      shapeString(a.shape), weightLayoutName(layout), shapeString(w.shape), k));
  GroupedMMShape s{a.dim(0), k, n, experts, checkGroups(offs, experts, a.dim(0), recipe)};
  if (operandFormat(recipe, GemmPass::Forward, 0)) expectDivisible(k, "K", recipe.block, "grouped_mm forward");
  expectOutput(out, "out", {s.m, n});
  return s;
}

GroupedMMShape checkDgrad(const TensorView& gradOut, const TensorView& w, WeightLayout layout, const TensorView& offs,
                          const QuantRecipe& recipe, const TensorView& gradA) {
  expect2d(gradOut, "grad_out");
  const auto [experts, k, n] = weightDims(w, layout);
  if (gradOut.dim(1) != n)
    throw Error(ErrorKind::ShapeMismatch, fmt::format("grad_out has shape {} but W ({} layout, shape {}) has N={}",
                                                      shapeString(gradOut.shape), weightLayoutName(layout),
                                                      shapeString(w.shape), n));
  GroupedMMShape s{gradOut.dim(0), k, n, experts, checkGroups(offs, experts, gradOut.dim(0), recipe)};
  if (operandFormat(recipe, GemmPass::Dgrad, 0)) expectDivisible(n, "N", recipe.block, "grouped_mm dgrad");
  expectOutput(gradA, "grad_A", {s.m, k});
  return s;
}

GroupedMMShape checkWgrad(const TensorView& a, const TensorView& gradOut, const TensorView& offs,
                          const QuantRecipe& recipe, const TensorView& gradB) {
  expect2d(a, "A");
  expect2d(gradOut, "grad_out");
  if (a.dim(0) != gradOut.dim(0))
    throw Error(ErrorKind::ShapeMismatch, fmt::format("A has {} rows but grad_out has {} (shapes {} and {})", a.dim(0),
                                                      gradOut.dim(0), shapeString(a.shape), shapeString(gradOut.shape)));
  expectRank(offs, "offs", 1);
  const int64_t experts = offs.dim(0);
  GroupedMMShape s{a.dim(0), a.dim(1), gradOut.dim(1), experts, checkGroups(offs, experts, a.dim(0), recipe)};
  expectOutput(gradB, "grad_B", {experts, s.k, s.n});
  return s;
}

}  // namespace mxjit
