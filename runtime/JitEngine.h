// The JIT linker: the only user of LLVM ORC. It takes object code (from codegen or the disk cache),
// links it into the process under its own resource tracker, and hands back entry addresses.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace mxjit::runtime {

class JitEngine {
public:
  JitEngine();
  ~JitEngine();
  JitEngine(const JitEngine&) = delete;
  JitEngine& operator=(const JitEngine&) = delete;

  /// A kernel's linked objects; removing it frees their code.
  struct Handle;

  /// Links a kernel's `objects` (one per stage) and looks up `entries`; addresses come back in order.
  std::shared_ptr<Handle> add(const std::string& name, const std::vector<std::string>& objects,
                              const std::vector<std::string>& entries, std::vector<void*>& addresses);
  void remove(const std::shared_ptr<Handle>& handle);
  /// For destructors: a failure to free is reported on stderr, never thrown.
  void removeNoThrow(const std::shared_ptr<Handle>& handle) noexcept;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxjit::runtime
