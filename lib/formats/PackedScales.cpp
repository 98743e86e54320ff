#include "formats/PackedScales.h"

#include "mxjit/Error.h"

#include <fmt/format.h>

#include <string_view>

namespace mxjit::formats {
namespace {

void checkNonNegative(std::string_view name, int64_t value) {
  if (value < 0) throw Error(ErrorKind::InvalidArgument, fmt::format("{}={} < 0: {} must be >= 0", name, value, name));
}

void checkCount(std::string_view what, std::string_view unit, size_t actual, int64_t expected, std::string_view rule) {
  if (static_cast<int64_t>(actual) != expected)
    throw Error(ErrorKind::ShapeMismatch,
                fmt::format("{} has {} {}; expected {} = {}", what, actual, unit, expected, rule));
}

// Packs `rows` plain rows of kGroups codes into columns [col0, col0 + rows) of a (kAlign, cols)
// word array; codes past kGroups are the zero padding of the last word.
void packRows(const uint8_t* plain, int64_t rows, int64_t kGroups, int32_t* storage, int64_t cols, int64_t col0) {
  int64_t kAlign = packedKAlign(kGroups);
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* row = plain + r * kGroups;
    for (int64_t w = 0; w < kAlign; ++w) {
      uint8_t s[4] = {0, 0, 0, 0};
      for (int64_t i = 0; i < 4 && 4 * w + i < kGroups; ++i) s[i] = row[4 * w + i];
      storage[w * cols + col0 + r] = packCodes(s[0], s[1], s[2], s[3]);
    }
  }
}

void unpackRows(const int32_t* storage, int64_t cols, int64_t col0, int64_t rows, int64_t kGroups, uint8_t* plain) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < kGroups; ++k) {
      auto word = static_cast<uint32_t>(storage[(k / 4) * cols + col0 + r]);
      plain[r * kGroups + k] = static_cast<uint8_t>(word >> (8 * (k % 4)));
    }
}

int64_t roundUp4(int64_t a) { return (a + 3) / 4 * 4; }

}  // namespace

int32_t packCodes(uint8_t s0, uint8_t s1, uint8_t s2, uint8_t s3) {
  // Built from shifts rather than a memcpy so the result is the same on any host byte order.
  uint32_t word = uint32_t{s0} | uint32_t{s1} << 8 | uint32_t{s2} << 16 | uint32_t{s3} << 24;
  return static_cast<int32_t>(word);
}

int64_t packedKAlign(int64_t kGroups) { return (kGroups + 3) / 4; }

std::vector<int32_t> mIndptrFromOffs(std::span<const int32_t> offs) {
  std::vector<int32_t> mIndptr{0};
  mIndptr.insert(mIndptr.end(), offs.begin(), offs.end());
  return mIndptr;
}

void validateMIndptr(std::span<const int32_t> mIndptr, int64_t cumM) {
  if (mIndptr.empty())
    throw Error(ErrorKind::InvalidArgument, "mIndptr is empty: mIndptr must have E+1 >= 1 entries");
  if (mIndptr[0] != 0)
    throw Error(ErrorKind::InvalidArgument, fmt::format("mIndptr[0]={}: mIndptr[0] must be 0", mIndptr[0]));
  for (size_t e = 1; e < mIndptr.size(); ++e)
    if (mIndptr[e] < mIndptr[e - 1])
      throw Error(ErrorKind::InvalidArgument, fmt::format("mIndptr[{}]={} < mIndptr[{}]={}: mIndptr must be non-decreasing",
                                                          e, mIndptr[e], e - 1, mIndptr[e - 1]));
  if (mIndptr.back() != cumM)
    throw Error(ErrorKind::InvalidArgument, fmt::format("mIndptr[{}]={} != cumM={}: the last mIndptr entry must equal cumM",
                                                        mIndptr.size() - 1, mIndptr.back(), cumM));
}

int64_t packedMPadded(int64_t cumM, int64_t experts) { return (cumM + 3 * experts) / 4 * 4; }

int64_t packedExpertStart(std::span<const int32_t> mIndptr, int64_t e) { return (mIndptr[e] + 3 * e) / 4 * 4; }

PackedScales packAScale(std::span<const uint8_t> plain, int64_t cumM, int64_t kGroups,
                        std::span<const int32_t> mIndptr) {
  checkNonNegative("kGroups", kGroups);
  validateMIndptr(mIndptr, cumM);
  checkCount("plain a_scale", "bytes", plain.size(), cumM * kGroups, fmt::format("cumM*kGroups = {}*{}", cumM, kGroups));
  int64_t experts = static_cast<int64_t>(mIndptr.size()) - 1;
  PackedScales out;
  out.kAlign = packedKAlign(kGroups);
  out.mnPadded = packedMPadded(cumM, experts);
  out.words.assign(out.kAlign * out.mnPadded, 0);
  for (int64_t e = 0; e < experts; ++e)
    packRows(plain.data() + mIndptr[e] * kGroups, mIndptr[e + 1] - mIndptr[e], kGroups, out.words.data(),
             out.mnPadded, packedExpertStart(mIndptr, e));
  return out;
}

std::vector<uint8_t> unpackAScale(std::span<const int32_t> words, int64_t cumM, int64_t kGroups,
                                  std::span<const int32_t> mIndptr) {
  checkNonNegative("kGroups", kGroups);
  validateMIndptr(mIndptr, cumM);
  int64_t experts = static_cast<int64_t>(mIndptr.size()) - 1;
  int64_t kAlign = packedKAlign(kGroups), mPadded = packedMPadded(cumM, experts);
  checkCount("packed a_scale", "words", words.size(), kAlign * mPadded,
             fmt::format("kAlign*mPadded = {}*{}", kAlign, mPadded));
  std::vector<uint8_t> plain(cumM * kGroups, 0);
  for (int64_t e = 0; e < experts; ++e)
    unpackRows(words.data(), mPadded, packedExpertStart(mIndptr, e), mIndptr[e + 1] - mIndptr[e], kGroups,
               plain.data() + mIndptr[e] * kGroups);
  return plain;
}

PackedScales packBScale(std::span<const uint8_t> plain, int64_t experts, int64_t n, int64_t kGroups) {
  checkNonNegative("experts", experts);
  checkNonNegative("n", n);
  checkNonNegative("kGroups", kGroups);
  checkCount("plain b_scale", "bytes", plain.size(), experts * n * kGroups,
             fmt::format("experts*n*kGroups = {}*{}*{}", experts, n, kGroups));
  PackedScales out;
  out.kAlign = packedKAlign(kGroups);
  out.mnPadded = roundUp4(n);
  int64_t expertWords = out.kAlign * out.mnPadded;
  out.words.assign(experts * expertWords, 0);
  for (int64_t e = 0; e < experts; ++e)
    packRows(plain.data() + e * n * kGroups, n, kGroups, out.words.data() + e * expertWords, out.mnPadded, 0);
  return out;
}

std::vector<uint8_t> unpackBScale(std::span<const int32_t> words, int64_t experts, int64_t n, int64_t kGroups) {
  checkNonNegative("experts", experts);
  checkNonNegative("n", n);
  checkNonNegative("kGroups", kGroups);
  int64_t kAlign = packedKAlign(kGroups), n4 = roundUp4(n);
  checkCount("packed b_scale", "words", words.size(), experts * kAlign * n4,
             fmt::format("experts*kAlign*round_up(n,4) = {}*{}*{}", experts, kAlign, n4));
  std::vector<uint8_t> plain(experts * n * kGroups, 0);
  for (int64_t e = 0; e < experts; ++e)
    unpackRows(words.data() + e * kAlign * n4, n4, 0, n, kGroups, plain.data() + e * n * kGroups);
  return plain;
}

}  // namespace mxjit::formats
