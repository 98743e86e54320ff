#include "npy/Npy.h"

#include "mxjit/Error.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace mxjit::npy {
namespace {

constexpr std::string_view kMagic = "\x93" "NUMPY";
constexpr size_t kMaxRank = 64;  // numpy's own limit; also bounds what a hostile header can make us hold
constexpr std::string_view kSupported = "'<f4' (f32), '<i4' (i32), '<u2' (bf16 bits), '|u1' (bytes)";

[[noreturn]] void fail(std::string_view name, std::string_view problem) {
  throw Error(ErrorKind::Io, fmt::format("{}: {}", name, problem));
}

// Header text quoted in messages: printable ASCII only and short, whatever the file holds.
std::string quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s.substr(0, 24)) {
    if (c >= 0x20 && c < 0x7f) out += c;
    else out += fmt::format("\\x{:02x}", static_cast<uint8_t>(c));
  }
  return out + (s.size() > 24 ? "...'" : "'");
}

// What the parser found where it expected something else.
std::string excerpt(std::string_view rest) { return rest.empty() ? "the end of the header" : quoted(rest); }

struct Preamble {
  size_t dictOffset;  // magic + version + length field
  uint64_t total;     // preamble + dict: where the data starts
};

// Magic, version and header length; needs only the first 10 (v1) or 12 (v2, v3) bytes.
Preamble readPreamble(std::span<const uint8_t> b, std::string_view name) {
  if (b.empty()) fail(name, "empty file; not an .npy file");
  size_t n = std::min(b.size(), kMagic.size());
  if (std::memcmp(b.data(), kMagic.data(), n) != 0) fail(name, "not an .npy file (bad magic; expected \\x93NUMPY)");
  if (b.size() < 8) fail(name, "truncated header: the file ends inside the magic and version");
  uint8_t major = b[6], minor = b[7];
  if (major < 1 || major > 3 || minor != 0)
    fail(name, fmt::format("unsupported .npy version {}.{} (supported: 1.0, 2.0, 3.0)", major, minor));
  size_t offset = major == 1 ? 10 : 12;
  if (b.size() < offset) fail(name, "truncated header: the file ends inside the header length");
  uint64_t len = 0;
  for (size_t i = offset; i-- > 8;) len = len << 8 | b[i];  // little-endian
  return {offset, offset + len};
}

struct Header {
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t dataOffset;
};

DType dtypeFromDescr(std::string_view descr, std::string_view name) {
  char order = descr.empty() ? '?' : descr[0];
  bool hasOrder = order == '<' || order == '>' || order == '|' || order == '=';
  std::string_view body = hasOrder ? descr.substr(1) : descr;
  if (body == "u1") return DType::U8;  // byte order means nothing for one byte
  if (body == "f4" || body == "i4" || body == "u2") {
    if (order == '<') return body == "f4" ? DType::F32 : body == "i4" ? DType::I32 : DType::BF16;
    if (order == '>')
      fail(name, fmt::format("unsupported byte order: dtype '{}' is big-endian; save with arr.astype('<{}')", descr,
                             body));
  }
  fail(name, fmt::format("unsupported dtype {} (supported: {})", quoted(descr), kSupported));
}

// The header dict is a Python literal; this reads the small subset numpy writes, in any key order,
// with either quote, any whitespace and optional trailing commas.
class DictParser {
public:
  DictParser(std::string_view text, std::string_view name) : text_(text), name_(name) {}

  Header parse() {
    std::optional<std::string_view> descr;
    std::optional<bool> fortranOrder;
    std::optional<std::vector<int64_t>> shape;
    skipSpace();
    expect('{', "'{' opening the header dict");
    for (skipSpace(); !consume('}'); skipSpace()) {
      std::string_view key = parseString("a quoted key or '}'");
      skipSpace();
      expect(':', fmt::format("':' after key '{}'", key));
      skipSpace();
      if (key == "descr") {
        if (descr) malformed("each key once; 'descr' is repeated");
        if (peek() == '[') fail(name_, fmt::format("unsupported dtype: structured arrays (supported: {})", kSupported));
        descr = parseString("a quoted dtype string for 'descr'");
      } else if (key == "fortran_order") {
        if (fortranOrder) malformed("each key once; 'fortran_order' is repeated");
        fortranOrder = parseBool();
      } else if (key == "shape") {
        if (shape) malformed("each key once; 'shape' is repeated");
        shape = parseShape();
      } else {
        fail(name_, fmt::format("malformed header: unexpected key {} (expected 'descr', 'fortran_order', 'shape')",
                                quoted(key)));
      }
      skipSpace();
      if (!consume(',')) {
        expect('}', fmt::format("',' or '}}' after the value of '{}'", key));
        break;
      }
    }
    skipSpace();
    if (pos_ != text_.size()) malformed("only whitespace after the closing '}'");
    for (auto [present, key] : {std::pair{descr.has_value(), "descr"}, {fortranOrder.has_value(), "fortran_order"},
                                {shape.has_value(), "shape"}})
      if (!present) fail(name_, fmt::format("malformed header: missing key '{}'", key));
    if (*fortranOrder) fail(name_, "Fortran-order arrays are not supported; save with np.ascontiguousarray");
    return Header{dtypeFromDescr(*descr, name_), std::move(*shape), 0};
  }

private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skipSpace() {
    while (pos_ < text_.size() && (peek() == ' ' || peek() == '\t' || peek() == '\r' || peek() == '\n')) ++pos_;
  }
  bool consume(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool consumeWord(std::string_view w) {
    if (text_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }
  void expect(char c, std::string_view what) {
    if (!consume(c)) malformed(what);
  }
  [[noreturn]] void malformed(std::string_view expected) const {
    fail(name_, fmt::format("malformed header: expected {} at offset {}, found {}", expected, pos_,
                            excerpt(text_.substr(pos_))));
  }

  std::string_view parseString(std::string_view what) {
    char quote = peek();
    if (quote != '\'' && quote != '"') malformed(what);
    size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) malformed(fmt::format("a closing {} for the string", quote));
    std::string_view s = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return s;
  }

  bool parseBool() {
    if (consumeWord("True")) return true;
    if (consumeWord("False")) return false;
    malformed("True or False for 'fortran_order'");
  }

  std::vector<int64_t> parseShape() {
    std::vector<int64_t> dims;
    expect('(', "a '(' opening the 'shape' tuple");
    for (skipSpace(); !consume(')'); skipSpace()) {
      if (dims.size() == kMaxRank) malformed(fmt::format("at most {} dimensions in 'shape'", kMaxRank));
      dims.push_back(parseDim());
      skipSpace();
      if (!consume(',')) {
        expect(')', "',' or ')' in the 'shape' tuple");
        break;
      }
    }
    return dims;
  }

  int64_t parseDim() {
    size_t start = pos_;
    bool negative = consume('-');
    int64_t value = 0;
    size_t digits = 0;
    for (; pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; ++pos_, ++digits) {
      int d = text_[pos_] - '0';
      if (value > (std::numeric_limits<int64_t>::max() - d) / 10)
        fail(name_, fmt::format("malformed dimension: {}... in 'shape' does not fit in 64 bits",
                                text_.substr(start, pos_ - start)));
      value = value * 10 + d;
    }
    if (digits == 0) {
      pos_ = start;
      malformed("a non-negative integer dimension in 'shape'");
    }
    if (negative && value != 0) fail(name_, fmt::format("negative dimension -{} in 'shape'", value));
    return value;
  }

  std::string_view text_;
  std::string_view name_;
  size_t pos_ = 0;
};

// `b` must hold at least the preamble; the dict must be complete.
Header parseHeader(std::span<const uint8_t> b, std::string_view name) {
  Preamble p = readPreamble(b, name);
  if (b.size() < p.total)
    fail(name, fmt::format("truncated header: it claims {} bytes but the file has {}", p.total, b.size()));
  std::string_view dict(reinterpret_cast<const char*>(b.data()) + p.dictOffset, p.total - p.dictOffset);
  Header h = DictParser(dict, name).parse();
  h.dataOffset = p.total;
  return h;
}

// Checked before allocating: a hostile shape can claim exabytes or overflow int64.
void checkDataSize(const Header& h, uint64_t present, std::string_view name) {
  int64_t bytes = dtypeSize(h.dtype);
  bool empty = std::find(h.shape.begin(), h.shape.end(), 0) != h.shape.end();
  for (int64_t d : h.shape)
    if (!empty && __builtin_mul_overflow(bytes, d, &bytes))
      fail(name, fmt::format("shape {} {} is too large: its byte size overflows 64 bits", shapeString(h.shape),
                             dtypeName(h.dtype)));
  if (empty) bytes = 0;
  if (static_cast<uint64_t>(bytes) != present)
    fail(name, fmt::format("expected {} bytes of data for shape {} {}, found {}", bytes, shapeString(h.shape),
                           dtypeName(h.dtype), present));
}

std::string_view descrFor(DType t) {
  switch (t) {
  case DType::F32: return "<f4";
  case DType::I32: return "<i4";
  case DType::BF16: return "<u2";
  case DType::E4M3: case DType::E5M2: case DType::E8M0: case DType::U8: return "|u1";
  }
  MXJIT_CHECK(false && "unknown dtype");
  return "";
}

std::string errnoText() { return std::strerror(errno); }

// Owns a file descriptor so every early exit closes it.
struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

void readExact(int fd, uint8_t* dst, size_t n, std::string_view path) {
  while (n > 0) {
    ssize_t r = ::read(fd, dst, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail(path, fmt::format("cannot read: {}", errnoText()));
    if (r == 0) fail(path, "cannot read: the file shrank while being read");
    dst += r;
    n -= static_cast<size_t>(r);
  }
}

void writeExact(int fd, const void* src, size_t n, std::string_view path) {
  auto* p = static_cast<const uint8_t*>(src);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) fail(path, fmt::format("cannot write: {}", errnoText()));
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// The temporary file writeNpy fills; unless committed it is removed on the way out.
struct TempFile {
  std::string path;
  int fd = -1;
  bool committed = false;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!committed) ::unlink(path.c_str());
  }
};

}  // namespace

HostTensor parseNpy(std::span<const uint8_t> bytes, std::string_view name) {
  Header h = parseHeader(bytes, name);
  checkDataSize(h, bytes.size() - h.dataOffset, name);
  HostTensor t(h.dtype, std::move(h.shape));
  if (t.nbytes() > 0) std::memcpy(t.bytes(), bytes.data() + h.dataOffset, static_cast<size_t>(t.nbytes()));
  return t;
}

// Reads the header first and the data straight into the tensor, so a large file is held once.
HostTensor readNpy(const std::string& path) {
  Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (file.fd < 0) fail(path, fmt::format("cannot open: {}", errnoText()));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) fail(path, fmt::format("cannot stat: {}", errnoText()));
  if (!S_ISREG(st.st_mode)) fail(path, "cannot read: not a regular file");
  uint64_t fileSize = static_cast<uint64_t>(st.st_size);

  std::vector<uint8_t> head(std::min<uint64_t>(fileSize, 12));
  readExact(file.fd, head.data(), head.size(), path);
  Preamble p = readPreamble(head, path);
  // Hold exactly the header (or the whole file if it claims more: parseHeader then reports it).
  size_t have = head.size();
  size_t want = static_cast<size_t>(std::min(p.total, fileSize));
  head.resize(want);
  if (want > have) readExact(file.fd, head.data() + have, want - have, path);
  else if (::lseek(file.fd, static_cast<off_t>(want), SEEK_SET) < 0)
    fail(path, fmt::format("cannot seek: {}", errnoText()));

  Header h = parseHeader(head, path);
  checkDataSize(h, fileSize - h.dataOffset, path);
  HostTensor t(h.dtype, std::move(h.shape));
  readExact(file.fd, t.bytes(), static_cast<size_t>(t.nbytes()), path);
  return t;
}

std::string npyHeader(const TensorView& t) {
  std::string shape = "(";
  for (size_t i = 0; i < t.shape.size(); ++i) shape += fmt::format("{}{}", i ? ", " : "", t.shape[i]);
  shape += t.shape.size() == 1 ? ",)" : ")";
  std::string dict =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descrFor(t.dtype), shape);

  // Pad with spaces and end with '\n' so magic + version + length + dict is a multiple of 64.
  uint8_t major = 1;
  size_t preamble = 10;
  auto padded = [&] { return (preamble + dict.size() + 1 + 63) / 64 * 64; };
  if (padded() - preamble > 0xFFFF) major = 2, preamble = 12;
  size_t total = padded();
  uint64_t len = total - preamble;

  std::string out(kMagic);
  out += static_cast<char>(major);
  out += '\0';
  for (size_t i = 0; i < preamble - 8; ++i) out += static_cast<char>(len >> (8 * i) & 0xFF);
  out += dict;
  out.append(total - out.size() - 1, ' ');
  out += '\n';
  return out;
}

void writeNpy(const std::string& path, const TensorView& t) {
  auto invalid = [&](std::string_view why) {
    return Error(ErrorKind::InvalidArgument,
                 fmt::format("{}: cannot write shape {}: {}", path, shapeString(t.shape), why));
  };
  if (std::any_of(t.shape.begin(), t.shape.end(), [](int64_t d) { return d < 0; })) throw invalid("negative dimension");
  if (t.data == nullptr && t.nbytes() > 0) throw invalid("no data");
  std::string header = npyHeader(t);

  // A unique name per process and call: concurrent writers never share a temporary file.
  static std::atomic<unsigned> counter{0};
  TempFile tmp;
  tmp.path = fmt::format("{}.tmp-{}-{}", path, ::getpid(), counter++);
  tmp.fd = ::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (tmp.fd < 0) {
    tmp.committed = true;  // nothing was created
    fail(path, fmt::format("cannot open for writing: {}", errnoText()));
  }
  writeExact(tmp.fd, header.data(), header.size(), path);
  writeExact(tmp.fd, t.data, static_cast<size_t>(t.nbytes()), path);
  int fd = tmp.fd;
  tmp.fd = -1;
  if (::close(fd) != 0) fail(path, fmt::format("cannot write: {}", errnoText()));
  if (::rename(tmp.path.c_str(), path.c_str()) != 0)
    fail(path, fmt::format("cannot write: rename of the temporary file failed: {}", errnoText()));
  tmp.committed = true;
}

}  // namespace mxjit::npy
