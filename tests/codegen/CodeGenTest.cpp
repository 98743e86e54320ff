// Codegen: a plan becomes verified, optimised native code; the AVX-512 path really uses zmm FMAs and
// the portable path (AVX-512 forced off) uses none; the LLVM IR holds the plan's constants.
#include "CodeGen.h"
#include "ir/Builder.h"
#include "ir/Parser.h"
#include "mxjit/Error.h"
#include "passes/PassManager.h"
#include "plan/LowerToPlan.h"
#include "runtime/OpModules.h"

#include <gtest/gtest.h>

using namespace mxjit;

namespace {

// The pass pipeline with K, N and E bound: the specialised op a plan is lowered from.
void specialize(ir::Module& m, int64_t k, int64_t n, int64_t e) {
  passes::PassManager pm;
  pm.addPipeline();
  passes::PassOptions o;
  o.dimBindings = {{"K", k}, {"N", n}, {"E", e}};
  pm.run(m, o);
}

plan::KernelPlan forwardPlan(plan::Microkernel micro, bool streamPanels = false, int64_t k = 256, bool fusedGroups = false) {
  ir::Module m = runtime::forwardModule(DType::BF16, DType::BF16, WeightLayout::ENK, QuantRecipe{}, DType::BF16);
  specialize(m, k, 96, 4);
  plan::PlanOptions options;
  options.streamPanels = streamPanels;
  options.fusedGroupRows = fusedGroups ? plan::kColumnTileRows : 0;
  return plan::lowerToPlan(m, micro, options);
}

TEST(CodeGen, Avx512KernelsUseZmmFma) {
  const codegen::Target target = codegen::hostTarget(codegen::TargetCap::Auto);
  if (!target.avx512) GTEST_SKIP() << "host has no AVX-512";
  const auto compiled = codegen::compilePlan(forwardPlan(plan::Microkernel::Avx512), target, {true, true});
  ASSERT_EQ(compiled.stages.size(), 2u);
  for (const auto& stage : compiled.stages) EXPECT_FALSE(stage.object.empty()) << stage.entryName;
  EXPECT_NE(compiled.assembly().find("vfmadd231ps\t%zmm"), std::string::npos);
  ASSERT_EQ(compiled.entryNames().size(), 2u);
  EXPECT_NE(compiled.assembly().find(compiled.entryNames()[1]), std::string::npos);
  // The entry passes K=256 and N=96 to the helper; after specialisation the helper is inlined and gone.
  EXPECT_NE(compiled.llvmIr().find("i64 256, i64 96"), std::string::npos);
  EXPECT_EQ(compiled.optimizedIr().find("define internal"), std::string::npos);
}

TEST(CodeGen, Bf16MicrokernelUsesVdpbf16ps) {
  const codegen::Target target = codegen::hostTarget(codegen::TargetCap::Auto);
  if (!target.avx512bf16) GTEST_SKIP() << "host has no AVX512-BF16";
  const auto compiled = codegen::compilePlan(forwardPlan(plan::Microkernel::Avx512Bf16), target, {false, true});
  EXPECT_NE(compiled.assembly().find("vdpbf16ps"), std::string::npos);
}

// Cross-compiled for the host's triple with AMX features added: runs on any x86 host with AVX512-BF16,
// since the code is only emitted, never executed here.
TEST(CodeGen, AmxMicrokernelUsesTiles) {
  codegen::Target target = codegen::hostTarget(codegen::TargetCap::Auto);
  if (!target.avx512bf16) GTEST_SKIP() << "host has no AVX512-BF16 (every AMX host has it)";
  target.features += ",+amx-tile,+amx-bf16";
  const plan::KernelPlan p = forwardPlan(plan::Microkernel::AmxBf16);
  EXPECT_EQ(p.mr, 32);
  EXPECT_EQ(p.stages.at(1).helper, "mxjit_gemm_2d3d_amx_32x32");
  const auto compiled = codegen::compilePlan(p, target, {false, true});
  for (const char* instruction : {"ldtilecfg", "tileloadd", "tdpbf16ps", "tilestored", "tilerelease"})
    EXPECT_NE(compiled.assembly().find(instruction), std::string::npos) << instruction;
}

// wgrad on AMX: the token packers and the 2d2d tile kernel (cross-compiled like the forward one).
TEST(CodeGen, AmxWgradUsesTiles) {
  codegen::Target target = codegen::hostTarget(codegen::TargetCap::Auto);
  if (!target.avx512bf16) GTEST_SKIP() << "host has no AVX512-BF16 (every AMX host has it)";
  target.features += ",+amx-tile,+amx-bf16";
  ir::Module m = runtime::wgradModule(DType::BF16, DType::BF16, QuantRecipe{}, DType::BF16);
  specialize(m, 256, 96, 4);
  const plan::KernelPlan p = plan::lowerToPlan(m, plan::Microkernel::AmxBf16);
  ASSERT_EQ(p.stages.size(), 2u);
  EXPECT_EQ(p.stages[0].helper, "mxjit_pack_token_operands_amx");
  EXPECT_EQ(p.stages[1].helper, "mxjit_gemm_2d2d_amx_32x32");
  // Decode-size groups: AMX would pad each group's tokens to 32; the AVX512-BF16 kernel takes them.
  plan::PlanOptions small;
  small.smallGroups = true;
  const plan::KernelPlan s = plan::lowerToPlan(m, plan::Microkernel::AmxBf16, small);
  EXPECT_EQ(s.micro, plan::Microkernel::Avx512Bf16);
  EXPECT_EQ(s.stages.at(1).helper, "mxjit_gemm_2d2d_bf16_8x32");
  const auto compiled = codegen::compilePlan(p, target, {false, true});
  for (const char* instruction : {"ldtilecfg", "tileloadd", "tdpbf16ps", "tilestored", "tilerelease"})
    EXPECT_NE(compiled.stages[1].assembly.find(instruction), std::string::npos) << instruction;
}

// A weight-streaming plan of `m` (specialised) for an AMX host, its stage helpers as named, cross-compiled
// (the code is emitted, never run here): the multiplying stage uses tiles. Returns the plan.
plan::KernelPlan expectAmxStreamingPlan(ir::Module& m, bool fusedGroups, const std::string& packA, const std::string& gemm) {
  codegen::Target target = codegen::hostTarget(codegen::TargetCap::Auto);
  target.features += ",+amx-tile,+amx-bf16";
  plan::PlanOptions options;
  options.streamPanels = true;
  options.fusedGroupRows = fusedGroups ? plan::kColumnTileRows : 0;
  const plan::KernelPlan p = plan::lowerToPlan(m, plan::Microkernel::AmxBf16, options);
  EXPECT_EQ(p.stages.size(), 2u) << p.toString();
  EXPECT_EQ(p.stages.at(0).helper, packA);
  EXPECT_EQ(p.stages.at(1).helper, gemm);
  EXPECT_EQ(p.packedBFloats(64), 0);  // nothing packed to memory beyond a thread's panels or tiles
  const auto compiled = codegen::compilePlan(p, target, {false, true});
  for (const char* instruction : {"ldtilecfg", "tileloadd", "tdpbf16ps", "tilestored", "tilerelease"})
    EXPECT_NE(compiled.stages.at(1).assembly.find(instruction), std::string::npos) << instruction << " " << p.stem;
  return p;
}

// Decode on panel-packed weights on AMX hosts: tokens packed in natural pairs, each 32 k of the panel
// pair decoded into B tiles for tdpbf16ps.
TEST(CodeGen, AmxPanelPackedStreamingUsesTiles) {
  if (!codegen::hostTarget(codegen::TargetCap::Auto).avx512bf16) GTEST_SKIP() << "host has no AVX512-BF16 (every AMX host has it)";
  ir::Module m = runtime::prequantizedForwardModule(DType::BF16, std::nullopt, {ElemFormat::E4M3, 32}, ir::OperandLayout::PNK,
                                                    QuantRecipe{}, DType::BF16);
  specialize(m, 256, 96, 4);
  const plan::KernelPlan p = expectAmxStreamingPlan(m, false, "mxjit_pack_rows_amx", "mxjit_gemm_panel_packed_amx_16x32");
  EXPECT_GE(p.threadScratchFloats(), 1024);  // two B tiles and a C
}

// Decode on [E,N,K] weights in column tiles on AMX hosts: fp8 and bf16 weights, the tiles' pair rows
// multiplied by tdpbf16ps.
TEST(CodeGen, AmxColumnTilesUseTiles) {
  if (!codegen::hostTarget(codegen::TargetCap::Auto).avx512bf16) GTEST_SKIP() << "host has no AVX512-BF16 (every AMX host has it)";
  ir::Module fp8 = runtime::prequantizedForwardModule(DType::BF16, std::nullopt, {ElemFormat::E4M3, 32}, ir::OperandLayout::ENK,
                                                      QuantRecipe{}, DType::BF16);
  ir::Module bf16 = runtime::forwardModule(DType::BF16, DType::BF16, WeightLayout::ENK, QuantRecipe{}, DType::BF16);
  for (ir::Module* m : {&fp8, &bf16}) {
    specialize(*m, 256, 96, 4);
    EXPECT_TRUE(expectAmxStreamingPlan(*m, true, "mxjit_pack_rows_amx", "mxjit_gemm_enk_columns_amx_16x16").columnTiles);
  }
}

// The other weight-streaming plans on AMX hosts (here dgrad's weights, strided along its contraction):
// panels packed in natural pairs by the stage's part, multiplied by tdpbf16ps.
TEST(CodeGen, AmxStreamingMultipliesPanelsByTiles) {
  if (!codegen::hostTarget(codegen::TargetCap::Auto).avx512bf16) GTEST_SKIP() << "host has no AVX512-BF16 (every AMX host has it)";
  ir::Module m = runtime::dgradModule(DType::BF16, DType::BF16, WeightLayout::ENK, QuantRecipe{}, DType::BF16);
  specialize(m, 100, 96, 4);  // a contraction of 96, 100 columns: a partial panel
  const plan::KernelPlan p = expectAmxStreamingPlan(m, false, "mxjit_pack_rows_amx", "mxjit_decode_2d3d_amx_16x32");
  ASSERT_TRUE(p.stages.at(1).part.has_value());
  EXPECT_EQ(p.stages[1].part->helper, "mxjit_pack_panels_amx");
}

// Decode groups on bf16 weights strided along the contraction, on AMX hosts: row blocks on vdpbf16ps
// (KernelPlan.h, streamsRowBlocks: faster there than whole panels for tdpbf16ps), tokens in the vdpbf16ps
// pair order; with groups too large to be fused, the tiles' panels as above.
TEST(CodeGen, AmxHostsStreamDecodeDgradInRowBlocks) {
  ir::Module m = runtime::dgradModule(DType::BF16, DType::BF16, WeightLayout::ENK, QuantRecipe{}, DType::BF16);
  specialize(m, 128, 96, 4);
  plan::PlanOptions options;
  options.streamPanels = true;
  options.fusedGroupRows = plan::kColumnTileRows;
  const plan::KernelPlan p = plan::lowerToPlan(m, plan::Microkernel::AmxBf16, options);
  EXPECT_TRUE(p.rowBlocks) << p.toString();
  EXPECT_EQ(p.micro, plan::Microkernel::Avx512Bf16);
  EXPECT_EQ(p.stages.at(0).helper, "mxjit_pack_rows_bf16");
  EXPECT_EQ(p.stages.at(1).helper, "mxjit_gemm_ekn_rows_bf16_8x32");
  options.fusedGroupRows = 0;
  EXPECT_FALSE(plan::lowerToPlan(m, plan::Microkernel::AmxBf16, options).rowBlocks);
}

TEST(CodeGen, PortableTargetHasNoAvx512) {
  const codegen::Target target = codegen::hostTarget(codegen::TargetCap::Portable);
  EXPECT_FALSE(target.avx512);
  EXPECT_EQ(target.features.find("+avx512"), std::string::npos);
  const auto compiled = codegen::compilePlan(forwardPlan(plan::Microkernel::Portable), target, {false, true});
  EXPECT_EQ(compiled.assembly().find("zmm"), std::string::npos);
  EXPECT_NE(compiled.assembly().find("mm"), std::string::npos);  // still vector code (xmm/ymm)
}

// Stages compile in their own LLVM contexts on parallel threads; the result must not depend on it.
TEST(CodeGen, ParallelStagesEqualSerialOnes) {
  const codegen::Target target = codegen::hostTarget(codegen::TargetCap::Auto);
  const plan::KernelPlan p = forwardPlan(plan::selectMicrokernel(target.avx512, target.avx512bf16, target.amx));
  const auto serial = codegen::compilePlan(p, target, {false, false, 1});
  const auto parallel = codegen::compilePlan(p, target, {false, false, 4});
  ASSERT_EQ(serial.stages.size(), p.stages.size());
  ASSERT_EQ(parallel.stages.size(), p.stages.size());
  for (size_t i = 0; i < p.stages.size(); ++i) {
    EXPECT_EQ(parallel.stages[i].entryName, codegen::entryName(p, p.stages[i]));
    EXPECT_EQ(parallel.stages[i].object, serial.stages[i].object) << p.stages[i].name;
  }
}

// The weight-streaming stage's panel packer is a part: its own module, bound by name to the stage's call.
TEST(CodeGen, StagePartIsItsOwnModuleBoundByName) {
  const codegen::Target target = codegen::hostTarget(codegen::TargetCap::Auto);
  if (!target.avx512bf16) GTEST_SKIP() << "host has no AVX512-BF16";
  const plan::KernelPlan p = forwardPlan(plan::Microkernel::Avx512Bf16, true, 96);  // larger groups: whole panels
  ASSERT_EQ(p.stages.size(), 2u);
  ASSERT_TRUE(p.stages[1].part.has_value());
  const auto compiled = codegen::compilePlan(p, target, {false, true, 2});
  ASSERT_EQ(compiled.stages.size(), 3u);
  EXPECT_EQ(compiled.entryNames(), (std::vector<std::string>{codegen::entryName(p, p.stages[0]), codegen::entryName(p, p.stages[1])}));
  const std::string part = codegen::entryName(p, p.stages[1]) + ".part";
  EXPECT_TRUE(compiled.stages[2].part);
  EXPECT_NE(compiled.stages[2].assembly.find(part + ":"), std::string::npos);           // defined there
  EXPECT_NE(compiled.stages[1].assembly.find("call"), std::string::npos);
  EXPECT_NE(compiled.stages[1].assembly.find(part), std::string::npos);                 // called from the stage
  // The packer's 16x16 transposes (dword interleaves, lane shuffles) are in the part alone.
  const auto hasTransposes = [](const std::string& s) { return s.find("unpckl") != s.npos && s.find("vshuf") != s.npos; };
  EXPECT_FALSE(hasTransposes(compiled.stages[1].assembly));
  EXPECT_TRUE(hasTransposes(compiled.stages[2].assembly));
}

// The streaming stage in column tiles (KernelPlan.h, streamsColumnTiles) is one module: the tile
// transposes and the vdpbf16ps multiply side by side, no part, the token broadcasts folded into
// vdpbf16ps (ColumnTileGemm.h). fp8 weights and bf16 ones quantized on the fly.
TEST(CodeGen, ColumnTileStageIsOneModule) {
  const codegen::Target target = codegen::hostTarget(codegen::TargetCap::Auto);
  if (!target.avx512bf16) GTEST_SKIP() << "host has no AVX512-BF16";
  ir::Module fp8 = ir::parse(R"(func @f(%a: bf16[M,K], %w: mx<e4m3,block=32,axis=2,scales=plain>[E,N,K], %offs: i32[E]) -> bf16[M,N] {
  %qa = mx.quantize %a axis=1 elem=e4m3 block=32 mode=rceil
  %y = mx.grouped_mm %qa, %w, %offs kind=2d3d out=bf16 a=mk b=enk
  return %y
}
)");
  specialize(fp8, 4096, 96, 4);
  plan::PlanOptions options;
  options.streamPanels = true;
  options.fusedGroupRows = plan::kColumnTileRows;
  for (const plan::KernelPlan& p : {plan::lowerToPlan(fp8, plan::Microkernel::Avx512Bf16, options),
                                    forwardPlan(plan::Microkernel::Avx512Bf16, true, 4096, true)}) {
    ASSERT_TRUE(p.columnTiles) << p.toString();
    ASSERT_EQ(p.stages.size(), 2u);
    EXPECT_FALSE(p.stages[1].part.has_value());
    const auto compiled = codegen::compilePlan(p, target, {false, true, 2});
    ASSERT_EQ(compiled.stages.size(), 2u);
    const std::string& tiles = compiled.stages[1].assembly;
    EXPECT_NE(tiles.find("vdpbf16ps"), std::string::npos) << p.stem;
    EXPECT_NE(tiles.find("{1to16}, %zmm"), std::string::npos) << p.stem;
    EXPECT_NE(tiles.find("unpckl"), std::string::npos) << p.stem;
    EXPECT_NE(tiles.find("vshuf"), std::string::npos) << p.stem;
  }
}

// A failure on a worker thread reaches the caller as an mxjit::Error naming the problem.
TEST(CodeGen, StageFailureOnAWorkerThreadIsReported) {
  const codegen::Target target = codegen::hostTarget(codegen::TargetCap::Auto);
  plan::KernelPlan p = forwardPlan(plan::Microkernel::Portable);
  p.stages.at(0).helper = "mxjit_no_such_helper";
  try {
    codegen::compilePlan(p, target, {false, false, 2});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mxjit_no_such_helper"), std::string::npos) << e.what();
  }
}

TEST(CodeGen, TargetCapNames) {
  EXPECT_EQ(codegen::parseTargetCap("portable"), codegen::TargetCap::Portable);
  EXPECT_EQ(codegen::parseTargetCap("avx512bf16"), codegen::TargetCap::Avx512Bf16);
  EXPECT_THROW(codegen::parseTargetCap("sse9"), Error);
}

}  // namespace
