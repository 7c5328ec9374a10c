#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace netbench::app {

/// The control protocol's framing, one message at a time, fed from any
/// source (a non-blocking socket in `netbench serve`'s accept loop, a fuzzer):
/// a 4-byte big-endian length in 1..max_bytes, then that many bytes of JSON,
/// one object with a string "type". The reader never asks for a byte past
/// the current message (wanted()), so whatever follows it stays in the
/// socket for the next owner. Memory: at most max_bytes per reader, grown as
/// bytes arrive (a peer that claims 1 MiB and sends 1 byte costs 1 byte).
/// Pure, no I/O; not thread-safe.
class ControlFrameReader {
 public:
  enum class State {
    kPartial,   ///< needs wanted() more bytes
    kComplete,  ///< a whole message is in: take() it
    kFailed,    ///< a bad length prefix or body: error() says which; feed no more
  };

  /// `max_bytes`: the largest message body accepted (at most kMaxControlBytes
  /// in practice; the server uses less before a client has authenticated).
  explicit ControlFrameReader(std::uint32_t max_bytes) noexcept : max_bytes_(max_bytes) {}

  /// Bytes the current message still needs (0 unless kPartial).
  [[nodiscard]] std::size_t wanted() const noexcept;
  /// Takes in `bytes`, of which at most wanted() are used; returns how many.
  std::size_t feed(std::span<const std::byte> bytes);
  [[nodiscard]] State state() const noexcept { return state_; }
  /// Bytes of the current message received so far (prefix included).
  [[nodiscard]] std::size_t received() const noexcept { return prefix_got_ + body_.size(); }
  /// kComplete: the message, and the reader starts on the next one. Returns
  /// nullopt and moves to kFailed if the body is not a JSON object with a
  /// string "type".
  std::optional<nlohmann::json> take();
  /// One line saying why the reader failed.
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

 private:
  std::uint32_t max_bytes_;
  State state_ = State::kPartial;
  std::array<std::byte, 4> prefix_{};
  std::size_t prefix_got_ = 0;
  std::uint32_t length_ = 0;
  std::string body_;
  std::string error_;
};

/// The big-endian length in a control message's 4-byte prefix.
[[nodiscard]] std::uint32_t control_length(std::span<const std::byte, 4> prefix) noexcept;
/// Empty if `length` is acceptable (1..max_bytes), else the error line.
[[nodiscard]] std::string check_control_length(std::uint32_t length, std::uint32_t max_bytes);
/// `message` framed for the wire: its 4-byte big-endian length, then its
/// JSON followed by `trailer` (JSON whitespace only: the client's hello ends
/// in "\r\n\r\n" so that an HTTP server on the port answers at once).
/// Empty if the body is longer than `max_bytes`.
[[nodiscard]] std::string encode_control(const nlohmann::json& message, std::uint32_t max_bytes,
                                         std::string_view trailer = {});
/// Deepest nesting of arrays and objects a control message may have (the
/// deepest real one, a result, has 7): a body of '[' costs the parser about
/// 77 bytes of memory per byte (a 64 MiB frame took 4.9 GiB).
inline constexpr std::size_t kMaxControlDepth = 64;
/// True when `body` nests arrays and objects at most `max_depth` deep
/// (brackets inside strings do not count). Pure.
[[nodiscard]] bool nesting_within(std::string_view body, std::size_t max_depth) noexcept;
/// Parses a message body: a JSON object with a string "type", nested at most
/// kMaxControlDepth deep, else nullopt and `error` says so. Never throws.
[[nodiscard]] std::optional<nlohmann::json> parse_control_body(std::string_view body,
                                                               std::string& error);

}  // namespace netbench::app
