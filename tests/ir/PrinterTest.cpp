#include "ir/Builder.h"
#include "ir/Parser.h"
#include "ir/Printer.h"

#include <gtest/gtest.h>

using namespace mxjit;
using namespace mxjit::ir;

namespace {

TEST(Printer, OneOpIsOneLineWithoutIndentation) {
  const Module m = parse(R"(func @f(%x: f32[M,64], %offs: i32[4]) -> mx<e4m3,block=32,axis=0,scales=plain>[M,64] {
  %q = mx.quantize %x, %offs axis=0 elem=e4m3 block=32 mode=rceil
  return %q
}
)");
  EXPECT_EQ(print(*m.functions[0]->ops[0]), "%q = mx.quantize %x, %offs axis=0 elem=e4m3 block=32 mode=rceil");
  EXPECT_EQ(print(*m.functions[0]->ops[1]), "return %q");
}

TEST(Printer, FunctionsAreSeparatedByOneBlankLineAndTheTextEndsInANewline) {
  Module m;
  for (const char* name : {"a", "b"}) {
    auto fn = std::make_unique<Function>();
    fn->name = name;
    Builder b(*fn);
    b.ret({b.arg("c", TensorType{DType::I32, {Dim::fixed(1)}, {}})});
    fn->args.clear();  // a function without arguments, returning a value it does not define: printing still works
    m.functions.push_back(std::move(fn));
  }
  EXPECT_EQ(print(m), "func @a() -> i32[1] {\n  return %c\n}\n\nfunc @b() -> i32[1] {\n  return %c\n}\n");
  EXPECT_EQ(print(Module{}), "");
}

TEST(Printer, NeverCrashesOnUnfinishedIR) {
  Function f;
  f.name = "half";
  Builder b(f);
  b.transpose(b.arg("x", TensorType{DType::F32, {Dim::fixed(2), Dim::fixed(3)}, {}}), {1, 0});
  EXPECT_EQ(print(f), "func @half(%x: f32[2,3]) -> () {\n  %0 = mx.transpose %x perm=[1,0]\n}\n");
  f.ops[0]->operands[0] = nullptr;
  EXPECT_EQ(print(*f.ops[0]), "%0 = mx.transpose %<null> perm=[1,0]");
}

}  // namespace
