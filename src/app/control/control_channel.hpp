#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "netbench/fd.hpp"

namespace netbench::app {

/// Version of the control protocol; both sides must speak the same.
inline constexpr int kControlVersion = 1;
/// Largest control message accepted (bytes of JSON). A length prefix above
/// it is refused without reading the body. Sized for a receiver's result
/// of 65,536 flows (about 600 bytes of JSON each): 1 MiB refused 10,000.
inline constexpr std::uint32_t kMaxControlBytes = 64U << 20;

/// One side of a control connection: length-prefixed JSON messages over TCP
/// (4-byte big-endian length, then that many bytes of UTF-8 JSON, one object).
/// Every read waits at most the given timeout; every message read is bounded.
/// Not thread-safe.
class ControlChannel {
 public:
  /// `max_receive`: the largest message receive() takes (at most
  /// kMaxControlBytes). A server passes what its client can need to send, so
  /// that a client cannot make it allocate more.
  explicit ControlChannel(Fd fd, std::uint32_t max_receive = kMaxControlBytes)
      : fd_(std::move(fd)), max_receive_(std::min(max_receive, kMaxControlBytes)) {}

  /// Changes what receive() takes from now on (at most kMaxControlBytes): a
  /// client bounds each reply by what the test it asked for can need.
  void set_max_receive(std::uint32_t max_receive) noexcept {
    max_receive_ = std::min(max_receive, kMaxControlBytes);
  }

  /// Sends one message (blocking, at most `timeout_ms`), its JSON followed
  /// by `trailer` (whitespace, see encode_control()). False if the peer is
  /// gone or too slow; `error` says why.
  bool send(const nlohmann::json& message, int timeout_ms, std::string& error,
            std::string_view trailer = {});
  /// Receives one message within `timeout_ms`. nullopt on timeout, EOF, an
  /// oversized or malformed message; `error` is one line saying which. A
  /// peer that answers in text (an HTTP or SSH server, say) is named as
  /// such, with the start of what it sent.
  std::optional<nlohmann::json> receive(int timeout_ms, std::string& error);
  /// Waits at most `timeout_ms` for the next message to start arriving
  /// (or the peer to close); consumes nothing. Lets a waiter check other
  /// conditions between slices without cutting a message in half.
  [[nodiscard]] bool wait_readable(int timeout_ms) const;
  /// True when the peer has closed (or reset) the connection; does not block.
  [[nodiscard]] bool peer_closed() const;
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

 private:
  bool read_exact(std::byte* out, std::size_t n, int timeout_ms, std::string& error);
  Fd fd_;
  std::uint32_t max_receive_;
};

/// Sends {"type":"error","error":text} (best effort) and returns false.
bool send_error(ControlChannel& channel, const std::string& text);

}  // namespace netbench::app
