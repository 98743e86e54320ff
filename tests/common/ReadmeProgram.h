// The README's example program in canonical text (also tests/ir/programs/readme_moe_up.mxir): the
// module the IR and pass tests parse, edit and run passes over.
#pragma once

namespace mxjit::test {

inline constexpr const char* kReadmeMoeUp =
    R"(func @moe_up(%x: bf16[M,2048], %w: bf16[8,1024,2048], %offs: i32[8]) -> bf16[M,1024] {
  %qx = mx.quantize %x axis=1 elem=e4m3 block=32 mode=rceil
  %wt = mx.transpose %w perm=[0,2,1]
  %qw = mx.quantize %wt axis=1 elem=e4m3 block=32 mode=rceil
  %y = mx.grouped_mm %qx, %qw, %offs kind=2d3d out=bf16 a=mk b=ekn
  return %y
}
)";

}  // namespace mxjit::test
