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

  /// A linked object; removing it frees its code.
  struct Handle;

  /// Links `object` and looks up `entries`; addresses come back in the same order.
  std::shared_ptr<Handle> add(const std::string& name, const std::string& object, const std::vector<std::string>& entries,
                              std::vector<void*>& addresses);
  void remove(const std::shared_ptr<Handle>& handle);
  /// For destructors: a failure to free is reported on stderr, never thrown.
  void removeNoThrow(const std::shared_ptr<Handle>& handle) noexcept;

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxjit::runtime
