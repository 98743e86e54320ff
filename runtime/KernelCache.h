// In-memory kernel cache: one compile per key however many threads ask at once (the first caller
// compiles, the others wait on its shared_future); a failed compile is not cached, so the next call
// tries again and every waiter sees the same error.
#pragma once
#include "Kernel.h"
#include "KernelSpec.h"

#include <functional>
#include <future>
#include <mutex>
#include <unordered_map>

namespace mxjit::runtime {

class KernelCache {
public:
  using KernelPtr = std::shared_ptr<const Kernel>;

  /// Returns the kernel for `spec`, calling `compile` (outside the lock) if no thread has yet.
  /// `*compiledHere` tells whether this call did the compile.
  KernelPtr getOrCompile(const KernelSpec& spec, const std::function<KernelPtr()>& compile, bool* compiledHere);
  size_t size() const;

private:
  mutable std::mutex mutex_;
  std::unordered_map<KernelSpec, std::shared_future<KernelPtr>, KernelSpecHash> kernels_;
};

}  // namespace mxjit::runtime
