#pragma once

#include <array>
#include <cerrno>
#include <cstdint>
#include <memory>

#include "netbench/fd.hpp"
#include "netbench/frame_decoder.hpp"
#include "netbench/results.hpp"
#include "netbench/sequence_tracker.hpp"
#include "netbench/wire_header.hpp"
#include "sender/pacer.hpp"
#include "sender/zerocopy.hpp"

namespace netbench::sender {

/// One flow of the sending side: its connected socket, its schedule, the
/// message it is in the middle of, and its figures. Owned by one SendLoop and
/// touched only on that loop's thread.
struct SendFlow {
  std::uint32_t id = 0;
  Fd fd;
  Pacer pacer;
  std::uint64_t quota = UINT64_MAX;  ///< measured messages to send (--count), else unlimited
  std::uint64_t warm_seq = 0;        ///< next warm-up sequence number
  std::uint64_t issued = 0;  ///< connect mode: measured transactions begun (next sequence number)
  // The message being sent (TCP may take several sends).
  bool in_progress = false;
  bool current_warm = false;
  std::uint64_t current_intended = 0;  ///< intended send time of that message, ns
  std::array<std::byte, kWireHeaderBytes> header{};
  std::size_t offset = 0;  ///< bytes of that message already sent
  // State.
  bool blocked = false;           ///< waiting for EPOLLOUT
  bool watched = false;           ///< in the loop's epoll set
  bool parked = false;            ///< echo closed loop: K requests in flight
  bool done = false;              ///< sent its share
  bool closed = false;            ///< the connection broke
  bool shut = false;              ///< write side shut down
  std::uint64_t outstanding = 0;  ///< echo: requests without a reply yet
  FrameDecoder decoder;           ///< echo over TCP: replies as a byte stream
  SequenceTracker replies;        ///< echo: reply order and loss
  FlowSendStats stats;
  std::unique_ptr<ZeroCopyFlow> zc;  ///< `--zerocopy` only
};

/// What one send attempt achieved.
enum class SendResult : std::uint8_t {
  kSent,     ///< at least one whole message went
  kBlocked,  ///< the socket is full (or a TCP message is partly sent): wait for EPOLLOUT
  kNothing,  ///< the flow has nothing left to send (quota or time is up)
  kBroken,   ///< the connection broke
  /// --zerocopy: every header buffer is in flight, or the kernel ran out of
  /// option memory (ENOBUFS): wait for completions (POLLERR), then retry
  kWaitCompletions,
};

/// A failed send's errno, classified: retry later (kBlocked) or not.
[[nodiscard]] inline bool is_retryable(int err) noexcept {
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

}  // namespace netbench::sender
