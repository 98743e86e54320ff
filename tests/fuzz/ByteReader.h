// Fuzz input bytes read as small choices. Once the bytes run out every read gives 0, and option 0 of
// each choice is the valid default, so a short input is a valid call and longer ones vary it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>

namespace mxjit::fuzz {

class ByteReader {
public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  /// A value in [0, n), n <= 256, from one byte.
  size_t pick(size_t n) { return byte() % n; }
  /// True for about one byte value in n: the rare branch (usually a bad argument). False on 0.
  bool rarely(size_t n) { return pick(n) == n - 1; }
  template <class T> T oneOf(std::initializer_list<T> options) { return options.begin()[pick(options.size())]; }

private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace mxjit::fuzz
