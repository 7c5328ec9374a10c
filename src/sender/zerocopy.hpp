#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "netbench/test_spec.hpp"
#include "sender/zerocopy_tracker.hpp"

namespace netbench::sender {

/// `--zerocopy` state of one flow socket: its id books and the headers its
/// sends still read. Owned by the flow, touched on its loop's thread.
struct ZeroCopyFlow {
  /// `slots` buffers of `slot_bytes` each (see HeaderRing).
  ZeroCopyFlow(std::size_t slots, std::size_t slot_bytes) : ring(slots, slot_bytes) {}

  /// Reads every completion queued on `fd`'s error queue and releases the
  /// headers no send reads any more; the notifications read.
  std::size_t reap(int fd) noexcept;
  /// Send flags: MSG_ZEROCOPY unless the flow fell back to copying.
  [[nodiscard]] int flags() const noexcept;

  ZeroCopyTracker tracker;
  HeaderRing ring;
  std::size_t current = 0;  ///< TCP: the header of the message being sent
  /// The flow sends without MSG_ZEROCOPY from now on (see ZeroCopyStats::copy_fallbacks).
  bool fell_back = false;
};

/// The zero-copy buffers of one flow of `spec`: TCP, a 40-byte header per
/// message in flight, for about 4 MiB of messages (32 to 2048); UDP, a whole
/// datagram per slot, for about 512 KiB of datagrams and at least two sends'
/// worth (--batch, --gso), at most 2048.
[[nodiscard]] std::unique_ptr<ZeroCopyFlow> make_zerocopy_flow(const TestSpec& spec,
                                                               std::size_t per_send);

/// SO_ZEROCOPY on `fd`; throws ConfigError naming --zerocopy if the kernel refuses.
void enable_zerocopy(int fd);

/// Waits up to `timeout_ms` for `fd`'s error queue (POLLERR); false on timeout.
bool wait_error_queue(int fd, int timeout_ms) noexcept;

}  // namespace netbench::sender
