#pragma once

// Internal to the io_uring model: the state of one ring's loop, shared by
// uring_model.cpp, uring_loop.cpp (setup, the loop, accepts, dispatch and
// shutdown) and uring_loop_io.cpp (receives and echo sends).

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <utility>
#include <vector>

#include "receiver/connection.hpp"
#include "receiver/models/uring_model.hpp"
#include "sys/uring.hpp"

namespace netbench::receiver {
namespace uring_detail {

/// A request's user_data: what it is in the top byte, a provided buffer's id
/// (a UDP echo sends from it) in the next 16 bits, a listener's or a peer's
/// index in the low 32.
enum class Op : std::uint8_t { kWake = 1, kAccept, kRecv, kSend, kEcho, kMeasuredEcho, kCancel };

constexpr std::uint64_t tag(Op op, std::uint32_t index, std::uint16_t buffer = 0) noexcept {
  return (std::uint64_t{static_cast<std::uint8_t>(op)} << 56) | (std::uint64_t{buffer} << 32) |
         index;
}

inline constexpr std::uint16_t kGroup = 0;  // the one provided-buffer group of a ring
inline constexpr unsigned kSqEntries = 512;
inline constexpr unsigned kCqEntries = 8192;
/// Provided-buffer memory of one ring (bytes): 256 TCP buffers of 32 KiB,
/// or about 2,000 datagram buffers of 4 KiB.
inline constexpr std::size_t kBufferBudget = std::size_t{8} << 20;
inline constexpr std::size_t kTcpBufferBytes = std::size_t{32} * 1024;
/// TCP echo bytes a connection may hold unsent before its receive is
/// cancelled until they drain (backpressure, as the readiness models stop
/// reading while an echo is pending).
inline constexpr std::size_t kEchoBacklogBytes = std::size_t{256} * 1024;
/// How long a stop waits for cancelled requests to end (ms).
inline constexpr int kDrainMs = 1000;
/// Single-shot path: a TCP connection's own receive buffer (bytes).
inline constexpr std::size_t kSingleTcpBufferBytes = std::size_t{16} * 1024;

/// Single-shot path, UDP echo: one sendmsg request's header, kept until it
/// completes.
struct EchoSlot {
  msghdr msg{};
  iovec iov{};
  FlowState* record = nullptr;
};

/// One data socket of a ring and the requests it has in flight.
struct Peer {
  explicit Peer(Connection c) : conn(std::move(c)) {}
  Connection conn;
  msghdr msg{};             // UDP: the multishot recvmsg's template, or the single-shot's header
  bool recv_armed = false;  // a multishot receive is in the kernel
  bool paused = false;      // TCP: receive cancelled until the echo backlog drains
  bool closing = false;     // dropped: freed when its requests have ended
  unsigned sends = 0;       // echo sends in flight
  // TCP echo: `sending` is the kernel's from `sent` on (one send in flight);
  // `queued` waits behind it, so replies leave in the order bytes came.
  std::vector<std::byte> sending;
  std::vector<std::byte> queued;
  std::size_t sent = 0;
  // Single-shot path: the buffer each receive fills and, for UDP, its
  // source and ancillary data; the echoes sent from it (a UDP receive is
  // re-armed once they have all completed: they point into `buf`).
  std::vector<std::byte> buf;
  iovec iov{};
  sockaddr_storage from{};
  alignas(cmsghdr) std::array<std::byte, kUdpControlBytes> control{};
  std::deque<EchoSlot> echoes;
};

}  // namespace uring_detail

/// The state of one ring's loop; runs on its thread only.
class UringModel::Loop {
 public:
  using Op = uring_detail::Op;
  using Peer = uring_detail::Peer;

  Loop(UringModel& model, ThreadState& thread);
  void run(ServeSet part, int wake_fd, std::stop_token stop);

 private:
  // uring_loop.cpp
  static std::size_t buffer_bytes(const TestSpec& spec) noexcept;
  static socklen_t name_bytes(const TestSpec& spec) noexcept;
  static unsigned buffer_count(const TestSpec& spec) noexcept;
  void enter(int wait_ms);
  unsigned reap();

  /// Queues a request `op` on `index`, prepared by `prep`; counts it in flight.
  template <typename Prep>
  void arm(Op op, std::uint32_t index, Prep&& prep, std::uint16_t buffer = 0) {
    io_uring_sqe* s = ring_.sqe();
    std::forward<Prep>(prep)(s);
    io_uring_sqe_set_data64(s, uring_detail::tag(op, index, buffer));
    ++outstanding_;
  }

  void arm_accept(std::uint32_t i);
  void arm_recv(std::uint32_t i);
  void arm_single_recv(std::uint32_t i);
  void cancel(Op op, std::uint32_t i);
  void add(Connection c);
  void close(std::uint32_t i);
  void maybe_free(std::uint32_t i);
  void dispatch(const io_uring_cqe& cqe, std::uint64_t now);
  void on_accept(std::uint32_t listener, int res, bool more);
  void shutdown();
  void cancel_each();

  // uring_loop_io.cpp
  void on_tcp_recv(std::uint32_t i, const io_uring_cqe& cqe);
  void on_udp_recv(std::uint32_t i, const io_uring_cqe& cqe, std::uint64_t now);
  void on_udp_single(std::uint32_t i, int bytes, std::uint64_t now);
  void send_echo(std::uint32_t i, std::uint16_t id, const UdpEcho& e);
  void send_single_echo(std::uint32_t i, const UdpEcho& e);
  void release(std::uint16_t id) noexcept;
  void queue_echo(std::uint32_t i, std::span<const std::byte> bytes);
  void start_send(std::uint32_t i);
  void submit_send(std::uint32_t i);
  void on_tcp_sent(std::uint32_t i, int res);

  /// A UDP echo sent from the receive buffer it arrived in, which stays out
  /// of the kernel's hands until the send completes.
  class SendFromBuffer final : public UdpEchoSink {
   public:
    SendFromBuffer(Loop& loop, std::uint32_t peer, std::uint16_t buffer)
        : loop_(&loop), peer_(peer), buffer_(buffer) {}
    void echo(const UdpEcho& e) override { loop_->send_echo(peer_, buffer_, e); }

   private:
    Loop* loop_;
    std::uint32_t peer_;
    std::uint16_t buffer_;
  };

  UringModel* model_;
  ThreadState* thread_;
  bool tcp_;
  bool echo_;
  bool stopping_ = false;
  bool cancel_any_ = false;  // IORING_ASYNC_CANCEL_ANY (5.19)
  UringPath path_;
  // Declared before the ring so that the ring, whose requests may still
  // point into them, is torn down first. Empty on the single-shot path.
  std::optional<sys::BufferRing> bufs_;
  sys::Ring ring_;
  std::vector<Fd> listeners_;
  std::vector<std::unique_ptr<Peer>> peers_;  // by index; null when free
  std::vector<std::uint32_t> free_;
  std::vector<std::uint16_t> holds_;      // per buffer: UDP reads and echoes using it
  std::vector<FlowState*> echo_records_;  // per buffer: the record its measured echoes count in
  std::uint64_t outstanding_ = 0;         // requests whose last completion is to come
};

}  // namespace netbench::receiver
