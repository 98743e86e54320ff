#include "KernelCache.h"

#include <chrono>

namespace mxjit::runtime {

KernelCache::KernelPtr KernelCache::getOrCompile(const KernelSpec& spec, const std::function<KernelPtr()>& compile,
                                                 bool* compiledHere, const std::function<void(const Kernel&)>& onEvict) {
  std::promise<KernelPtr> promise;
  std::shared_future<KernelPtr> future;
  *compiledHere = false;
  {
    std::lock_guard lock(mutex_);
    auto it = kernels_.find(spec);
    if (it != kernels_.end()) {
      it->second.lastUse = ++clock_;
      future = it->second.kernel;
    } else {
      future = promise.get_future().share();
      kernels_.emplace(spec, Entry{future, ++clock_});
      *compiledHere = true;
    }
  }
  if (!*compiledHere) return future.get();  // waits for the compiling thread; rethrows its error
  std::vector<KernelPtr> evicted;
  try {
    promise.set_value(compile());
    std::lock_guard lock(mutex_);
    evicted = evictOverCapacity(spec);
  } catch (...) {
    {
      std::lock_guard lock(mutex_);
      kernels_.erase(spec);  // failures are not cached
    }
    promise.set_exception(std::current_exception());
  }
  if (onEvict)
    for (const KernelPtr& k : evicted) onEvict(*k);
  return future.get();  // `evicted` drops here, outside the lock: freeing code may take a while
}

std::vector<KernelCache::KernelPtr> KernelCache::evictOverCapacity(const KernelSpec& keep) {
  std::vector<KernelPtr> evicted;
  while (capacity_ > 0 && kernels_.size() > capacity_) {
    auto victim = kernels_.end();
    for (auto it = kernels_.begin(); it != kernels_.end(); ++it) {
      const bool ready = it->second.kernel.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
      if (it->first == keep || !ready) continue;  // never the new kernel, never one still compiling
      if (victim == kernels_.end() || it->second.lastUse < victim->second.lastUse) victim = it;
    }
    if (victim == kernels_.end()) break;
    try {
      evicted.push_back(victim->second.kernel.get());
    } catch (...) {
    }
    kernels_.erase(victim);
    ++evictions_;
  }
  return evicted;
}

size_t KernelCache::size() const {
  std::lock_guard lock(mutex_);
  return kernels_.size();
}

uint64_t KernelCache::evictions() const {
  std::lock_guard lock(mutex_);
  return evictions_;
}

}  // namespace mxjit::runtime
