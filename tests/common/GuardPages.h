// Memory between two inaccessible pages, for catching stray reads and writes of code that no sanitizer
// instruments (the JIT's kernels): the runtime tests' and the fuzz target's guarded tensors.
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <new>

namespace mxjit::test {

/// `bytes` bytes and `tail` more after them, between two inaccessible pages: starting right after the
/// first page, or (atEnd) ending right before the second (then a read or write past them faults; `tail`
/// is for bytes the caller checks instead). Throws std::bad_alloc where the pages cannot be had.
class GuardPages {
 public:
  GuardPages(size_t bytes, size_t tail, bool atEnd) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t inner = (bytes + tail + page - 1) / page * page + (bytes + tail ? 0 : page);
    mapped_ = inner + 2 * page;
    base_ = static_cast<uint8_t*>(mmap(nullptr, mapped_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (base_ == MAP_FAILED || mprotect(base_ + page, inner, PROT_READ | PROT_WRITE) != 0) throw std::bad_alloc();
    data_ = base_ + page + (atEnd ? inner - bytes : 0);
  }
  GuardPages(const GuardPages&) = delete;
  GuardPages& operator=(const GuardPages&) = delete;
  ~GuardPages() { munmap(base_, mapped_); }
  uint8_t* data() const { return data_; }

 private:
  uint8_t *base_ = nullptr, *data_ = nullptr;
  size_t mapped_ = 0;
};

}  // namespace mxjit::test
