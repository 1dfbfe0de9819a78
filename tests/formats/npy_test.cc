// Tests of the .npy reader/writer.
//
// The fixtures in tests/data/npy/ were written by numpy 1.24.2 (Debian's python3-numpy) with:
//   import numpy as np
//   a = (np.arange(6, dtype='<f4').reshape(2, 3) - 2) * 0.5       # [[-1,-0.5,0],[0.5,1,1.5]]
//   np.save('f32_2x3.npy', a)
//   np.save('i64_3.npy', np.array([-2**62, 0, 2**62 + 1], dtype='<i8'))
//   np.save('i64_scalar.npy', np.array(-7, dtype='<i8'))
//   np.save('f32_0x3.npy', np.zeros((0, 3), dtype='<f4'))
//   for v in (2, 3):
//       with open(f'f32_2x3_v{v}.npy', 'wb') as f: np.lib.format.write_array(f, a, version=(v, 0))
// Everything else (broken and unsupported files) is built byte by byte below.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "formats/npy.h"
#include "tests/formats/format_test_util.h"

using namespace axon;
using namespace axon::formats;
using axon::formats::test::ErrorOf;
using axon::formats::test::ReadBytes;
using axon::formats::test::SameTensor;
using axon::formats::test::ScratchDir;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

namespace {

std::string Fixture(const std::string& name) { return std::string(AXON_TEST_DATA_DIR) + "/npy/" + name; }

// A version 1.0 file with the given header dict (padded as numpy pads it) and data bytes.
std::string Npy(const std::string& dict, const std::string& data, int major = 1) {
  const std::size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  for (std::size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return out + header + data;
}

std::string F32Bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

Tensor Parse(const std::string& b) { return ParseNpy(b.data(), b.size(), "x.npy"); }

std::string ParseError(const std::string& b, ErrorCode code = ErrorCode::kInvalidFile) {
  return ErrorOf([&] { Parse(b); }, code);
}

const std::vector<float> kA = {-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f};

}  // namespace

TEST_CASE("npy: files written by numpy are read", "[formats][npy]") {
  const Tensor a = ReadNpyFile(Fixture("f32_2x3.npy"));
  CHECK(a.dtype() == DType::kF32);
  CHECK(a.shape() == std::vector<int64_t>{2, 3});
  CHECK(a.ToFloatVector() == kA);
  CHECK(reinterpret_cast<uintptr_t>(a.raw_data()) % kTensorAlignment == 0);

  for (const char* name : {"f32_2x3_v2.npy", "f32_2x3_v3.npy"}) {
    INFO(name);
    CHECK(SameTensor(ReadNpyFile(Fixture(name)), a));
  }

  const Tensor ids = ReadNpyFile(Fixture("i64_3.npy"));
  CHECK(ids.dtype() == DType::kI64);
  CHECK(ids.shape() == std::vector<int64_t>{3});
  CHECK(std::vector<int64_t>(ids.data<int64_t>(), ids.data<int64_t>() + 3) ==
        std::vector<int64_t>{-(int64_t{1} << 62), 0, (int64_t{1} << 62) + 1});

  const Tensor scalar = ReadNpyFile(Fixture("i64_scalar.npy"));
  CHECK(scalar.shape().empty());
  CHECK(scalar.size() == 1);
  CHECK(*scalar.data<int64_t>() == -7);

  const Tensor empty = ReadNpyFile(Fixture("f32_0x3.npy"));
  CHECK(empty.shape() == std::vector<int64_t>{0, 3});
  CHECK(empty.size() == 0);
}

TEST_CASE("npy: the writer's bytes, exactly", "[formats][npy]") {
  const Tensor a = Tensor::FromVector(kA, {2, 3});
  // Hand-written: magic, version 1.0, header length 118 (0x76) little-endian, the dict, spaces up
  // to byte 127, '\n', then the data at offset 128.
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const std::string expected = std::string("\x93NUMPY\x01\x00\x76\x00", 10) + dict + std::string(58, ' ') + "\n" +
                               F32Bytes(kA);
  REQUIRE(expected.size() == 128 + 24);
  CHECK(SerializeNpy(a) == expected);
  // numpy writes the very same bytes for these arrays.
  CHECK(SerializeNpy(a) == ReadBytes(Fixture("f32_2x3.npy")));
  CHECK(SerializeNpy(ReadNpyFile(Fixture("i64_3.npy"))) == ReadBytes(Fixture("i64_3.npy")));
  CHECK(SerializeNpy(Tensor::FromVector(std::vector<int64_t>{-7}, {})) == ReadBytes(Fixture("i64_scalar.npy")));
  CHECK(SerializeNpy(Tensor::Zeros(DType::kF32, {0, 3})) == ReadBytes(Fixture("f32_0x3.npy")));
}

TEST_CASE("npy: round trips, with the data 64-byte aligned in the file", "[formats][npy]") {
  ScratchDir dir;
  const std::vector<std::vector<int64_t>> shapes = {{}, {0}, {1}, {7}, {3, 0, 2}, {2, 3, 4, 5, 6},
                                                    std::vector<int64_t>(64, 1), {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3}};
  for (DType dtype : {DType::kF32, DType::kI64}) {
    for (const auto& shape : shapes) {
      INFO(DTypeName(dtype) << ShapeToString(shape));
      Tensor t = Tensor::Zeros(dtype, shape);
      auto* bytes = static_cast<unsigned char*>(t.raw_data());
      for (std::size_t i = 0; i < t.nbytes(); ++i) bytes[i] = static_cast<unsigned char>(i * 37 + 11);
      const std::string s = SerializeNpy(t);
      CHECK((s.size() - t.nbytes()) % 64 == 0);
      CHECK(SameTensor(Parse(s), t));
      const std::string path = dir.File("t.npy");
      WriteNpyFile(path, t);
      CHECK(ReadBytes(path) == s);
      CHECK(SameTensor(ReadNpyFile(path), t));
    }
  }
  CHECK(dir.Entries() == std::vector<std::string>{"t.npy"});
  // A view of caller memory is written like an owned tensor.
  const float values[] = {1, 2, 3, 4};
  CHECK(SerializeNpy(Tensor::View(values, {2, 2})) == SerializeNpy(Tensor::FromVector(std::vector<float>{1, 2, 3, 4}, {2, 2})));
}

TEST_CASE("npy: header spellings numpy accepts are read", "[formats][npy]") {
  const std::string data = F32Bytes(kA);
  for (const std::string& dict : {
           std::string("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"),
           std::string("{\"shape\": (2, 3), \"fortran_order\": False, \"descr\": \"<f4\"}"),  // any key order, "
           std::string("{'descr':'<f4','fortran_order':False,'shape':(2,3)}"),              // no spaces
           std::string(" {\t'descr' : '<f4' ,\n 'fortran_order' : False , 'shape' : ( 2 , 3 , ) , } "),
           std::string("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }"),  // Python 2 numpy
       }) {
    INFO(dict);
    CHECK(Parse(Npy(dict, data)).ToFloatVector() == kA);
  }
  // Fortran order is fine when it lays out the data like C order: at most one dim above 1.
  CHECK(Parse(Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (6,), }", data)).shape() ==
        std::vector<int64_t>{6});
  CHECK(Parse(Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 6, 1), }", data)).ToFloatVector() == kA);
  CHECK(Parse(Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (0, 3), }", "")).size() == 0);
  // Versions 2.0 and 3.0 carry a 32-bit header length.
  CHECK(Parse(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", data, 2)).ToFloatVector() == kA);
  CHECK(Parse(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", data, 3)).ToFloatVector() == kA);
}

TEST_CASE("npy: unsupported variants get a clear kUnsupported error", "[formats][npy]") {
  const std::string data = F32Bytes(kA);
  auto with_descr = [&](const std::string& descr) {
    return ParseError(Npy("{'descr': '" + descr + "', 'fortran_order': False, 'shape': (2, 3), }", data),
                      ErrorCode::kUnsupported);
  };
  CHECK_THAT(with_descr("<f8"), Equals("x.npy: dtype '<f8' (float64) is not supported; convert to float32"));
  CHECK_THAT(with_descr("<f2"), Contains("'<f2' (float16) is not supported; convert to float32"));
  CHECK_THAT(with_descr("<i2"), Contains("'<i2' (int16) is not supported; convert to int32"));
  CHECK_THAT(with_descr("<u2"), Contains("'<u2' (uint16) is not supported; convert to int32"));
  CHECK_THAT(with_descr(">i4"), Contains("'>i4' (int32, big-endian)"));
  CHECK_THAT(with_descr("<c8"), Contains("'<c8' (complex64)"));
  CHECK_THAT(with_descr("<U5"), Contains("'<U5' (unicode strings) is not supported"));
  CHECK_THAT(with_descr("|O"), Contains("'|O' (Python objects)"));
  CHECK_THAT(with_descr(">f4"), Contains("'>f4' (float32, big-endian) is not supported; save it little-endian ('<f4'"));
  CHECK_THAT(with_descr(">i8"), Contains("'>i8' (int64, big-endian)"));
  CHECK_THAT(with_descr("weird"), Contains("dtype 'weird' is not supported; Axon reads '<f4' (float32), '<i8' (int64), "
                                           "'<i4' (int32), '|b1' (bool), '|i1' (int8) and '|u1' (uint8)"));
  CHECK_THAT(ParseError(Npy("{'descr': [('a', '<f4'), ('b', '<i8')], 'fortran_order': False, 'shape': (2,), }", data),
                        ErrorCode::kUnsupported),
             Contains("structured dtype"));
  CHECK_THAT(ParseError(Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", data), ErrorCode::kUnsupported),
             Equals("x.npy: fortran_order True (column-major) array [2,3] is not supported; save "
                    "np.ascontiguousarray(a) instead"));
  std::string v4 = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", data);
  v4[6] = 4;
  CHECK_THAT(ParseError(v4, ErrorCode::kUnsupported), Contains("npy format version 4.0 is not supported"));
  v4[6] = 1;
  v4[7] = 1;
  CHECK_THAT(ParseError(v4, ErrorCode::kUnsupported), Contains("npy format version 1.1 is not supported"));
}

TEST_CASE("npy: broken files get a kInvalidFile error naming the problem", "[formats][npy][hostile]") {
  const std::string data = F32Bytes(kA);
  const std::string good = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data);
  REQUIRE_NOTHROW(Parse(good));

  SECTION("bad magic") {
    CHECK_THAT(ParseError("PK\x03\x04 this is a zip"), StartsWith("x.npy: not a .npy file (bad magic"));
    CHECK_THAT(ParseError(""), Contains("bad magic"));
    std::string b = good;
    b[1] = 'M';
    CHECK_THAT(ParseError(b), Contains("bad magic"));
  }
  SECTION("truncated") {
    CHECK_THAT(ParseError(good.substr(0, 8)), Contains("truncated: 8 bytes is too short"));
    CHECK_THAT(ParseError(good.substr(0, 60)), Contains("header is truncated: it claims 118 bytes, the file has 50"));
    CHECK_THAT(ParseError(good.substr(0, good.size() - 4)),
               Equals("x.npy: data is truncated: f32[2,3] needs 24 bytes, file has 20"));
    CHECK_THAT(ParseError(good + "junk"), Contains("has 4 unexpected bytes after the f32[2,3] data (24 bytes)"));
    std::string v2 = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", data, 2);
    CHECK_THAT(ParseError(v2.substr(0, 11)), Contains("too short for a version 2.0 .npy file"));
  }
  SECTION("a header length past the end of the file or over the limit") {
    std::string b = good;
    b[8] = '\xff';
    b[9] = '\xff';
    CHECK_THAT(ParseError(b), Contains("header is truncated: it claims 65535 bytes"));
    std::string v2 = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", data, 2);
    v2[11] = '\x7f';
    CHECK_THAT(ParseError(v2), Contains("header length") && Contains("is over the limit"));
  }
  SECTION("malformed header dicts") {
    auto error = [&](const std::string& dict) { return ParseError(Npy(dict, data)); };
    CHECK_THAT(error("{'descr': '<f4', 'fortran_order': False}"), Contains("malformed header: no 'shape' key"));
    CHECK_THAT(error("{'fortran_order': False, 'shape': (2, 3)}"), Contains("no 'descr' key"));
    CHECK_THAT(error("{'descr': '<f4', 'shape': (2, 3)}"), Contains("no 'fortran_order' key"));
    CHECK_THAT(error("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}"),
               Contains("unexpected key 'extra'"));
    CHECK_THAT(error("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}"),
               Contains("key 'descr' appears twice"));
    CHECK_THAT(error("{'descr': '<f4', 'fortran_order': False, 'shape': (6)}"), Contains("'shape' must be a tuple"));
    CHECK_THAT(error("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}"), Contains("'shape' must be a tuple"));
    CHECK_THAT(error("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}"), Contains("expected True or False"));
    CHECK_THAT(error("{'descr': '<f4}"), Contains("malformed header: unterminated string"));
    CHECK_THAT(error("{'descr': '<f4\\n', 'fortran_order': False, 'shape': (2, 3)}"),
               Contains("unsupported escape in a string"));
    CHECK_THAT(error("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} x"),
               Contains("unexpected text after the closing '}'"));
    CHECK_THAT(error("{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3)}"), Contains("expected ',' or '}'"));
    CHECK_THAT(error("['descr', '<f4']"), Contains("expected '{'"));
    CHECK_THAT(error("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3"), Contains("malformed header"));
    CHECK_THAT(error("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x)}"), Contains("expected an integer"));
    CHECK_THAT(error(""), Contains("expected '{'"));
  }
  SECTION("hostile shapes") {
    auto error = [&](const std::string& shape) {
      return ParseError(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }", data));
    };
    CHECK_THAT(error("(2, -3)"), Contains("shape (2, -3) has a negative dim"));
    CHECK_THAT(error("(99999999999999999999,)"), Contains("dim too large"));
    CHECK_THAT(error("(4294967296, 4294967296)"), Contains("shape [4294967296,4294967296] has too many elements"));
    // Fits in int64 but is far larger than the file: refused before anything is allocated.
    CHECK_THAT(error("(1000000000, 1000000000)"),
               Contains("data is truncated: f32[1000000000,1000000000] needs 4000000000000000000 bytes, file has 24"));
    std::string many = "(";
    for (int i = 0; i < 65; ++i) many += "1, ";
    CHECK_THAT(error(many + ")"), Contains("shape has more than 64 dims"));
  }
}

TEST_CASE("npy: the file reader and the buffer parser agree on every truncation", "[formats][npy][hostile]") {
  ScratchDir dir;
  const std::string path = dir.File("x.npy");
  for (const std::string& good : {ReadBytes(Fixture("f32_2x3.npy")), ReadBytes(Fixture("f32_2x3_v3.npy")),
                                  Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", std::string(8, '\x01'))}) {
    for (std::size_t n = 0; n <= good.size(); ++n) {
      INFO("first " << n << " of " << good.size() << " bytes");
      const std::string b = good.substr(0, n);
      test::WriteBytes(path, b);
      std::string from_buffer, from_file;
      try {
        ParseNpy(b.data(), b.size(), path);
      } catch (const Error& e) {
        from_buffer = e.what();
      }
      try {
        ReadNpyFile(path);
      } catch (const Error& e) {
        from_file = e.what();
      }
      CHECK(from_buffer == from_file);
      CHECK(from_buffer.empty() == (n == good.size()));  // only the whole file loads
    }
  }
}

TEST_CASE("npy: I/O and writer errors", "[formats][npy]") {
  ScratchDir dir;
  const std::string missing = dir.File("missing.npy");
  CHECK_THAT(ErrorOf([&] { ReadNpyFile(missing); }, ErrorCode::kIo), StartsWith(missing + ": cannot open"));
  CHECK_THAT(ErrorOf([&] { WriteNpyFile(dir.File("no/dir/t.npy"), Tensor::Zeros(DType::kF32, {1})); }, ErrorCode::kIo),
             StartsWith(dir.File("no/dir/t.npy") + ": "));
  CHECK_THAT(ErrorOf([&] { WriteNpyFile(dir.File("u.npy"), Tensor()); }, ErrorCode::kInvalidArgument),
             Contains("cannot write an undefined tensor"));
  CHECK_THAT(ErrorOf([&] { SerializeNpy(Tensor::Zeros(DType::kF32, std::vector<int64_t>(65, 1))); },
                     ErrorCode::kInvalidArgument),
             Contains("65 dims; .npy files hold at most 64"));
  CHECK(dir.Entries().empty());
}

TEST_CASE("npy: a FIFO, a device or a directory is refused at once, not read forever", "[formats][npy]") {
  ScratchDir dir;
  const std::string fifo = dir.File("fifo.npy");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  ::alarm(20);  // without the check, opening the FIFO waits for a writer: fail, do not hang
  CHECK_THAT(ErrorOf([&] { ReadNpyFile(fifo); }, ErrorCode::kIo),
             StartsWith(fifo + ": cannot read: not a regular file (a FIFO)"));
  CHECK_THAT(ErrorOf([&] { ReadNpyFile("/dev/zero"); }, ErrorCode::kIo), Contains("(a character device)"));
  CHECK_THAT(ErrorOf([&] { ReadNpyFile(dir.File("")); }, ErrorCode::kIo), Contains("(a directory)"));
  ::alarm(0);
}

TEST_CASE("npy: bool, int32, int8 and uint8 round-trip, and a bool byte other than 0 or 1 is refused", "[formats][npy]") {
  using namespace axon;
  const Tensor values[] = {
      Tensor::FromVector(std::vector<bool>{true, false, true}, {3}),
      Tensor::FromVector(std::vector<int32_t>{-7, 0, 1 << 30, -2147483647 - 1}, {2, 2}),
      Tensor::FromVector(std::vector<int8_t>{-128, 127, 0}, {3}),
      Tensor::FromVector(std::vector<uint8_t>{0, 255, 7, 9}, {1, 4}),
  };
  for (const Tensor& t : values) {
    INFO(DTypeName(t.dtype()));
    const std::string bytes = formats::SerializeNpy(t);
    const Tensor back = formats::ParseNpy(bytes.data(), bytes.size(), "t.npy");
    CHECK(back.dtype() == t.dtype());
    CHECK(back.shape() == t.shape());
    CHECK(std::memcmp(back.raw_data(), t.raw_data(), t.nbytes()) == 0);
  }
  std::string bytes = formats::SerializeNpy(values[0]);
  CHECK(bytes.find("'descr': '|b1'") != std::string::npos);
  bytes.back() = 2;  // the last element: neither false nor true
  try {
    formats::ParseNpy(bytes.data(), bytes.size(), "t.npy");
    FAIL("a bool of 2 was accepted");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("t.npy: bool element 2 is 2, not 0 or 1"));
  }
}
