#include "JitEngine.h"

#include "LlvmInit.h"
#include "helpers/ColdPaths.h"
#include "mxjit/Error.h"

#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/MemoryBuffer.h>

#include <fmt/format.h>

#include <cstdio>

namespace mxjit::runtime {

struct JitEngine::Handle {
  llvm::orc::ResourceTrackerSP tracker;
};

struct JitEngine::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

namespace {

[[noreturn]] void fail(std::string_view what, llvm::Error e) {
  throw Error(ErrorKind::Internal, fmt::format("JIT: {}: {}", what, llvm::toString(std::move(e))));
}

}  // namespace

JitEngine::JitEngine() : impl_(std::make_unique<Impl>()) {
  codegen::initializeLlvm();
  auto jit = llvm::orc::LLJITBuilder().create();  // links against the process's symbols (memcpy, memset)
  if (!jit) fail("creating LLJIT", jit.takeError());
  impl_->jit = std::move(*jit);
  // The kernels' cold paths live in this library (helpers/ColdPaths.h), not in each kernel's object.
  llvm::orc::SymbolMap cold;
  for (const helpers::ColdPathSymbol& s : helpers::kColdPathSymbols)
    cold[impl_->jit->mangleAndIntern(s.name)] = {llvm::orc::ExecutorAddr::fromPtr(s.address), llvm::JITSymbolFlags::Exported};
  if (auto e = impl_->jit->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(cold))))
    fail("defining the cold-path symbols", std::move(e));
}

JitEngine::~JitEngine() = default;

std::shared_ptr<JitEngine::Handle> JitEngine::add(const std::string& name, const std::vector<std::string>& objects,
                                                  const std::vector<std::string>& entries, std::vector<void*>& addresses) {
  auto handle = std::make_shared<Handle>();
  handle->tracker = impl_->jit->getMainJITDylib().createResourceTracker();
  for (const std::string& object : objects) {
    auto buffer = llvm::MemoryBuffer::getMemBufferCopy(object, name);
    if (auto e = impl_->jit->addObjectFile(handle->tracker, std::move(buffer))) fail("adding " + name, std::move(e));
  }
  addresses.clear();
  for (const std::string& entry : entries) {
    auto address = impl_->jit->lookup(entry);
    if (!address) fail("looking up " + entry, address.takeError());
    addresses.push_back(address->toPtr<void*>());
  }
  return handle;
}

void JitEngine::remove(const std::shared_ptr<Handle>& handle) {
  if (handle && handle->tracker)
    if (auto e = handle->tracker->remove()) fail("removing a kernel", std::move(e));
}

void JitEngine::removeNoThrow(const std::shared_ptr<Handle>& handle) noexcept {
  try {
    remove(handle);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mxjit: freeing a kernel failed: %s\n", e.what());
  }
}

}  // namespace mxjit::runtime
