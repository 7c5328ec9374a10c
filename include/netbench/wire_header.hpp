#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace netbench {

/// Flags carried in a data message header (bit set).
enum class MessageFlag : std::uint8_t {
  kNone = 0,
  kWarmup = 1U << 0,  ///< sent during warm-up: counted apart, kept out of statistics
  kLast = 1U << 1,    ///< the last message of its flow
};

/// Header at the start of every netbench data message (TCP and UDP).
///
/// Layout on the wire, big-endian, 40 bytes (`kWireHeaderBytes`):
/// | off | size | field |
/// |  0  |  2   | magic 0x4E42 ("NB") |
/// |  2  |  1   | version (kWireVersion) |
/// |  3  |  1   | flags (MessageFlag bits; unknown bits are invalid) |
/// |  4  |  4   | flow id |
/// |  8  |  8   | sequence number (per flow, per class: warm-up and measured
///               messages each count from 0) |
/// | 16  |  8   | actual send timestamp, ns of the sender's CLOCK_MONOTONIC |
/// | 24  |  8   | intended send timestamp, same clock: when the schedule meant
///               this send to happen (equals the actual one when unpaced) |
/// | 32  |  4   | message length in bytes, header included |
/// | 36  |  4   | reserved, must be zero |
/// The payload after the header is opaque filler.
struct WireHeader {
  std::uint8_t flags = 0;
  std::uint32_t flow_id = 0;
  std::uint64_t seq = 0;
  std::uint64_t send_ns = 0;
  /// When the sender's schedule intended this send, ns of the same clock as
  /// `send_ns` (equal to it when the sender is unpaced). Latency measured from
  /// it is corrected for coordinated omission, with no per-flow state.
  std::uint64_t intended_ns = 0;
  std::uint32_t length = 0;  ///< whole message, bytes, header included

  [[nodiscard]] bool has(MessageFlag f) const noexcept {
    return (flags & static_cast<std::uint8_t>(f)) != 0;
  }
  friend bool operator==(const WireHeader&, const WireHeader&) = default;
};

inline constexpr std::size_t kWireHeaderBytes = 40;
inline constexpr std::uint16_t kWireMagic = 0x4E42;
inline constexpr std::uint8_t kWireVersion = 2;
/// Largest message netbench sends or accepts (bytes): 16 MiB, far above the
/// 1 MiB TCP messages users ask for, small enough to bound a bogus length.
inline constexpr std::uint32_t kMaxMessageBytes = 16U << 20;
/// Largest UDP payload over IPv4 (65,535 − 20 IP − 8 UDP), bytes.
inline constexpr std::uint32_t kMaxUdpPayloadBytes = 65'507;

/// Why a header failed to decode.
enum class DecodeStatus : std::uint8_t {
  kOk,
  kTooShort,  ///< fewer than kWireHeaderBytes bytes
  kBadMagic,
  kBadVersion,
  kBadFlags,     ///< unknown flag bits set
  kBadLength,    ///< length < header, > kMaxMessageBytes, or != datagram size
  kBadReserved,  ///< reserved field not zero
};

/// Outcome of a decode: `header` is meaningful only when `status == kOk`.
struct DecodeResult {
  DecodeStatus status = DecodeStatus::kTooShort;
  WireHeader header{};
  [[nodiscard]] bool ok() const noexcept { return status == DecodeStatus::kOk; }
};

/// Writes `h` into the first kWireHeaderBytes of `out`. Returns false (and
/// writes nothing) if `out` is shorter than that. Pure; thread-safe.
bool encode_header(const WireHeader& h, std::span<std::byte> out) noexcept;

/// Reads a header from the start of `in` (a TCP stream position: the payload
/// may follow or not). Never reads past `in`, never throws.
[[nodiscard]] DecodeResult decode_header(std::span<const std::byte> in) noexcept;

/// Decodes one whole UDP datagram: as decode_header, and the header's length
/// must equal `datagram.size()`.
[[nodiscard]] DecodeResult decode_datagram(std::span<const std::byte> datagram) noexcept;

/// Human-readable name of a status ("ok", "too short", ...), for error text.
[[nodiscard]] const char* to_string(DecodeStatus s) noexcept;

}  // namespace netbench
