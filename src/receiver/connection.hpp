#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <stop_token>
#include <vector>

#include "netbench/fd.hpp"
#include "netbench/frame_decoder.hpp"
#include "netbench/test_spec.hpp"
#include "receiver/receiver_state.hpp"

namespace netbench::receiver {

/// One UDP datagram's echo, as Connection hands it to a UdpEchoSink.
struct UdpEcho {
  std::span<const std::byte> bytes;
  /// The record that counts the echo's result (a measured datagram's; give
  /// it to Connection::on_udp_echo_sent()), or nullptr: not counted (warm-up
  /// and malformed datagrams are echoed too, but counted apart).
  FlowState* record = nullptr;
  /// Where it goes: the request's source on a connect-mode socket, which is
  /// not connected (sendto); nullptr: the socket's connected peer (send).
  const sockaddr* to = nullptr;
  socklen_t to_len = 0;
};

/// Where a UDP datagram's echo goes: a readiness model sends it at once, a
/// completion model (uring) queues a send and reports its result later with
/// Connection::on_udp_echo_sent(). Called on the connection's thread.
class UdpEchoSink {
 public:
  /// Sends `e.bytes` back to `e.to`, or to the flow's peer.
  virtual void echo(const UdpEcho& e) = 0;

 protected:
  UdpEchoSink() = default;
  ~UdpEchoSink() = default;
  UdpEchoSink(const UdpEchoSink&) = default;
  UdpEchoSink& operator=(const UdpEchoSink&) = default;
};

/// The receiver's work on one data socket — a TCP connection or a UDP flow
/// socket — whatever model multiplexes it: read, decode, measure, echo.
/// The models only decide *when* to call it. Owned and called by one thread.
class Connection {
 public:
  enum class Status : std::uint8_t { kOpen, kClosed };

  /// `fd` must be non-blocking unless `blocking` (thread model). `stop` is
  /// the serving thread's stop token when a stop request wakes a blocked
  /// recv by shutting the socket down: the end of stream read after it is
  /// then not taken for the peer's close.
  /// A failure to measure (std::bad_alloc from a histogram or the sequence
  /// tracker, whose memory is bounded but allocated on first use) is set as
  /// `state`'s error, which fails the test, and closes this connection only.
  Connection(Fd fd, Proto proto, FlowState& flow, ThreadState& thread, ReceiverState& state,
             bool blocking, std::stop_token stop = {});

  [[nodiscard]] int fd() const noexcept { return fd_.get(); }
  /// Reads up to `budget` times (or until the socket has nothing more),
  /// measuring each message and echoing in echo mode. kClosed when the peer
  /// closed, reset, or sent a malformed stream, or measuring failed (see
  /// the constructor): the caller drops the connection (its figures stay in
  /// the flow record).
  Status on_readable(std::span<std::byte> rx, unsigned budget);
  /// Sends echo bytes that a full socket buffer held back (TCP).
  Status on_writable();
  /// True while echo bytes wait for the socket to drain: poll for writing,
  /// not reading, until it clears (backpressure on the sender).
  [[nodiscard]] bool wants_write() const noexcept { return pending_off_ < pending_.size(); }
  /// True if the last on_readable() found the socket empty (non-blocking).
  [[nodiscard]] bool idle() const noexcept { return idle_; }
  /// True if the last read filled its whole buffer (or batch): more is
  /// probably queued, so a --coalesce pause now would only slow the reader.
  [[nodiscard]] bool last_read_full() const noexcept { return full_; }
  /// Marks the flow finished (called once when the model drops it).
  void retire() noexcept;

  // What to do with bytes, apart from how they were read: a completion model
  // (uring), which gets bytes handed to it rather than reading them, calls
  // these; on_readable() calls them after its own reads.

  /// TCP: `got` arrived at `now` (ns): decoded and measured (not echoed:
  /// the caller sends `got` back in echo mode). kClosed on a malformed
  /// stream or a failure to measure.
  Status on_tcp_bytes(std::span<const std::byte> got, std::uint64_t now) noexcept;
  /// TCP: the peer closed (a read returned 0) or reset the connection.
  Status on_tcp_end() noexcept { return on_peer_gone(); }
  /// UDP: one read of `got` at `now` (ns), with the ancillary data of `msg`
  /// (SO_RXQ_OVFL, UDP_GRO): each datagram decoded, measured and, in echo
  /// and connect mode, handed to `sink`. `truncated`: the read had
  /// MSG_TRUNC. A connect-mode socket (see shares_udp()) needs the source in
  /// `msg`'s msg_name, where its echo goes. False if measuring failed (the
  /// connection is to be closed).
  /// `wire_bytes`: the datagram's size on the wire when `got` holds only
  /// its header (--skip-rx-copy); 0: `got` is the whole datagram.
  bool on_udp_read(std::span<const std::byte> got, const msghdr& msg, bool truncated,
                   std::uint64_t now, UdpEchoSink& sink, std::size_t wire_bytes = 0) noexcept;
  /// UDP: the echo of a measured datagram of `size` bytes, counted in
  /// `record` (its UdpEcho's), sent `sent` bytes (negative: failed).
  static void on_udp_echo_sent(FlowState& record, std::size_t size, long sent) noexcept;
  /// True in echo and connect mode: the server answers.
  [[nodiscard]] bool echoes() const noexcept { return echo_; }
  /// True for a connect-mode UDP socket: not connected, it answers fresh
  /// client sockets of every flow, each reply sent to its request's source.
  [[nodiscard]] bool shares_udp() const noexcept { return shared_udp_; }

 private:
  Status read_tcp(std::span<std::byte> rx, unsigned budget);
  /// --skip-rx-copy: reads each message's header into `rx` and discards its
  /// payload in the kernel (recv with MSG_TRUNC), which the decoder counts.
  Status read_tcp_skipping(std::span<std::byte> rx, unsigned budget);
  /// The end of a TCP read that returned `n` <= 0 (errno set if < 0):
  /// kClosed, or kOpen with `retry` set (EINTR) or not (the socket is empty).
  Status on_tcp_read_end(ssize_t n, unsigned attempt, bool& retry) noexcept;
  Status read_udp(std::span<std::byte> rx, unsigned budget);
  /// The peer closed or reset the connection: records it (and a message it
  /// left half-sent) and returns kClosed.
  Status on_peer_gone() noexcept;
  /// Measures one message. Throws std::bad_alloc if a bounded structure
  /// could not get its memory (caught by on_readable()).
  void on_message(const WireHeader& h, std::uint64_t recv_ns);
  /// One UDP datagram read at `now`: decoded (or counted malformed), measured
  /// and, in echo and connect mode, handed to `sink`; a connect-mode socket
  /// answers only a request of this test, at its source `from`.
  void on_datagram(std::span<const std::byte> got, bool truncated, std::uint64_t now,
                   UdpEchoSink& sink, const sockaddr* from, socklen_t from_len,
                   std::size_t wire_bytes);
  /// The record a message of flow `flow_id` counts in: the connection's own,
  /// or on a connect-mode UDP socket (which answers every flow) that flow's
  /// record on this socket, made on first use; nullptr for a flow id the
  /// test does not have.
  FlowState* record_of(std::uint32_t flow_id);
  /// Sends `bytes` back; keeps what the socket refused in pending_. False if
  /// the connection broke.
  bool echo_tcp(std::span<const std::byte> bytes);

  Fd fd_;
  Proto proto_;
  FlowState* flow_;
  ThreadState* thread_;
  ReceiverState* state_;
  bool echo_;
  bool blocking_;
  // Connect mode over UDP: one unconnected socket answers fresh sockets of
  // every flow, each reply sent to its request's source.
  bool shared_udp_;
  std::vector<FlowState*> by_flow_;  // shared_udp_: records by flow id
  bool retired_ = false;
  bool idle_ = false;  // the last read found nothing
  bool full_ = false;  // the last read filled its buffer or batch
  std::stop_token stop_;
  bool shared_clock_;
  bool full_stats_;                   // false under --stats counts
  bool skip_copy_;                    // --skip-rx-copy: headers only, payloads discarded
  std::size_t udp_slot_bytes_;        // one datagram's room in the receive buffer
  bool batch_start_ = false;          // UDP: the next datagram is the first of its skb
  std::uint64_t batch_segments_ = 1;  // UDP: datagrams in the skb being read
  FrameDecoder decoder_;
  // Echo bytes not yet accepted by the socket: at most one read's worth
  // (receive_buffer_bytes), allocated once.
  std::vector<std::byte> pending_;
  std::size_t pending_off_ = 0;
};

/// Room for a UDP read's ancillary data: SO_RXQ_OVFL (u32) and UDP_GRO (int).
inline constexpr std::size_t kUdpControlBytes =
    CMSG_SPACE(sizeof(std::uint32_t)) + CMSG_SPACE(sizeof(int));
/// Datagrams one recvmmsg call may take.
inline constexpr std::size_t kUdpBatch = 32;
/// --gso: a receive slot holds one whole GRO buffer (bytes) ...
inline constexpr std::size_t kGroSlotBytes = std::size_t{64} * 1024;
/// ... and a recvmmsg call takes this many of them.
inline constexpr std::size_t kGroSlots = 8;
/// Room for one datagram of `spec` (one GRO buffer under --gso) in a receive buffer (bytes).
[[nodiscard]] std::size_t udp_slot_bytes(const TestSpec& spec) noexcept;
/// Size of a serving thread's receive buffer for `spec` (bytes).
[[nodiscard]] std::size_t receive_buffer_bytes(const TestSpec& spec) noexcept;

}  // namespace netbench::receiver
