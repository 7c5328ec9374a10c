#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "netbench/wire_header.hpp"

namespace netbench {

/// Reassembles netbench messages from a TCP byte stream cut at arbitrary
/// points. Only the kWireHeaderBytes (40-byte) header is buffered; payload bytes are counted and
/// skipped, so memory is constant whatever the message size.
///
/// A message is reported when its *last* byte arrives (that is when it has
/// been received). A malformed header puts the decoder into a failed state:
/// a TCP stream cannot be resynchronised, so the caller should close the
/// connection and count it. One decoder per connection; not thread-safe.
class FrameDecoder {
 public:
  /// Feeds `data`; calls `on_message(const WireHeader&)` for each message
  /// completed by these bytes, in order. Returns false if the stream is (or
  /// became) malformed; bytes after the bad header are ignored.
  template <typename OnMessage>
  bool feed(std::span<const std::byte> data, OnMessage&& on_message);

  [[nodiscard]] bool failed() const noexcept { return error_ != DecodeStatus::kOk; }
  /// Why the stream failed (kOk while it has not).
  [[nodiscard]] DecodeStatus error() const noexcept { return error_; }
  /// True when the stream ends on a message boundary (no partial message).
  /// False once failed(): the bad header began a message that never completes.
  [[nodiscard]] bool at_boundary() const noexcept {
    return !failed() && header_fill_ == 0 && payload_left_ == 0;
  }
  /// Payload bytes of the current message still to come; 0 between
  /// messages and while a header is being collected.
  [[nodiscard]] std::uint64_t payload_left() const noexcept { return payload_left_; }
  /// Header bytes still to come before the next payload (0 inside a payload).
  [[nodiscard]] std::size_t header_missing() const noexcept {
    return payload_left_ == 0 ? kWireHeaderBytes - header_fill_ : 0;
  }
  /// `n` payload bytes (at most payload_left()) went by unread, e.g.
  /// discarded by the kernel with MSG_TRUNC: counted as if fed; calls
  /// `on_message` when they complete the message.
  template <typename OnMessage>
  void skip(std::uint64_t n, OnMessage&& on_message);
  /// Bytes of complete messages reported so far.
  [[nodiscard]] std::uint64_t message_bytes() const noexcept { return message_bytes_; }

 private:
  std::array<std::byte, kWireHeaderBytes> header_buf_{};
  std::size_t header_fill_ = 0;
  std::uint64_t payload_left_ = 0;
  WireHeader current_{};
  std::uint64_t message_bytes_ = 0;
  DecodeStatus error_ = DecodeStatus::kOk;
};

template <typename OnMessage>
bool FrameDecoder::feed(std::span<const std::byte> data, OnMessage&& on_message) {
  if (failed()) {
    return false;
  }
  std::size_t pos = 0;
  while (pos < data.size()) {
    if (payload_left_ == 0) {
      std::span<const std::byte> header;
      if (header_fill_ == 0 && data.size() - pos >= kWireHeaderBytes) {
        // Common case: the whole header is in this chunk; decode it in place
        // rather than copying it (this halves the cost of small messages).
        header = data.subspan(pos, kWireHeaderBytes);
        pos += kWireHeaderBytes;
      } else {
        // Collect the header, possibly across several feeds.
        const std::size_t take = std::min(kWireHeaderBytes - header_fill_, data.size() - pos);
        for (std::size_t i = 0; i < take; ++i) {
          header_buf_[header_fill_ + i] = data[pos + i];
        }
        header_fill_ += take;
        pos += take;
        if (header_fill_ < kWireHeaderBytes) {
          return true;
        }
        header = header_buf_;
        header_fill_ = 0;
      }
      const DecodeResult r = decode_header(header);
      if (!r.ok()) {
        error_ = r.status;
        return false;
      }
      current_ = r.header;
      payload_left_ = r.header.length - kWireHeaderBytes;
      if (payload_left_ == 0) {
        message_bytes_ += current_.length;
        on_message(static_cast<const WireHeader&>(current_));
        continue;
      }
    }
    const std::size_t avail = data.size() - pos;
    const std::size_t skip =
        payload_left_ < avail ? static_cast<std::size_t>(payload_left_) : avail;
    payload_left_ -= skip;
    pos += skip;
    if (payload_left_ == 0) {
      message_bytes_ += current_.length;
      on_message(static_cast<const WireHeader&>(current_));
    }
  }
  return true;
}

template <typename OnMessage>
void FrameDecoder::skip(std::uint64_t n, OnMessage&& on_message) {
  if (failed() || n == 0 || payload_left_ == 0) {
    return;
  }
  payload_left_ -= std::min(n, payload_left_);
  if (payload_left_ == 0) {
    message_bytes_ += current_.length;
    on_message(static_cast<const WireHeader&>(current_));
  }
}

}  // namespace netbench
