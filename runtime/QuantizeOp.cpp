// The quantize API: any axis of any rank becomes one of two kernels. Along the last axis the tensor is
// (rows, K); along another axis it is (outer * L, inner) quantized along its rows, with a block run
// restarting every L rows (every `outer` slice) or at the caller's group offsets.
#include "OpModules.h"
#include "Parallel.h"
#include "RuntimeImpl.h"
#include "formats/BlockQuantize.h"
#include "mxjit/Error.h"
#include "mxjit/Ops.h"
#include "support/GroupOffsets.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>

namespace mxjit {
namespace {

std::vector<int64_t> expectedScaleShape(const TensorView& x, int axis, int64_t blocksAlongAxis) {
  std::vector<int64_t> shape = x.shape;
  shape[axis] = blocksAlongAxis;
  return shape;
}

}  // namespace

void quantize(const TensorView& x, int axis, ElemFormat elem, int block, ScaleMode mode, const TensorView& qdata,
              const TensorView& scales, const TensorView* groupOffs, Runtime& runtime) {
  validateRecipe(QuantRecipe{elem, elem, block, mode});
  expectDType(x, "x", {DType::F32, DType::BF16});
  const int64_t rank = x.rank(), resolved = axis < 0 ? axis + rank : axis;
  if (rank < 1 || resolved < 0 || resolved >= rank)
    throw Error(ErrorKind::InvalidArgument, fmt::format("axis {} is out of range for x with {} dims", axis, rank));
  const formats::AxisSplit split = formats::splitAtAxis(x.shape, static_cast<int>(resolved));
  const bool lastAxis = resolved == rank - 1;
  if (groupOffs && !(rank == 2 && resolved == 0))
    throw Error(ErrorKind::InvalidArgument, "group offsets apply only to a quantize along axis 0 of a 2-D tensor");

  std::vector<int32_t> offs;  // row groups of the (outer * L, inner) view; empty: one group
  int64_t blocksAlongAxis = split.length / block;
  if (groupOffs) {
    expectDType(*groupOffs, "group offsets", {DType::I32});
    expectRank(*groupOffs, "group offsets", 1);
    const std::span<const int32_t> given(groupOffs->as<const int32_t>(), static_cast<size_t>(groupOffs->numel()));
    blocksAlongAxis = 0;
    for (const GroupRange& g : groupRanges(given, split.length, "group offsets")) blocksAlongAxis += (g.size() + block - 1) / block;
    offs.assign(given.begin(), given.end());
  } else if (split.length % block != 0) {
    throw Error(ErrorKind::InvalidArgument, fmt::format("x has shape {}: dim {} (size {}) is not a multiple of the block size {}",
                                                        shapeString(x.shape), resolved, split.length, block));
  } else if (!lastAxis && split.outer > 1) {
    if (split.outer * split.length > std::numeric_limits<int32_t>::max())
      throw Error(ErrorKind::Unsupported, fmt::format("x has shape {}: more than 2^31 rows along axis {}", shapeString(x.shape), resolved));
    for (int64_t o = 1; o <= split.outer; ++o) offs.push_back(static_cast<int32_t>(o * split.length));
  }
  expectDType(qdata, "qdata", {elem == ElemFormat::E4M3 ? DType::E4M3 : DType::E5M2, DType::U8});
  if (qdata.shape != x.shape)
    throw Error(ErrorKind::ShapeMismatch,
                fmt::format("qdata has shape {}; expected {} (the shape of x)", shapeString(qdata.shape), shapeString(x.shape)));
  expectDType(scales, "scales", {DType::E8M0, DType::U8});
  const std::vector<int64_t> scaleShape = expectedScaleShape(x, static_cast<int>(resolved), blocksAlongAxis);
  if (scales.shape != scaleShape)
    throw Error(ErrorKind::ShapeMismatch,
                fmt::format("scales has shape {}; expected {}", shapeString(scales.shape), shapeString(scaleShape)));
  for (auto [t, name] : {std::pair{&x, "x"}, {&qdata, "qdata"}, {&scales, "scales"}}) expectData(*t, name);

  const bool grouped = !offs.empty();
  const int64_t cols = lastAxis ? split.length : split.inner, rows = lastAxis ? split.outer : split.outer * split.length;
  runtime::KernelSpec spec = runtime::KernelSpec::zeroed();
  spec.kind = lastAxis ? runtime::SpecKind::QuantizeLastAxis : runtime::SpecKind::QuantizeAxis0;
  spec.aDType = uint8_t(x.dtype), spec.aElem = uint8_t(elem), spec.mode = uint8_t(mode), spec.block = block;
  spec.grouped = grouped;
  spec.k = lastAxis ? cols : 0, spec.n = lastAxis ? 0 : cols, spec.groups = static_cast<int64_t>(offs.size());
  std::map<std::string, int64_t> bindings = {{lastAxis ? "K" : "N", cols}};
  if (grouped) bindings["E"] = static_cast<int64_t>(offs.size());
  auto kernel = runtime.impl().kernelFor(
      spec, [&] { return runtime::quantizeModule(x.dtype, lastAxis ? 1 : 0, elem, block, mode, grouped); }, bindings);

  abi::KernelArgs args;
  std::memset(&args, 0, sizeof args);
  args.a = x.data, args.out = qdata.data, args.outScales = static_cast<uint8_t*>(scales.data);
  args.m = rows;
  args.offs = grouped ? offs.data() : nullptr, args.groups = static_cast<int64_t>(offs.size());
  runtime::runKernel(*kernel, args, offs, runtime.options());
}

}  // namespace mxjit
