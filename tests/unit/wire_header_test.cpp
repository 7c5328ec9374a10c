#include "netbench/wire_header.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace netbench {
namespace {

using Bytes = std::array<std::byte, kWireHeaderBytes>;

WireHeader sample_header() {
  WireHeader h;
  h.flags = static_cast<std::uint8_t>(MessageFlag::kWarmup);
  h.flow_id = 7;
  h.seq = 123'456'789;
  h.send_ns = 987'654'321'000;
  h.intended_ns = 987'654'320'500;  // paced: sent 500 ns behind schedule
  h.length = 1024;
  return h;
}

Bytes encoded(const WireHeader& h) {
  Bytes b{};
  EXPECT_TRUE(encode_header(h, b));
  return b;
}

// Overwrites `n` big-endian bytes of `b` at `off` with `v`, for building
// malformed headers field by field.
void poke_be(std::span<std::byte> b, std::size_t off, std::size_t n, std::uint64_t v) {
  for (std::size_t i = 0; i < n; ++i) {
    b[off + i] = static_cast<std::byte>(static_cast<unsigned char>(v >> (8 * (n - 1 - i))));
  }
}

constexpr std::size_t kVersionOff = 2;
constexpr std::size_t kFlagsOff = 3;
constexpr std::size_t kSendNsOff = 16;
constexpr std::size_t kIntendedNsOff = 24;
constexpr std::size_t kLengthOff = 32;
constexpr std::size_t kReservedOff = 36;

TEST(WireHeaderTest, EncodesKnownHeaderToExactBytes) {
  WireHeader h;
  h.flags = static_cast<std::uint8_t>(MessageFlag::kWarmup) |
            static_cast<std::uint8_t>(MessageFlag::kLast);
  h.flow_id = 0x01020304;
  h.seq = 0x1112131415161718;
  h.send_ns = 0x2122232425262728;
  h.intended_ns = 0x3132333435363738;
  h.length = 0x00000400;

  // Written out by hand from the table in wire_header.hpp.
  const std::array<unsigned char, kWireHeaderBytes> expected = {
      0x4E, 0x42,                                      // magic "NB"
      0x02,                                            // version
      0x03,                                            // flags: warm-up | last
      0x01, 0x02, 0x03, 0x04,                          // flow id
      0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,  // seq
      0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,  // send ns
      0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,  // intended ns
      0x00, 0x00, 0x04, 0x00,                          // length 1024
      0x00, 0x00, 0x00, 0x00,                          // reserved
  };
  const Bytes b = encoded(h);
  for (std::size_t i = 0; i < kWireHeaderBytes; ++i) {
    EXPECT_EQ(std::to_integer<unsigned>(b[i]), expected[i]) << "byte " << i;
  }
}

TEST(WireHeaderTest, DecodesKnownBytes) {
  std::array<std::byte, kWireHeaderBytes> b{};
  poke_be(b, 0, 2, 0x4E42);
  poke_be(b, 2, 1, 2);
  poke_be(b, 3, 1, 0x02);
  poke_be(b, 4, 4, 0xA1B2C3D4);
  poke_be(b, 8, 8, 0x0102030405060708);
  poke_be(b, 16, 8, 0xF0E0D0C0B0A09080);
  poke_be(b, 24, 8, 0xE1D2C3B4A5968778);
  poke_be(b, 32, 4, 40);
  const DecodeResult r = decode_header(b);
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.header.flags, 0x02);
  EXPECT_TRUE(r.header.has(MessageFlag::kLast));
  EXPECT_FALSE(r.header.has(MessageFlag::kWarmup));
  EXPECT_EQ(r.header.flow_id, 0xA1B2C3D4U);
  EXPECT_EQ(r.header.seq, 0x0102030405060708U);
  EXPECT_EQ(r.header.send_ns, 0xF0E0D0C0B0A09080U);
  EXPECT_EQ(r.header.intended_ns, 0xE1D2C3B4A5968778U);
  EXPECT_EQ(r.header.length, 40U);
}

TEST(WireHeaderTest, RoundTripsEveryField) {
  const WireHeader h = sample_header();
  const DecodeResult r = decode_header(encoded(h));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.header, h);
}

TEST(WireHeaderTest, RoundTripsMaximumValues) {
  WireHeader h;
  h.flags = static_cast<std::uint8_t>(MessageFlag::kWarmup) |
            static_cast<std::uint8_t>(MessageFlag::kLast);
  h.flow_id = std::numeric_limits<std::uint32_t>::max();
  h.seq = std::numeric_limits<std::uint64_t>::max();
  h.send_ns = std::numeric_limits<std::uint64_t>::max();
  h.intended_ns = std::numeric_limits<std::uint64_t>::max();
  h.length = kMaxMessageBytes;
  const DecodeResult r = decode_header(encoded(h));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.header, h);
}

TEST(WireHeaderTest, RoundTripsMinimumValues) {
  WireHeader h;
  h.length = kWireHeaderBytes;
  const DecodeResult r = decode_header(encoded(h));
  ASSERT_TRUE(r.ok()) << to_string(r.status);
  EXPECT_EQ(r.header, h);
}

TEST(WireHeaderTest, SendAndIntendedTimesAreIndependentFields) {
  // Unpaced (equal), behind schedule (intended earlier), and each extreme
  // against the other, so a swapped or aliased field cannot pass.
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  const std::array<std::array<std::uint64_t, 2>, 5> cases = {{
      {5'000, 5'000},
      {5'000, 1'000},
      {1'000, 5'000},
      {kMax, 0},
      {0, kMax},
  }};
  for (const auto& [send, intended] : cases) {
    WireHeader h = sample_header();
    h.send_ns = send;
    h.intended_ns = intended;
    Bytes b = encoded(h);
    std::array<std::byte, 8> want_send{};
    std::array<std::byte, 8> want_intended{};
    poke_be(want_send, 0, 8, send);
    poke_be(want_intended, 0, 8, intended);
    for (std::size_t i = 0; i < 8; ++i) {
      EXPECT_EQ(b[kSendNsOff + i], want_send[i]) << send << "/" << intended << " byte " << i;
      EXPECT_EQ(b[kIntendedNsOff + i], want_intended[i])
          << send << "/" << intended << " byte " << i;
    }
    const DecodeResult r = decode_header(b);
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    EXPECT_EQ(r.header.send_ns, send);
    EXPECT_EQ(r.header.intended_ns, intended);
    EXPECT_EQ(r.header, h);
  }
}

TEST(WireHeaderTest, RoundTripsRandomHeaders) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 10'000; ++i) {
    WireHeader h;
    h.flags = static_cast<std::uint8_t>(rng() & 0x03);
    h.flow_id = static_cast<std::uint32_t>(rng());
    h.seq = rng();
    h.send_ns = rng();
    h.intended_ns = rng();
    h.length = static_cast<std::uint32_t>(kWireHeaderBytes +
                                          rng() % (kMaxMessageBytes - kWireHeaderBytes + 1));
    const DecodeResult r = decode_header(encoded(h));
    ASSERT_TRUE(r.ok()) << to_string(r.status);
    ASSERT_EQ(r.header, h);
  }
}

TEST(WireHeaderTest, EncodeIntoShortSpanFailsAndWritesNothing) {
  for (std::size_t n = 0; n < kWireHeaderBytes; ++n) {
    std::vector<std::byte> buf(n, std::byte{0xAA});
    EXPECT_FALSE(encode_header(sample_header(), buf)) << "size " << n;
    for (const std::byte b : buf) {
      EXPECT_EQ(b, std::byte{0xAA}) << "size " << n;
    }
  }
}

TEST(WireHeaderTest, EncodeWritesOnlyTheFirst40Bytes) {
  std::vector<std::byte> buf(kWireHeaderBytes + 8, std::byte{0xAA});
  ASSERT_TRUE(encode_header(sample_header(), buf));
  for (std::size_t i = kWireHeaderBytes; i < buf.size(); ++i) {
    EXPECT_EQ(buf[i], std::byte{0xAA}) << "byte " << i;
  }
}

TEST(WireHeaderTest, RejectsEverySpanShorterThanTheHeader) {
  const Bytes full = encoded(sample_header());
  for (std::size_t n = 0; n < kWireHeaderBytes; ++n) {
    // A copy of exactly n bytes, so ASan catches any read past the span.
    const std::vector<std::byte> prefix(full.begin(),
                                        full.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(decode_header(prefix).status, DecodeStatus::kTooShort) << "size " << n;
    EXPECT_EQ(decode_datagram(prefix).status, DecodeStatus::kTooShort) << "size " << n;
  }
}

TEST(WireHeaderTest, AcceptsPayloadAfterTheHeader) {
  WireHeader h = sample_header();
  h.length = 100;
  std::vector<std::byte> buf(60, std::byte{0x5A});  // stream position: only part of the payload
  ASSERT_TRUE(encode_header(h, buf));
  const DecodeResult r = decode_header(buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.header, h);
}

TEST(WireHeaderTest, RejectsWrongMagic) {
  for (std::size_t byte = 0; byte < 2; ++byte) {
    for (unsigned bit = 0; bit < 8; ++bit) {
      Bytes b = encoded(sample_header());
      b[byte] ^= static_cast<std::byte>(1U << bit);
      EXPECT_EQ(decode_header(b).status, DecodeStatus::kBadMagic) << byte << ":" << bit;
    }
  }
  Bytes swapped = encoded(sample_header());
  poke_be(swapped, 0, 2, 0x424E);  // little-endian magic
  EXPECT_EQ(decode_header(swapped).status, DecodeStatus::kBadMagic);
}

TEST(WireHeaderTest, RejectsWrongVersion) {
  // 1 is the old 32-byte format, which lacks the intended send time.
  for (const unsigned v : {0U, 1U, 3U, 0x81U, 0xFFU}) {
    Bytes b = encoded(sample_header());
    poke_be(b, kVersionOff, 1, v);
    EXPECT_EQ(decode_header(b).status, DecodeStatus::kBadVersion) << v;
  }
}

TEST(WireHeaderTest, RejectsEachUnknownFlagBit) {
  for (unsigned bit = 2; bit < 8; ++bit) {
    Bytes b = encoded(sample_header());
    poke_be(b, kFlagsOff, 1, 1U << bit);
    EXPECT_EQ(decode_header(b).status, DecodeStatus::kBadFlags) << "bit " << bit;
  }
  Bytes all = encoded(sample_header());
  poke_be(all, kFlagsOff, 1, 0xFF);
  EXPECT_EQ(decode_header(all).status, DecodeStatus::kBadFlags);
}

TEST(WireHeaderTest, AcceptsEveryCombinationOfKnownFlags) {
  for (std::uint8_t flags = 0; flags < 4; ++flags) {
    WireHeader h = sample_header();
    h.flags = flags;
    const DecodeResult r = decode_header(encoded(h));
    ASSERT_TRUE(r.ok()) << unsigned{flags};
    EXPECT_EQ(r.header.has(MessageFlag::kWarmup), (flags & 1U) != 0);
    EXPECT_EQ(r.header.has(MessageFlag::kLast), (flags & 2U) != 0);
  }
}

TEST(WireHeaderTest, RejectsLengthShorterThanTheHeader) {
  for (std::uint32_t len = 0; len < kWireHeaderBytes; ++len) {
    Bytes b = encoded(sample_header());
    poke_be(b, kLengthOff, 4, len);
    EXPECT_EQ(decode_header(b).status, DecodeStatus::kBadLength) << len;
  }
}

TEST(WireHeaderTest, RejectsLengthAboveTheMaximum) {
  for (const std::uint32_t len :
       {kMaxMessageBytes + 1, 0x80000000U, std::numeric_limits<std::uint32_t>::max()}) {
    Bytes b = encoded(sample_header());
    poke_be(b, kLengthOff, 4, len);
    EXPECT_EQ(decode_header(b).status, DecodeStatus::kBadLength) << len;
  }
}

TEST(WireHeaderTest, AcceptsLengthsAtBothLimits) {
  for (const std::uint32_t len : {static_cast<std::uint32_t>(kWireHeaderBytes), kMaxMessageBytes}) {
    Bytes b = encoded(sample_header());
    poke_be(b, kLengthOff, 4, len);
    const DecodeResult r = decode_header(b);
    ASSERT_TRUE(r.ok()) << len;
    EXPECT_EQ(r.header.length, len);
  }
}

TEST(WireHeaderTest, RejectsNonZeroReserved) {
  for (std::size_t byte = 0; byte < 4; ++byte) {
    Bytes b = encoded(sample_header());
    b[kReservedOff + byte] = std::byte{0x01};
    EXPECT_EQ(decode_header(b).status, DecodeStatus::kBadReserved) << "byte " << byte;
  }
}

TEST(WireHeaderTest, FailedDecodeLeavesHeaderEmpty) {
  Bytes b = encoded(sample_header());
  poke_be(b, kReservedOff, 4, 1);
  const DecodeResult r = decode_header(b);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.header, WireHeader{});
}

TEST(WireHeaderTest, ReportsTheFirstBadFieldInLayoutOrder) {
  Bytes b = encoded(sample_header());
  poke_be(b, 0, 2, 0);
  poke_be(b, kVersionOff, 1, 9);
  poke_be(b, kFlagsOff, 1, 0x80);
  poke_be(b, kLengthOff, 4, 1);
  poke_be(b, kReservedOff, 4, 1);
  EXPECT_EQ(decode_header(b).status, DecodeStatus::kBadMagic);
  poke_be(b, 0, 2, kWireMagic);
  EXPECT_EQ(decode_header(b).status, DecodeStatus::kBadVersion);
  poke_be(b, kVersionOff, 1, kWireVersion);
  EXPECT_EQ(decode_header(b).status, DecodeStatus::kBadFlags);
  poke_be(b, kFlagsOff, 1, 0);
  EXPECT_EQ(decode_header(b).status, DecodeStatus::kBadLength);
  poke_be(b, kLengthOff, 4, 64);
  EXPECT_EQ(decode_header(b).status, DecodeStatus::kBadReserved);
  poke_be(b, kReservedOff, 4, 0);
  EXPECT_TRUE(decode_header(b).ok());
}

TEST(WireHeaderTest, DatagramOfExactLengthDecodes) {
  for (const std::uint32_t len :
       {static_cast<std::uint32_t>(kWireHeaderBytes), 41U, 1472U, kMaxUdpPayloadBytes}) {
    WireHeader h = sample_header();
    h.length = len;
    std::vector<std::byte> dgram(len);
    ASSERT_TRUE(encode_header(h, dgram));
    const DecodeResult r = decode_datagram(dgram);
    ASSERT_TRUE(r.ok()) << len << ": " << to_string(r.status);
    EXPECT_EQ(r.header, h);
  }
}

TEST(WireHeaderTest, RejectsDatagramLengthMismatch) {
  WireHeader h = sample_header();
  h.length = 100;
  for (const std::size_t size :
       {std::size_t{40}, std::size_t{99}, std::size_t{101}, std::size_t{200}}) {
    std::vector<std::byte> dgram(size);
    ASSERT_TRUE(encode_header(h, dgram));
    const DecodeResult r = decode_datagram(dgram);
    EXPECT_EQ(r.status, DecodeStatus::kBadLength) << "size " << size;
    EXPECT_EQ(r.header, WireHeader{});
  }
}

TEST(WireHeaderTest, DatagramReportsHeaderErrorsBeforeLengthMismatch) {
  Bytes b = encoded(sample_header());  // length 1024 != 40 as well
  poke_be(b, kVersionOff, 1, 7);
  EXPECT_EQ(decode_datagram(b).status, DecodeStatus::kBadVersion);
}

TEST(WireHeaderTest, NamesEveryStatusDistinctly) {
  const std::array all = {DecodeStatus::kOk,         DecodeStatus::kTooShort,
                          DecodeStatus::kBadMagic,   DecodeStatus::kBadVersion,
                          DecodeStatus::kBadFlags,   DecodeStatus::kBadLength,
                          DecodeStatus::kBadReserved};
  std::set<std::string> names;
  for (const DecodeStatus s : all) {
    const char* name = to_string(s);
    ASSERT_NE(name, nullptr);
    EXPECT_FALSE(std::string(name).empty());
    names.insert(name);
  }
  EXPECT_EQ(names.size(), all.size());
  EXPECT_STREQ(to_string(DecodeStatus::kOk), "ok");
  EXPECT_STREQ(to_string(DecodeStatus::kTooShort), "too short");
}

TEST(WireHeaderTest, RandomBytesNeverCrashAndValidOnesRoundTrip) {
  std::mt19937_64 rng(20240601);
  std::uniform_int_distribution<std::size_t> size_dist(0, 2 * kWireHeaderBytes);
  std::size_t ok_count = 0;
  for (int i = 0; i < 200'000; ++i) {
    std::vector<std::byte> buf(size_dist(rng));
    for (std::byte& b : buf) {
      b = static_cast<std::byte>(static_cast<unsigned char>(rng()));
    }
    // Most random headers die at the magic; plant the fixed fields in some of
    // them so the later checks are exercised too.
    if (buf.size() >= kWireHeaderBytes && (i % 2) == 0) {
      poke_be(buf, 0, 2, kWireMagic);
      poke_be(buf, kVersionOff, 1, kWireVersion);
      if ((i % 4) == 0) {
        poke_be(buf, kReservedOff, 4, 0);
        buf[kFlagsOff] &= std::byte{0x03};
        poke_be(buf, kLengthOff, 4, (i % 8) == 0 ? buf.size() : rng() % 128);
      }
    }
    const DecodeResult r = decode_header(buf);
    const DecodeResult d = decode_datagram(buf);
    if (buf.size() < kWireHeaderBytes) {
      ASSERT_EQ(r.status, DecodeStatus::kTooShort);
    }
    if (d.ok()) {
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(d.header.length, buf.size());
    }
    if (r.ok()) {
      ++ok_count;
      // A header that decodes must re-encode to the very same bytes.
      Bytes again{};
      ASSERT_TRUE(encode_header(r.header, again));
      for (std::size_t k = 0; k < kWireHeaderBytes; ++k) {
        ASSERT_EQ(again[k], buf[k]) << "byte " << k;
      }
    }
  }
  EXPECT_GT(ok_count, 0U);  // the planted headers reached the success path
}

}  // namespace
}  // namespace netbench
