#include "KernelCache.h"

namespace mxjit::runtime {

KernelCache::KernelPtr KernelCache::getOrCompile(const KernelSpec& spec, const std::function<KernelPtr()>& compile,
                                                 bool* compiledHere) {
  std::promise<KernelPtr> promise;
  std::shared_future<KernelPtr> future;
  *compiledHere = false;
  {
    std::lock_guard lock(mutex_);
    auto it = kernels_.find(spec);
    if (it != kernels_.end()) {
      future = it->second;
    } else {
      future = promise.get_future().share();
      kernels_.emplace(spec, future);
      *compiledHere = true;
    }
  }
  if (!*compiledHere) return future.get();  // waits for the compiling thread; rethrows its error
  try {
    promise.set_value(compile());
  } catch (...) {
    {
      std::lock_guard lock(mutex_);
      kernels_.erase(spec);  // failures are not cached
    }
    promise.set_exception(std::current_exception());
  }
  return future.get();
}

size_t KernelCache::size() const {
  std::lock_guard lock(mutex_);
  return kernels_.size();
}

}  // namespace mxjit::runtime
