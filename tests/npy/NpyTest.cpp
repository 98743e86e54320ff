// lib/npy/Npy.cpp: round trips, real numpy files, and one hand-built buffer per error message.
#include "npy/Npy.h"

#include "mxjit/Error.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <unistd.h>

namespace mxjit::npy {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// An .npy buffer with the given dict text (unpadded) followed by `dataBytes` bytes of data.
Bytes npyBytes(std::string_view dict, size_t dataBytes = 0, uint8_t major = 1) {
  Bytes b = {0x93, 'N', 'U', 'M', 'P', 'Y', major, 0};
  for (int i = 0; i < (major == 1 ? 2 : 4); ++i) b.push_back(static_cast<uint8_t>(dict.size() >> (8 * i)));
  b.insert(b.end(), dict.begin(), dict.end());
  b.resize(b.size() + dataBytes, 0xAB);
  return b;
}

Bytes bytesOf(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Passes when parsing throws an Io error whose message contains `part`; the caller's line is reported.
testing::AssertionResult failsWith(const Bytes& b, std::string_view part) {
  try {
    parseNpy(b, "buf.npy");
  } catch (const Error& e) {
    std::string msg = e.what();
    if (e.kind() != ErrorKind::Io) return testing::AssertionFailure() << "not an Io error: " << msg;
    if (msg.rfind("buf.npy: ", 0) != 0) return testing::AssertionFailure() << "does not name the source: " << msg;
    if (msg.find(part) == std::string::npos) return testing::AssertionFailure() << "message: " << msg;
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "parsed without error";
}

template <class F> std::string messageOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// A fresh directory per test, removed afterwards.
class NpyFile : public testing::Test {
protected:
  void SetUp() override {
    std::string test = testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(test.begin(), test.end(), '/', '_');  // parameterised names hold a '/'
    dir_ = fs::temp_directory_path() / fmt::format("mxjit_npy_{}_{}", ::getpid(), test);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(std::string_view file) const { return (dir_ / file).string(); }
  fs::path dir_;
};

// ---- header text --------------------------------------------------------------------------------

TEST(NpyHeader, MatchesNumpyDictAndIs64ByteAligned) {
  TensorView t{nullptr, DType::F32, {48, 128}};
  std::string h = npyHeader(t);
  EXPECT_EQ(h.size() % 64, 0u);
  EXPECT_EQ(h.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_EQ(static_cast<uint8_t>(h[8]) | static_cast<uint8_t>(h[9]) << 8, h.size() - 10);
  EXPECT_EQ(h.substr(10, 62), "{'descr': '<f4', 'fortran_order': False, 'shape': (48, 128), }");
  EXPECT_EQ(h.back(), '\n');
  EXPECT_EQ(h.find_first_not_of(' ', 72), h.size() - 1);
}

TEST(NpyHeader, ShapeTuplesOfRankZeroAndOne) {
  EXPECT_TRUE(contains(npyHeader({nullptr, DType::I32, {5}}), "'descr': '<i4', 'fortran_order': False, 'shape': (5,), }"));
  EXPECT_TRUE(contains(npyHeader({nullptr, DType::BF16, {}}), "'descr': '<u2', 'fortran_order': False, 'shape': (), }"));
  for (DType d : {DType::E4M3, DType::E5M2, DType::E8M0, DType::U8})
    EXPECT_TRUE(contains(npyHeader({nullptr, d, {1}}), "'descr': '|u1'"));
}

TEST(NpyHeader, HugeHeaderSwitchesToVersion2) {
  std::string h = npyHeader({nullptr, DType::U8, std::vector<int64_t>(30000, 1)});
  EXPECT_EQ(h[6], 2);
  EXPECT_EQ(h.size() % 64, 0u);
}

// ---- round trips ----------------------------------------------------------------------------------

class NpyRoundTrip : public NpyFile, public testing::WithParamInterface<DType> {};

TEST_P(NpyRoundTrip, EveryRankAndZeroSizeDims) {
  DType dtype = GetParam();
  // numpy has no fp8: fp8 and e8m0 travel as bytes and come back as U8.
  bool asBytes = dtypeSize(dtype) == 1;
  for (std::vector<int64_t> shape : {std::vector<int64_t>{}, {5}, {0}, {3, 0}, {2, 3}, {2, 3, 4}, {4, 0, 2}}) {
    SCOPED_TRACE(shapeString(shape));
    HostTensor src(dtype, shape);
    for (int64_t i = 0; i < src.nbytes(); ++i) src.bytes()[i] = static_cast<uint8_t>(i * 37 + 11);
    writeNpy(path("t.npy"), src.view());
    HostTensor back = readNpy(path("t.npy"));
    EXPECT_EQ(back.dtype(), asBytes ? DType::U8 : dtype);
    EXPECT_EQ(back.shape(), shape);
    ASSERT_EQ(back.nbytes(), src.nbytes());
    if (src.nbytes() > 0) {
      EXPECT_EQ(std::memcmp(back.bytes(), src.bytes(), src.nbytes()), 0);
    }
    EXPECT_EQ(fs::file_size(path("t.npy")), npyHeader(src.view()).size() + src.nbytes());
  }
  // Only the final file is left: the temporary files were renamed away.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, NpyRoundTrip,
                         testing::Values(DType::F32, DType::BF16, DType::E4M3, DType::E5M2, DType::E8M0, DType::I32,
                                         DType::U8),
                         [](const testing::TestParamInfo<DType>& p) { return std::string(dtypeName(p.param)); });

TEST(NpyParse, MatchesWhatWasWritten) {
  HostTensor src(DType::I32, {2, 2});
  for (int i = 0; i < 4; ++i) src.data<int32_t>()[i] = -i * 1000;
  Bytes b = bytesOf(npyHeader(src.view()));
  b.insert(b.end(), src.bytes(), src.bytes() + src.nbytes());
  HostTensor back = parseNpy(b, "mem");
  EXPECT_EQ(back.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(back.data<int32_t>()[3], -3000);
}

// ---- real numpy files -----------------------------------------------------------------------------

std::string golden(std::string_view rel) {
  std::string dir = MXJIT_GOLDEN_DIR;
  if (!fs::is_directory(dir)) return "";
  return fmt::format("{}/{}", dir, rel);
}

TEST(NpyGolden, ReadsNumpyFiles) {
  if (golden("").empty()) GTEST_SKIP() << "no golden dir at " << MXJIT_GOLDEN_DIR;
  HostTensor x = readNpy(golden("q1234_float32_e4m3_floor_b32/x.npy"));
  EXPECT_EQ(x.dtype(), DType::F32);
  EXPECT_EQ(x.shape(), (std::vector<int64_t>{48, 128}));

  HostTensor q = readNpy(golden("q1234_float32_e4m3_floor_b32/qdata.npy"));
  EXPECT_EQ(q.dtype(), DType::U8);
  EXPECT_EQ(q.shape(), (std::vector<int64_t>{48, 128}));

  HostTensor offs = readNpy(golden("g4_rceil_bfloat16/offs.npy"));
  EXPECT_EQ(offs.dtype(), DType::I32);
  ASSERT_EQ(offs.shape(), (std::vector<int64_t>{4}));
  EXPECT_EQ(std::vector<int32_t>(offs.data<int32_t>(), offs.data<int32_t>() + 4), (std::vector<int32_t>{32, 96, 96, 192}));

  HostTensor a = readNpy(golden("g4_rceil_bfloat16/A.npy"));
  EXPECT_EQ(a.dtype(), DType::BF16);
  EXPECT_EQ(a.shape().size(), 2u);
}

TEST_F(NpyFile, GoldenSurvivesRewrite) {
  if (golden("").empty()) GTEST_SKIP() << "no golden dir at " << MXJIT_GOLDEN_DIR;
  HostTensor x = readNpy(golden("q1234_float32_e4m3_floor_b32/x.npy"));
  writeNpy(path("x.npy"), x.view());
  HostTensor back = readNpy(path("x.npy"));
  EXPECT_EQ(back.shape(), x.shape());
  EXPECT_EQ(std::memcmp(back.bytes(), x.bytes(), x.nbytes()), 0);
}

// ---- header dialects ------------------------------------------------------------------------------

TEST(NpyParse, AcceptsAnyKeyOrderQuotesAndWhitespace) {
  HostTensor t = parseNpy(npyBytes("{ \"shape\" :( 2 ,\t3 , ) ,'fortran_order':False,\"descr\":\"<f4\"}\n", 24), "m");
  EXPECT_EQ(t.dtype(), DType::F32);
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(parseNpy(npyBytes("{'descr':'<i4','fortran_order':False,'shape':(3)}", 12), "m").shape(),
            (std::vector<int64_t>{3}));
  EXPECT_EQ(parseNpy(npyBytes("{'descr':'<u2','fortran_order':False,'shape':(),}   \n", 2), "m").dtype(), DType::BF16);
}

TEST(NpyParse, AcceptsEveryByteFormSpelling) {
  for (std::string_view d : {"|u1", "u1", "<u1", ">u1", "=u1"})
    EXPECT_EQ(parseNpy(npyBytes(fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': (2,), }}", d), 2), d)
                  .dtype(),
              DType::U8)
        << d;
}

TEST(NpyParse, Versions2And3UseA32BitLength) {
  for (uint8_t major : {2, 3}) {
    HostTensor t = parseNpy(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", 8, major), "v");
    EXPECT_EQ(t.shape(), (std::vector<int64_t>{1, 2}));
  }
}

// ---- errors: one hand-built buffer each -----------------------------------------------------------

constexpr std::string_view kGoodDict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

TEST(NpyErrors, NotAnNpyFile) {
  EXPECT_TRUE(failsWith({}, "empty file; not an .npy file"));
  EXPECT_TRUE(failsWith(bytesOf("PK\x03\x04 a zip file"), "not an .npy file (bad magic"));
  EXPECT_TRUE(failsWith(bytesOf("\x93NUMPZ\x01\x00"), "bad magic"));
}

TEST(NpyErrors, UnsupportedVersion) {
  Bytes b = npyBytes(kGoodDict, 24);
  b[6] = 4;
  EXPECT_TRUE(failsWith(b, "unsupported .npy version 4.0 (supported: 1.0, 2.0, 3.0)"));
  b[6] = 1, b[7] = 1;
  EXPECT_TRUE(failsWith(b, "unsupported .npy version 1.1"));
}

TEST(NpyErrors, TruncatedHeader) {
  EXPECT_TRUE(failsWith(bytesOf("\x93NUM"), "truncated header"));
  EXPECT_TRUE(failsWith(bytesOf("\x93NUMPY\x01\x00\x10"), "truncated header"));
  EXPECT_TRUE(failsWith(bytesOf("\x93NUMPY\x02\x00\x10\x00\x00"), "truncated header"));
  Bytes b = npyBytes(kGoodDict);
  b.resize(b.size() - 5);
  EXPECT_TRUE(failsWith(b, fmt::format("truncated header: it claims {} bytes but the file has {}", b.size() + 5, b.size())));
}

TEST(NpyErrors, MalformedHeaderSaysWhatWasExpected) {
  EXPECT_TRUE(failsWith(npyBytes("descr: <f4"), "malformed header: expected '{' opening the header dict at offset 0"));
  EXPECT_TRUE(failsWith(npyBytes("{'descr' '<f4'}"), "expected ':' after key 'descr'"));
  EXPECT_TRUE(failsWith(npyBytes("{'descr': '<f4}"), "expected a closing ' for the string"));
  EXPECT_TRUE(failsWith(npyBytes("{descr: '<f4'}"), "expected a quoted key or '}'"));
  EXPECT_TRUE(failsWith(npyBytes("{'descr': '<f4' 'shape': ()}"), "expected ',' or '}' after the value of 'descr'"));
  EXPECT_TRUE(failsWith(npyBytes("{'fortran_order': false}"), "expected True or False for 'fortran_order'"));
  EXPECT_TRUE(failsWith(npyBytes("{'shape': [2, 3]}"), "expected a '(' opening the 'shape' tuple"));
  EXPECT_TRUE(failsWith(npyBytes("{'shape': (2 3)}"), "expected ',' or ')' in the 'shape' tuple"));
  EXPECT_TRUE(failsWith(npyBytes("{'shape': (2,"), "found the end of the header"));
  EXPECT_TRUE(failsWith(npyBytes(std::string(kGoodDict) + " x"), "expected only whitespace after the closing '}'"));
  EXPECT_TRUE(failsWith(npyBytes("{'descr': '<f4', 'descr': '<f4'}"), "'descr' is repeated"));
  EXPECT_TRUE(failsWith(npyBytes("{'descr': '<f4', 'order': 'C'}"), "unexpected key 'order'"));
  // Bytes that are not printable ASCII are escaped in messages.
  EXPECT_TRUE(failsWith(npyBytes("{'descr': '<f4\x01', 'fortran_order': False, 'shape': ()}"),
                        "unsupported dtype '<f4\\x01'"));
  EXPECT_TRUE(failsWith(npyBytes("{'x\xff': 1}"), "unexpected key 'x\\xff'"));
}

TEST(NpyErrors, MissingKey) {
  EXPECT_TRUE(failsWith(npyBytes("{'descr': '<f4', 'fortran_order': False}"), "missing key 'shape'"));
  EXPECT_TRUE(failsWith(npyBytes("{'shape': (), 'fortran_order': False}"), "missing key 'descr'"));
  EXPECT_TRUE(failsWith(npyBytes("{'shape': (), 'descr': '<f4', }", 4), "missing key 'fortran_order'"));
}

TEST(NpyErrors, FortranOrder) {
  EXPECT_TRUE(failsWith(npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24),
                        "Fortran-order arrays are not supported; save with np.ascontiguousarray"));
}

TEST(NpyErrors, UnsupportedDTypeIsNamedWithTheSupportedOnes) {
  for (std::string_view d : {"<f8", "<f2", "|i1", "<i8", "|f4", "f4", "|b1"})
    EXPECT_TRUE(failsWith(npyBytes(fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': (), }}", d), 8),
                          fmt::format("unsupported dtype '{}' (supported: '<f4' (f32), '<i4' (i32), '<u2' (bf16 bits), "
                                      "'|u1' (bytes))", d)));
  EXPECT_TRUE(failsWith(npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (), }", 4),
                        "unsupported dtype: structured arrays"));
}

TEST(NpyErrors, BigEndian) {
  for (std::string_view d : {">f4", ">i4", ">u2"})
    EXPECT_TRUE(failsWith(npyBytes(fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': (1,), }}", d), 4),
                          fmt::format("unsupported byte order: dtype '{}' is big-endian", d)));
}

TEST(NpyErrors, NegativeOrMalformedDimension) {
  auto dict = [](std::string_view shape) {
    return npyBytes(fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': {}, }}", shape));
  };
  EXPECT_TRUE(failsWith(dict("(2, -3)"), "negative dimension -3 in 'shape'"));
  EXPECT_TRUE(failsWith(dict("(2, x)"), "expected a non-negative integer dimension in 'shape' at offset"));
  EXPECT_TRUE(failsWith(dict("(2.5,)"), "expected ',' or ')' in the 'shape' tuple"));
  EXPECT_TRUE(failsWith(dict("(,)"), "expected a non-negative integer dimension"));
  EXPECT_TRUE(failsWith(dict("(-)"), "expected a non-negative integer dimension"));
  EXPECT_TRUE(failsWith(dict("(99999999999999999999,)"), "does not fit in 64 bits"));
  std::string many = "(";
  for (int i = 0; i < 65; ++i) many += "1, ";
  EXPECT_TRUE(failsWith(dict(many + ")"), "expected at most 64 dimensions in 'shape'"));
}

TEST(NpyErrors, DataSizeMismatch) {
  EXPECT_TRUE(failsWith(npyBytes(kGoodDict, 20), "expected 24 bytes of data for shape [2, 3] f32, found 20"));
  EXPECT_TRUE(failsWith(npyBytes(kGoodDict, 25), "expected 24 bytes of data for shape [2, 3] f32, found 25"));
  // A claimed terabyte is refused before anything is allocated.
  EXPECT_TRUE(failsWith(npyBytes("{'descr': '<u2', 'fortran_order': False, 'shape': (1099511627776, 2), }", 3),
                        "expected 4398046511104 bytes of data for shape [1099511627776, 2] bf16, found 3"));
  EXPECT_TRUE(failsWith(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
                        "shape [4294967296, 4294967296] f32 is too large: its byte size overflows 64 bits"));
  // A zero dimension makes the array empty whatever the others claim.
  EXPECT_EQ(parseNpy(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 9223372036854775807), }"), "z")
                .nbytes(),
            0);
}

// Prefixes and byte mutations of a valid file: every outcome is a tensor or an mxjit::Error, never a
// crash, an out-of-bounds read (run under ASan) or another exception.
TEST(NpyErrors, SurvivesTruncationAndMutation) {
  const Bytes good = npyBytes(kGoodDict, 24);
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_TRUE(failsWith(Bytes(good.begin(), good.begin() + n), "")) << "prefix of " << n << " bytes";
  std::mt19937 rng(1234);
  const std::string_view alphabet = "0123456789(),:{}'\" -x\n\x00\xff\x93";
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes b = good;
    for (int k = 0, edits = 1 + static_cast<int>(rng() % 4); k < edits; ++k) {
      size_t at = rng() % b.size();
      if (rng() % 2) b[at] = static_cast<uint8_t>(alphabet[rng() % alphabet.size()]);
      else b[at] = static_cast<uint8_t>(rng());
    }
    try {
      HostTensor t = parseNpy(b, "fuzz");
      EXPECT_LE(t.nbytes(), static_cast<int64_t>(b.size()));
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Io);
    }
  }
}

// ---- files ---------------------------------------------------------------------------------------

TEST_F(NpyFile, MissingOrUnreadableFile) {
  std::string msg = messageOf([&] { readNpy(path("nope.npy")); });
  EXPECT_TRUE(contains(msg, path("nope.npy") + ": cannot open: No such file or directory")) << msg;
  msg = messageOf([&] { readNpy(dir_.string()); });
  EXPECT_TRUE(contains(msg, ": cannot read: not a regular file")) << msg;
}

TEST_F(NpyFile, TruncatedFileOnDisk) {
  HostTensor t(DType::F32, {4, 4});
  writeNpy(path("t.npy"), t.view());
  fs::resize_file(path("t.npy"), fs::file_size(path("t.npy")) - 8);
  std::string msg = messageOf([&] { readNpy(path("t.npy")); });
  EXPECT_TRUE(contains(msg, "expected 64 bytes of data for shape [4, 4] f32, found 56")) << msg;
  fs::resize_file(path("t.npy"), 40);
  msg = messageOf([&] { readNpy(path("t.npy")); });
  EXPECT_TRUE(contains(msg, fmt::format("truncated header: it claims {} bytes but the file has 40",
                                        npyHeader(t.view()).size())))
      << msg;
  fs::resize_file(path("t.npy"), 9);
  msg = messageOf([&] { readNpy(path("t.npy")); });
  EXPECT_TRUE(contains(msg, "truncated header")) << msg;
}

TEST_F(NpyFile, HeaderShorterThanThePreambleReadIsNotExtendedIntoTheData) {
  // The reader reads 12 bytes up front; a v1 dict of one byte must end at byte 11, not run on into the data.
  Bytes b = npyBytes("{", 8);
  std::ofstream(path("t.npy"), std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
  std::string msg = messageOf([&] { readNpy(path("t.npy")); });
  EXPECT_TRUE(contains(msg, "expected a quoted key or '}' at offset 1, found the end of the header")) << msg;
}

TEST_F(NpyFile, WriteErrorNamesThePathAndLeavesNoFile) {
  HostTensor t(DType::F32, {2});
  std::string target = path("missing/dir/t.npy");
  std::string msg = messageOf([&] { writeNpy(target, t.view()); });
  EXPECT_TRUE(contains(msg, target + ": cannot open for writing: No such file or directory")) << msg;
  EXPECT_TRUE(fs::is_empty(dir_));
  // Renaming onto a directory fails after the data was written: the temporary file is removed.
  fs::create_directory(path("adir"));
  msg = messageOf([&] { writeNpy(path("adir"), t.view()); });
  EXPECT_TRUE(contains(msg, "rename of the temporary file failed")) << msg;
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(NpyFile, NumpyReadsWhatWeWrite) {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no python3 numpy";
  HostTensor t(DType::F32, {2, 3});
  for (int i = 0; i < 6; ++i) t.data<float>()[i] = 0.5f * i;
  writeNpy(path("t.npy"), t.view());
  std::string cmd = fmt::format("/usr/bin/python3 -c \"import numpy as np; a = np.load('{}'); "
                                "assert a.dtype == np.float32 and a.shape == (2, 3) and a[1, 2] == 2.5\"",
                                path("t.npy"));
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

}  // namespace
}  // namespace mxjit::npy
