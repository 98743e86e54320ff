// In-memory kernel cache: one compile per key however many threads ask at once (the first caller
// compiles, the others wait on its shared_future); a failed compile is not cached, so the next call
// tries again and every waiter sees the same error. With a capacity, the least recently used compiled
// kernels are evicted (their code is freed once no call holds them).
#pragma once
#include "Kernel.h"
#include "KernelSpec.h"

#include <functional>
#include <future>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace mxjit::runtime {

class KernelCache {
public:
  using KernelPtr = std::shared_ptr<const Kernel>;

  /// capacity 0: unbounded.
  explicit KernelCache(size_t capacity = 0) : capacity_(capacity) {}

  /// Returns the kernel for `spec`, calling `compile` (outside the lock) if no thread has yet.
  /// `*compiledHere` tells whether this call did the compile; `onEvict` sees each kernel evicted to
  /// make room for it.
  KernelPtr getOrCompile(const KernelSpec& spec, const std::function<KernelPtr()>& compile, bool* compiledHere,
                         const std::function<void(const Kernel&)>& onEvict = {});
  size_t size() const;
  uint64_t evictions() const;

private:
  struct Entry {
    std::shared_future<KernelPtr> kernel;
    uint64_t lastUse = 0;
  };
  std::vector<KernelPtr> evictOverCapacity(const KernelSpec& keep);  // with mutex_ held

  mutable std::mutex mutex_;
  std::unordered_map<KernelSpec, Entry, KernelSpecHash> kernels_;
  size_t capacity_;
  uint64_t clock_ = 0, evictions_ = 0;
};

}  // namespace mxjit::runtime
