// CRC-32C against the check values of RFC 3720 (iSCSI, appendix B.4) and the catalogue's
// "123456789", on both the instruction and the table path.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "formats/checksum.h"

using axon::formats::internal::Crc32c;
using axon::formats::internal::Crc32cPortable;

TEST_CASE("CRC-32C: the published check values, on both paths", "[formats][checksum]") {
  std::vector<unsigned char> zeros(32, 0), ones(32, 0xFF), up(32), down(32);
  for (int i = 0; i < 32; ++i) up[i] = static_cast<unsigned char>(i), down[i] = static_cast<unsigned char>(31 - i);
  const std::string digits = "123456789";
  for (auto* crc : {&Crc32c, &Crc32cPortable}) {
    CHECK(crc(digits.data(), digits.size()) == 0xE3069283u);
    CHECK(crc(zeros.data(), 32) == 0x8A9136AAu);
    CHECK(crc(ones.data(), 32) == 0x62A8AB43u);
    CHECK(crc(up.data(), 32) == 0x46DD794Eu);
    CHECK(crc(down.data(), 32) == 0x113FDB5Cu);
    CHECK(crc(nullptr, 0) == 0u);
  }
}

TEST_CASE("CRC-32C: the paths agree at every length and alignment", "[formats][checksum]") {
  std::mt19937 rng(3);
  std::vector<unsigned char> bytes(300);
  for (auto& b : bytes) b = static_cast<unsigned char>(rng());
  for (std::size_t offset = 0; offset < 8; ++offset)
    for (std::size_t n = 0; n + offset <= bytes.size(); n += 7) {
      INFO("offset " << offset << ", " << n << " bytes");
      REQUIRE(Crc32c(bytes.data() + offset, n) == Crc32cPortable(bytes.data() + offset, n));
    }
}
