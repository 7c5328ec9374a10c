#include "netbench/frame_decoder.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "netbench/wire_header.hpp"

namespace netbench {
namespace {

constexpr std::uint32_t kOneMiB = 1U << 20;

/// A byte stream of whole messages plus what a decoder should make of it.
struct Stream {
  std::vector<std::byte> bytes;
  std::vector<WireHeader> headers;
  std::vector<std::size_t> ends;  ///< offset just past each message
};

WireHeader make_header(std::size_t i, std::uint32_t length) {
  WireHeader h;
  h.flags = static_cast<std::uint8_t>(i % 4);
  h.flow_id = static_cast<std::uint32_t>(100 + i % 3);
  h.seq = i;
  h.send_ns = 1'000'000'000ULL * i + 17;
  h.intended_ns = 1'000'000'000ULL * i + (i % 2 == 0 ? 17 : 5);  // unpaced / behind schedule
  h.length = length;
  return h;
}

void append(Stream& s, const WireHeader& h) {
  const std::size_t at = s.bytes.size();
  // Payload filler that looks like a header, so a decoder that loses its
  // place mid-payload would misreport rather than fail quietly.
  s.bytes.resize(at + h.length, std::byte{0x4E});
  EXPECT_TRUE(encode_header(h, std::span(s.bytes).subspan(at)));
  s.headers.push_back(h);
  s.ends.push_back(s.bytes.size());
}

Stream make_stream(const std::vector<std::uint32_t>& lengths) {
  Stream s;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    append(s, make_header(i, lengths[i]));
  }
  return s;
}

/// Header-only (40-byte) messages, odd sizes, an MTU-sized one and a 1 MiB one.
Stream mixed_stream() { return make_stream({40, 64, 41, 40, 1500, kOneMiB, 40, 100, 40, 4096}); }

std::uint64_t bytes_of_first(const Stream& s, std::size_t n) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sum += s.headers[i].length;
  }
  return sum;
}

/// Number of messages that end at or before `offset`.
std::size_t complete_at(const Stream& s, std::size_t offset) {
  return static_cast<std::size_t>(std::upper_bound(s.ends.begin(), s.ends.end(), offset) -
                                  s.ends.begin());
}

bool is_boundary(const Stream& s, std::size_t offset) {
  return offset == 0 || std::binary_search(s.ends.begin(), s.ends.end(), offset);
}

/// Feeds `bytes` to `d`, appending every reported header to `out`.
bool feed_into(FrameDecoder& d, std::span<const std::byte> bytes, std::vector<WireHeader>& out) {
  return d.feed(bytes, [&out](const WireHeader& h) { out.push_back(h); });
}

TEST(FrameDecoderTest, WholeStreamInOneFeedYieldsEveryMessage) {
  const Stream s = mixed_stream();
  FrameDecoder d;
  std::vector<WireHeader> got;
  ASSERT_TRUE(feed_into(d, s.bytes, got));
  EXPECT_EQ(got, s.headers);
  EXPECT_EQ(d.message_bytes(), s.bytes.size());
  EXPECT_TRUE(d.at_boundary());
  EXPECT_FALSE(d.failed());
  EXPECT_EQ(d.error(), DecodeStatus::kOk);
}

TEST(FrameDecoderTest, FreshDecoderIsAtBoundaryWithNothingReported) {
  FrameDecoder d;
  std::vector<WireHeader> got;
  EXPECT_TRUE(feed_into(d, {}, got));
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(d.at_boundary());
  EXPECT_FALSE(d.failed());
  EXPECT_EQ(d.message_bytes(), 0U);
}

TEST(FrameDecoderTest, SplitAtEveryCutPointYieldsTheSameMessages) {
  const Stream s = mixed_stream();
  const std::span<const std::byte> all(s.bytes);
  std::vector<WireHeader> got;
  got.reserve(s.headers.size());
  for (std::size_t cut = 0; cut <= all.size(); ++cut) {
    FrameDecoder d;
    got.clear();
    ASSERT_TRUE(feed_into(d, all.first(cut), got)) << "cut " << cut;
    const std::size_t n = complete_at(s, cut);
    // A message is reported exactly when its last byte has arrived.
    ASSERT_EQ(got.size(), n) << "cut " << cut;
    ASSERT_EQ(d.message_bytes(), bytes_of_first(s, n)) << "cut " << cut;
    ASSERT_EQ(d.at_boundary(), is_boundary(s, cut)) << "cut " << cut;

    ASSERT_TRUE(feed_into(d, all.subspan(cut), got)) << "cut " << cut;
    ASSERT_EQ(got, s.headers) << "cut " << cut;
    ASSERT_EQ(d.message_bytes(), s.bytes.size()) << "cut " << cut;
    ASSERT_TRUE(d.at_boundary()) << "cut " << cut;
  }
}

TEST(FrameDecoderTest, ByteByByteYieldsTheSameMessages) {
  const Stream s = mixed_stream();
  FrameDecoder d;
  std::vector<WireHeader> got;
  for (std::size_t i = 0; i < s.bytes.size(); ++i) {
    ASSERT_TRUE(feed_into(d, std::span(s.bytes).subspan(i, 1), got)) << "byte " << i;
    const std::size_t n = complete_at(s, i + 1);
    ASSERT_EQ(got.size(), n) << "byte " << i;
    ASSERT_EQ(d.at_boundary(), is_boundary(s, i + 1)) << "byte " << i;
  }
  EXPECT_EQ(got, s.headers);
  EXPECT_EQ(d.message_bytes(), s.bytes.size());
}

TEST(FrameDecoderTest, RandomChunkSizesYieldTheSameMessages) {
  const Stream s = mixed_stream();
  std::mt19937_64 rng(7);
  // Small chunks split headers; large ones swallow several messages at once.
  std::uniform_int_distribution<std::size_t> small(1, 70);
  std::uniform_int_distribution<std::size_t> large(1, 200'000);
  for (int round = 0; round < 200; ++round) {
    FrameDecoder d;
    std::vector<WireHeader> got;
    std::size_t pos = 0;
    while (pos < s.bytes.size()) {
      const std::size_t want = (round % 2 == 0) ? small(rng) : large(rng);
      const std::size_t n = std::min(want, s.bytes.size() - pos);
      ASSERT_TRUE(feed_into(d, std::span(s.bytes).subspan(pos, n), got));
      pos += n;
      ASSERT_EQ(got.size(), complete_at(s, pos)) << "round " << round << " pos " << pos;
      ASSERT_EQ(d.at_boundary(), is_boundary(s, pos)) << "round " << round << " pos " << pos;
    }
    ASSERT_EQ(got, s.headers) << "round " << round;
    ASSERT_EQ(d.message_bytes(), s.bytes.size()) << "round " << round;
  }
}

TEST(FrameDecoderTest, EmptyFeedsChangeNothing) {
  const Stream s = make_stream({64});
  FrameDecoder d;
  std::vector<WireHeader> got;
  ASSERT_TRUE(feed_into(d, std::span(s.bytes).first(50), got));
  ASSERT_TRUE(feed_into(d, {}, got));
  EXPECT_TRUE(got.empty());
  EXPECT_FALSE(d.at_boundary());
  ASSERT_TRUE(feed_into(d, std::span(s.bytes).subspan(50), got));
  EXPECT_EQ(got, s.headers);
}

TEST(FrameDecoderTest, HeaderOnlyMessageIsReportedWhenItsHeaderCompletes) {
  const Stream s = make_stream({40});
  FrameDecoder d;
  std::vector<WireHeader> got;
  ASSERT_TRUE(feed_into(d, std::span(s.bytes).first(39), got));
  EXPECT_TRUE(got.empty());
  EXPECT_FALSE(d.at_boundary());
  ASSERT_TRUE(feed_into(d, std::span(s.bytes).subspan(39), got));
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].length, 40U);
  EXPECT_TRUE(d.at_boundary());
}

TEST(FrameDecoderTest, MessageIsNotReportedBeforeItsLastByte) {
  const Stream s = make_stream({kOneMiB});
  FrameDecoder d;
  std::vector<WireHeader> got;
  ASSERT_TRUE(feed_into(d, std::span(s.bytes).first(s.bytes.size() - 1), got));
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(d.message_bytes(), 0U);
  EXPECT_FALSE(d.at_boundary());
  ASSERT_TRUE(feed_into(d, std::span(s.bytes).last(1), got));
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(d.message_bytes(), kOneMiB);
}

/// One way to corrupt a header, and the status it must produce.
struct Corruption {
  const char* name;
  std::size_t offset;  ///< byte within the header
  std::byte value;
  DecodeStatus expected;
};

class FrameDecoderMalformedTest : public ::testing::TestWithParam<Corruption> {};

TEST_P(FrameDecoderMalformedTest, BadHeaderMidStreamFailsAndReportsNothingMore) {
  const Corruption& c = GetParam();
  // Messages 0..2 are good, message 3 gets the bad header, 4..5 follow.
  Stream s = make_stream({40, 1000, 64, 128, 40, 64});
  const std::size_t bad_at = s.ends[2];
  s.bytes[bad_at + c.offset] = c.value;
  ASSERT_EQ(decode_header(std::span(s.bytes).subspan(bad_at)).status, c.expected);
  const std::span<const std::byte> all(s.bytes);
  const std::vector<WireHeader> good(s.headers.begin(), s.headers.begin() + 3);

  for (std::size_t cut = 0; cut <= all.size(); ++cut) {
    FrameDecoder d;
    std::vector<WireHeader> got;
    const bool first_ok = feed_into(d, all.first(cut), got);
    // The failure shows exactly when the bad header's last byte arrives.
    const bool header_complete = cut >= bad_at + kWireHeaderBytes;
    ASSERT_EQ(first_ok, !header_complete) << "cut " << cut;
    ASSERT_EQ(d.failed(), header_complete) << "cut " << cut;

    EXPECT_FALSE(feed_into(d, all.subspan(cut), got)) << "cut " << cut;
    EXPECT_TRUE(d.failed());
    EXPECT_EQ(d.error(), c.expected) << "cut " << cut;
    EXPECT_FALSE(d.at_boundary()) << "cut " << cut;
    EXPECT_EQ(got, good) << "cut " << cut;
    EXPECT_EQ(d.message_bytes(), bytes_of_first(s, 3)) << "cut " << cut;

    // A failed decoder stays failed, even given a pristine stream.
    const Stream fresh = make_stream({40, 64});
    EXPECT_FALSE(feed_into(d, fresh.bytes, got));
    EXPECT_EQ(got, good);
    EXPECT_EQ(d.error(), c.expected);
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryMalformedField, FrameDecoderMalformedTest,
    ::testing::Values(Corruption{"BadMagic", 0, std::byte{0x00}, DecodeStatus::kBadMagic},
                      // Version 1: the old 32-byte layout.
                      Corruption{"BadVersion", 2, std::byte{0x01}, DecodeStatus::kBadVersion},
                      Corruption{"BadFlags", 3, std::byte{0x80}, DecodeStatus::kBadFlags},
                      // Length 128 -> 0x0100_0080, beyond 16 MiB.
                      Corruption{"LengthTooLarge", 32, std::byte{0x01}, DecodeStatus::kBadLength},
                      // Length 128 -> 0x0000_0010 = 16, shorter than a header.
                      Corruption{"LengthTooShort", 35, std::byte{0x10}, DecodeStatus::kBadLength},
                      Corruption{"BadReserved", 39, std::byte{0x01}, DecodeStatus::kBadReserved}),
    [](const ::testing::TestParamInfo<Corruption>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(FrameDecoderTest, GarbageAtStreamStartFailsWithoutReporting) {
  std::vector<std::byte> garbage(100, std::byte{0xFF});
  FrameDecoder d;
  std::vector<WireHeader> got;
  EXPECT_FALSE(feed_into(d, garbage, got));
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(d.error(), DecodeStatus::kBadMagic);
  EXPECT_EQ(d.message_bytes(), 0U);
}

TEST(FrameDecoderTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 2'000; ++round) {
    // Valid messages with random bytes flipped; the decoder must either
    // report whole messages or fail, never crash or over-count.
    Stream s = make_stream({40, 64, 200, 41});
    const std::size_t flips = rng() % 4;
    for (std::size_t f = 0; f < flips; ++f) {
      s.bytes[rng() % s.bytes.size()] = static_cast<std::byte>(static_cast<unsigned char>(rng()));
    }
    FrameDecoder d;
    std::uint64_t reported = 0;
    std::size_t pos = 0;
    while (pos < s.bytes.size()) {
      const std::size_t n = std::min<std::size_t>(1 + rng() % 50, s.bytes.size() - pos);
      d.feed(std::span(s.bytes).subspan(pos, n),
             [&reported](const WireHeader& h) { reported += h.length; });
      pos += n;
    }
    ASSERT_EQ(d.message_bytes(), reported);
    ASSERT_LE(reported, s.bytes.size());
  }
}

}  // namespace
}  // namespace netbench
