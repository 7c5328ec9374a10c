#include "netbench/wire_header.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace netbench {
namespace {

// Field offsets and sizes, bytes (see the table in wire_header.hpp).
constexpr std::size_t kMagicOff = 0;
constexpr std::size_t kVersionOff = 2;
constexpr std::size_t kFlagsOff = 3;
constexpr std::size_t kFlowIdOff = 4;
constexpr std::size_t kSeqOff = 8;
constexpr std::size_t kSendNsOff = 16;
constexpr std::size_t kIntendedNsOff = 24;
constexpr std::size_t kLengthOff = 32;
constexpr std::size_t kReservedOff = 36;
constexpr std::size_t kReservedBytes = 4;

// Each field starts where the previous one ends, and the last one ends at the
// header size: a layout change that forgets one of them fails to compile.
static_assert(kMagicOff + sizeof(std::uint16_t) == kVersionOff);
static_assert(kVersionOff + sizeof(std::uint8_t) == kFlagsOff);
static_assert(kFlagsOff + sizeof(std::uint8_t) == kFlowIdOff);
static_assert(kFlowIdOff + sizeof(std::uint32_t) == kSeqOff);
static_assert(kSeqOff + sizeof(std::uint64_t) == kSendNsOff);
static_assert(kSendNsOff + sizeof(std::uint64_t) == kIntendedNsOff);
static_assert(kIntendedNsOff + sizeof(std::uint64_t) == kLengthOff);
static_assert(kLengthOff + sizeof(std::uint32_t) == kReservedOff);
static_assert(kReservedOff + kReservedBytes == kWireHeaderBytes);
static_assert(kWireHeaderBytes == 40 && kWireVersion == 2,
              "wire format v2 is 40 bytes; bump kWireVersion to change it");
static_assert(kMaxMessageBytes >= kWireHeaderBytes);
static_assert(kMaxUdpPayloadBytes <= kMaxMessageBytes);

/// Every flag bit this version understands; any other bit is invalid.
constexpr std::uint8_t kKnownFlags =
    static_cast<std::uint8_t>(MessageFlag::kWarmup) | static_cast<std::uint8_t>(MessageFlag::kLast);

// Stores the low `N` bytes of `v` big-endian at out[off]. The caller has
// checked the span's size; the compiler folds the shifts into one bswap+store.
template <std::size_t N>
void store_be(std::span<std::byte> out, std::size_t off, std::uint64_t v) noexcept {
  static_assert(N >= 1 && N <= sizeof(std::uint64_t));
  for (std::size_t i = 0; i < N; ++i) {
    out[off + i] = static_cast<std::byte>(static_cast<unsigned char>(v >> (8 * (N - 1 - i))));
  }
}

// Loads `N` big-endian bytes from in[off]; the caller has checked the size.
template <std::size_t N>
std::uint64_t load_be(std::span<const std::byte> in, std::size_t off) noexcept {
  static_assert(N >= 1 && N <= sizeof(std::uint64_t));
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < N; ++i) {
    v = (v << 8) | std::to_integer<std::uint64_t>(in[off + i]);
  }
  return v;
}

DecodeResult fail(DecodeStatus s) noexcept { return DecodeResult{s, WireHeader{}}; }

}  // namespace

bool encode_header(const WireHeader& h, std::span<std::byte> out) noexcept {
  if (out.size() < kWireHeaderBytes) {
    return false;
  }
  store_be<2>(out, kMagicOff, kWireMagic);
  store_be<1>(out, kVersionOff, kWireVersion);
  store_be<1>(out, kFlagsOff, h.flags);
  store_be<4>(out, kFlowIdOff, h.flow_id);
  store_be<8>(out, kSeqOff, h.seq);
  store_be<8>(out, kSendNsOff, h.send_ns);
  store_be<8>(out, kIntendedNsOff, h.intended_ns);
  store_be<4>(out, kLengthOff, h.length);
  store_be<kReservedBytes>(out, kReservedOff, 0);
  return true;
}

DecodeResult decode_header(std::span<const std::byte> in) noexcept {
  if (in.size() < kWireHeaderBytes) {
    return fail(DecodeStatus::kTooShort);
  }
  // Checked in layout order, so the first bad field is the one reported.
  if (load_be<2>(in, kMagicOff) != kWireMagic) {
    return fail(DecodeStatus::kBadMagic);
  }
  if (load_be<1>(in, kVersionOff) != kWireVersion) {
    return fail(DecodeStatus::kBadVersion);
  }
  const auto flags = static_cast<std::uint8_t>(load_be<1>(in, kFlagsOff));
  if ((flags & ~kKnownFlags) != 0) {
    return fail(DecodeStatus::kBadFlags);
  }
  const auto length = static_cast<std::uint32_t>(load_be<4>(in, kLengthOff));
  if (length < kWireHeaderBytes || length > kMaxMessageBytes) {
    return fail(DecodeStatus::kBadLength);
  }
  if (load_be<kReservedBytes>(in, kReservedOff) != 0) {
    return fail(DecodeStatus::kBadReserved);
  }
  DecodeResult r{DecodeStatus::kOk, WireHeader{}};
  r.header.flags = flags;
  r.header.flow_id = static_cast<std::uint32_t>(load_be<4>(in, kFlowIdOff));
  r.header.seq = load_be<8>(in, kSeqOff);
  r.header.send_ns = load_be<8>(in, kSendNsOff);
  r.header.intended_ns = load_be<8>(in, kIntendedNsOff);
  r.header.length = length;
  return r;
}

DecodeResult decode_datagram(std::span<const std::byte> datagram) noexcept {
  DecodeResult r = decode_header(datagram);
  // A UDP datagram is one whole message: a length that disagrees with what
  // the kernel delivered means truncation or a corrupt header.
  if (r.ok() && r.header.length != datagram.size()) {
    return fail(DecodeStatus::kBadLength);
  }
  return r;
}

const char* to_string(DecodeStatus s) noexcept {
  switch (s) {
    case DecodeStatus::kOk:
      return "ok";
    case DecodeStatus::kTooShort:
      return "too short";
    case DecodeStatus::kBadMagic:
      return "bad magic";
    case DecodeStatus::kBadVersion:
      return "bad version";
    case DecodeStatus::kBadFlags:
      return "unknown flag bits";
    case DecodeStatus::kBadLength:
      return "bad length";
    case DecodeStatus::kBadReserved:
      return "reserved field not zero";
  }
  // Only reachable through a cast of an out-of-range value.
  return "unknown decode status";
}

}  // namespace netbench
