// mxjit quantize: MX-quantize one tensor along an axis and write its fp8 codes and e8m0 scales.
#include "Args.h"
#include "Commands.h"
#include "Engine.h"
#include "TensorFiles.h"
#include "formats/Quantize.h"
#include "mxjit/Error.h"
#include "mxjit/Ops.h"

#include <fmt/format.h>

#include <algorithm>

namespace mxjit::cli {

int runQuantize(std::span<char* const> argv) {
  const Args args(argv, {"input", "input-dtype", "elem", "mode", "block", "axis", "qdata", "scale", "engine"});
  const Engine engine = parseEngine(args.valueOr("engine", "jit"));
  const std::string dtype = args.required("input-dtype");
  if (dtype != "f32" && dtype != "bf16")
    throw Error(ErrorKind::Parse, fmt::format("unknown --input-dtype '{}' (expected f32 or bf16)", dtype));
  const ElemFormat elem = parseElemFormat(args.required("elem"));
  const ScaleMode mode = parseScaleMode(args.required("mode"));
  const int block = args.intOr("block", 32), axis = args.intOr("axis", -1);
  const std::string qdataPath = args.required("qdata"), scalePath = args.required("scale");

  const HostTensor input =
      readOperand("input", args.required("input"), {dtype == "f32" ? DType::F32 : DType::BF16});
  if (engine == Engine::Reference) {
    const formats::MXTensor m = formats::quantize(input.view(), axis, elem, block, mode);
    writeOperand(qdataPath, m.qdata.view());
    writeOperand(scalePath, m.scales.view());
    return 0;
  }
  // The API checks block, axis and divisibility (before it looks at the scale buffer sized here).
  const int resolved = formats::normalizeAxis(axis, static_cast<int>(input.shape().size()), "the quantize input");
  std::vector<int64_t> scaleShape = input.shape();
  scaleShape[resolved] /= std::max(block, 1);
  HostTensor qdata(elem == ElemFormat::E4M3 ? DType::E4M3 : DType::E5M2, input.shape()), scales(DType::E8M0, scaleShape);
  quantize(input.view(), resolved, elem, block, mode, qdata.view(), scales.view());
  writeOperand(qdataPath, qdata.view());
  writeOperand(scalePath, scales.view());
  return 0;
}

}  // namespace mxjit::cli
