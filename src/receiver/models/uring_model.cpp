#include "receiver/models/uring_model.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "sys/socket_ops.hpp"
#include "sys/uring.hpp"

namespace netbench::receiver {
namespace {

/// A request's user_data: what it is in the top byte, a provided buffer's id
/// (a UDP echo sends from it) in the next 16 bits, a listener's or a peer's
/// index in the low 32.
enum class Op : std::uint8_t { kWake = 1, kAccept, kRecv, kSend, kEcho, kMeasuredEcho, kCancel };

constexpr std::uint64_t tag(Op op, std::uint32_t index, std::uint16_t buffer = 0) noexcept {
  return (std::uint64_t{static_cast<std::uint8_t>(op)} << 56) | (std::uint64_t{buffer} << 32) |
         index;
}

constexpr std::uint16_t kGroup = 0;  // the one provided-buffer group of a ring
constexpr unsigned kSqEntries = 512;
constexpr unsigned kCqEntries = 8192;
/// Provided-buffer memory of one ring (bytes): 256 TCP buffers of 32 KiB,
/// or about 2,000 datagram buffers of 4 KiB.
constexpr std::size_t kBufferBudget = std::size_t{8} << 20;
constexpr std::size_t kTcpBufferBytes = std::size_t{32} * 1024;
/// TCP echo bytes a connection may hold unsent before its receive is
/// cancelled until they drain (backpressure, as the readiness models stop
/// reading while an echo is pending).
constexpr std::size_t kEchoBacklogBytes = std::size_t{256} * 1024;
/// How long a stop waits for cancelled requests to end (ms).
constexpr int kDrainMs = 1000;
/// Single-shot path: a TCP connection's own receive buffer (bytes).
constexpr std::size_t kSingleTcpBufferBytes = std::size_t{16} * 1024;

/// The test hook NETBENCH_URING_FORCE_FALLBACK=single-shot: serve with the
/// oldest kernels' path (single-shot accept and receive, one cancel per
/// request) on a kernel that has the newer one, so that tests can run it.
bool forced_fallback() noexcept {
  const char* v = std::getenv("NETBENCH_URING_FORCE_FALLBACK");  // NOLINT(concurrency-mt-unsafe)
  return v != nullptr && std::strcmp(v, "single-shot") == 0;
}

/// Single-shot path, UDP echo: one sendmsg request's header, kept until it
/// completes.
struct EchoSlot {
  msghdr msg{};
  iovec iov{};
  FlowState* record = nullptr;
};

/// Largest power of two <= `n` (n >= 1).
unsigned floor_pow2(std::size_t n) noexcept {
  unsigned p = 1;
  while (std::size_t{p} * 2 <= n && p < 32768) {
    p *= 2;
  }
  return p;
}

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

}  // namespace

/// The state of one ring's loop; runs on its thread only.
class UringModel::Loop {
 public:
  Loop(UringModel& model, ThreadState& thread)
      : model_(&model),
        thread_(&thread),
        tcp_(model.state().spec().proto == Proto::kTcp),
        echo_(model.state().spec().replies()),
        ring_(kSqEntries, kCqEntries) {
    // The newest path the kernel has, per feature (UringPath).
    const bool forced = forced_fallback();
    const bool v5_19 = !forced && sys::kernel_at_least(5, 19);
    path_.setup = ring_.setup();
    path_.forced = forced;
    path_.features = sys::uring_feature_names(ring_.features());
    path_.multishot_accept = v5_19;
    cancel_any_ = v5_19;
    path_.multishot_receive = !forced && sys::kernel_at_least(6, 0);
    if (path_.multishot_receive) {
      const TestSpec& spec = model.state().spec();
      try {
        bufs_.emplace(buffer_count(spec), buffer_bytes(spec));
        bufs_->attach(ring_, kGroup);
        holds_.assign(bufs_->count(), 0);
        echo_records_.assign(bufs_->count(), nullptr);
      } catch (const SystemError& e) {
        if (e.error_code() != EINVAL) {
          throw;
        }
        bufs_.reset();  // no provided-buffer rings after all: single-shot receives
        path_.multishot_receive = false;
      }
    }
    model.state().note_uring(path_);
  }

  void run(ServeSet part, int wake_fd, std::stop_token stop) {
    arm(Op::kWake, 0, [&](io_uring_sqe* s) { io_uring_prep_poll_add(s, wake_fd, POLLIN); });
    listeners_ = std::move(part.tcp_listeners);
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
      // Requests wait in the kernel, not in a non-blocking retry.
      sys::set_nonblocking(listeners_[i].get(), false);
      arm_accept(static_cast<std::uint32_t>(i));
    }
    for (FlowSocket& f : part.udp_flows) {
      Connection c = model_->udp_connection(std::move(f), *thread_);
      sys::set_nonblocking(c.fd(), false);
      add(std::move(c));
    }
    const UringModel& m = *model_;
    const int timeout = m.wait_ms();
    const std::uint64_t coalesce = m.coalesce_ns();
    enter(0);  // the standing requests in the kernel: from now on nothing waits on setup
    model_->serving(*thread_);
    while (!stop.stop_requested()) {
      coalesce_pause(coalesce);
      enter(timeout);
      const unsigned n = reap();
      thread_->maybe_flush(now_ns());
      if (n == 0) {
        if (timeout == 0) {
          spin_pause();
        }
        continue;
      }
      ++thread_->loop.wakeups;  // an io_uring_enter that returned completions
      thread_->loop.ready_events += n;
    }
    shutdown();
  }

 private:
  static std::size_t buffer_bytes(const TestSpec& spec) noexcept {
    if (spec.proto == Proto::kTcp) {
      return kTcpBufferBytes;
    }
    // A recvmsg buffer holds its header, the source's address (connect mode:
    // the socket is not connected), the ancillary data and the datagram.
    const std::size_t b =
        sizeof(io_uring_recvmsg_out) + name_bytes(spec) + kUdpControlBytes + udp_slot_bytes(spec);
    return (b + 63) & ~std::size_t{63};
  }
  /// Room for a datagram's source in a recvmsg buffer: a connect-mode
  /// socket answers each request there; a flow socket is connected.
  static socklen_t name_bytes(const TestSpec& spec) noexcept {
    return spec.mode == Mode::kConnect ? sizeof(sockaddr_storage) : 0;
  }
  static unsigned buffer_count(const TestSpec& spec) noexcept {
    return std::max(64U, floor_pow2(kBufferBudget / buffer_bytes(spec)));
  }

  /// One io_uring_enter: submits and waits. Throws on a fatal error.
  void enter(int wait_ms) {
    const int rc = ring_.submit_and_wait(wait_ms);
    // ETIME: the wait timed out; EINTR: a signal; EBUSY/EAGAIN: the
    // completion queue is full or memory short, and the reap frees it.
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN) {
      throw SystemError("io_uring_enter", "", -rc);
    }
  }

  /// Handles every completion present, in one batch. Returns how many.
  unsigned reap() {
    const std::uint64_t now = now_ns();  // one clock read per batch, as recvmmsg
    unsigned head = 0;
    unsigned n = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(ring_.get(), head, cqe) {
      ++n;
      dispatch(*cqe, now);
    }
    io_uring_cq_advance(ring_.get(), n);
    if (bufs_) {
      bufs_->publish();
    }
    return n;
  }

  /// Queues a request `op` on `index`, prepared by `prep`; counts it in flight.
  template <typename Prep>
  void arm(Op op, std::uint32_t index, Prep&& prep, std::uint16_t buffer = 0) {
    io_uring_sqe* s = ring_.sqe();
    std::forward<Prep>(prep)(s);
    io_uring_sqe_set_data64(s, tag(op, index, buffer));
    ++outstanding_;
  }

  void arm_accept(std::uint32_t i) {
    const int fd = listeners_[i].get();
    arm(Op::kAccept, i, [fd, multishot = path_.multishot_accept](io_uring_sqe* s) {
      if (multishot) {
        io_uring_prep_multishot_accept(s, fd, nullptr, nullptr, 0);
      } else {
        io_uring_prep_accept(s, fd, nullptr, nullptr, 0);  // one; re-armed as it completes
      }
    });
  }

  void arm_recv(std::uint32_t i) {
    Peer& p = *peers_[i];
    if (stopping_ || p.closing || p.paused || p.recv_armed) {
      return;
    }
    if (!bufs_) {
      arm_single_recv(i);
      return;
    }
    p.recv_armed = true;
    arm(Op::kRecv, i, [&](io_uring_sqe* s) {
      if (tcp_) {
        io_uring_prep_recv_multishot(s, p.conn.fd(), nullptr, 0, 0);
      } else {
        io_uring_prep_recvmsg_multishot(s, p.conn.fd(), &p.msg, 0);
      }
      s->flags |= IOSQE_BUFFER_SELECT;
      s->buf_group = kGroup;
    });
  }

  /// Single-shot path: one receive into the peer's own buffer, re-armed as
  /// it completes. A UDP one waits for the echoes still sent from that buffer.
  void arm_single_recv(std::uint32_t i) {
    Peer& p = *peers_[i];
    if (!tcp_ && p.sends > 0) {
      return;  // re-armed by the last echo's completion
    }
    if (p.buf.empty()) {
      const TestSpec& spec = model_->state().spec();
      p.buf.resize(tcp_ ? kSingleTcpBufferBytes : udp_slot_bytes(spec));
    }
    p.recv_armed = true;
    arm(Op::kRecv, i, [&](io_uring_sqe* s) {
      if (tcp_) {
        io_uring_prep_recv(s, p.conn.fd(), p.buf.data(), p.buf.size(), 0);
        return;
      }
      p.iov = {p.buf.data(), p.buf.size()};
      p.msg.msg_iov = &p.iov;
      p.msg.msg_iovlen = 1;
      p.msg.msg_name = p.conn.shares_udp() ? &p.from : nullptr;
      p.msg.msg_namelen = p.conn.shares_udp() ? sizeof p.from : 0;
      p.msg.msg_control = p.control.data();
      p.msg.msg_controllen = p.control.size();
      p.msg.msg_flags = 0;
      io_uring_prep_recvmsg(s, p.conn.fd(), &p.msg, 0);
    });
  }

  void cancel(Op op, std::uint32_t i) {
    arm(Op::kCancel, i, [i, op](io_uring_sqe* s) { io_uring_prep_cancel64(s, tag(op, i), 0); });
  }

  void add(Connection c) {
    std::uint32_t i = 0;
    if (free_.empty()) {
      i = static_cast<std::uint32_t>(peers_.size());
      peers_.emplace_back();
    } else {
      i = free_.back();
      free_.pop_back();
    }
    peers_[i] = std::make_unique<Peer>(std::move(c));
    // Room for SO_RXQ_OVFL and UDP_GRO, and the source address on a
    // connect-mode socket (a connected flow socket has none).
    peers_[i]->msg.msg_controllen = kUdpControlBytes;
    peers_[i]->msg.msg_namelen =
        peers_[i]->conn.shares_udp() ? name_bytes(model_->state().spec()) : 0;
    arm_recv(i);
  }

  /// Drops peer `i`: retired now, freed (its socket closed) once its
  /// requests have ended.
  void close(std::uint32_t i) {
    Peer& p = *peers_[i];
    if (p.closing) {
      return;
    }
    p.closing = true;
    p.conn.retire();
    if (p.recv_armed) {
      cancel(Op::kRecv, i);
    }
    if (tcp_ && p.sends > 0) {
      cancel(Op::kSend, i);
    }
    maybe_free(i);
  }

  void maybe_free(std::uint32_t i) {
    const Peer& p = *peers_[i];
    if (p.closing && !p.recv_armed && p.sends == 0) {
      peers_[i].reset();
      free_.push_back(i);
    }
  }

  void dispatch(const io_uring_cqe& cqe, std::uint64_t now) {
    const auto op = static_cast<Op>(cqe.user_data >> 56);
    const auto index = static_cast<std::uint32_t>(cqe.user_data);
    const bool more = (cqe.flags & IORING_CQE_F_MORE) != 0;
    if (!more) {
      --outstanding_;  // the request's last completion
    }
    switch (op) {
      case Op::kAccept:
        on_accept(index, cqe.res, more);
        return;
      case Op::kRecv: {
        Peer& p = *peers_[index];
        p.recv_armed = more;
        if (tcp_) {
          on_tcp_recv(index, cqe);
        } else {
          on_udp_recv(index, cqe, now);
        }
        if (!more && peers_[index]) {
          arm_recv(index);  // a multishot receive that ended (ENOBUFS, ...) goes on
          maybe_free(index);
        }
        return;
      }
      case Op::kSend:
        on_tcp_sent(index, cqe.res);
        return;
      case Op::kEcho:
      case Op::kMeasuredEcho: {
        Peer& p = *peers_[index];
        --p.sends;
        const auto buffer = static_cast<std::uint16_t>(cqe.user_data >> 32);
        if (op == Op::kMeasuredEcho) {
          // A datagram leaves whole or not at all.
          const auto size = static_cast<std::size_t>(std::max(cqe.res, 0));
          FlowState* record = bufs_ ? echo_records_[buffer] : p.echoes[buffer].record;
          Connection::on_udp_echo_sent(*record, size, cqe.res > 0 ? cqe.res : -1);
        }
        if (bufs_) {
          release(buffer);
        } else if (p.sends == 0) {
          p.echoes.clear();  // the buffer is free: receive into it again
          arm_recv(index);
        }
        maybe_free(index);
        return;
      }
      case Op::kWake:  // the stop request: the loop sees its token
      case Op::kCancel:
        return;
    }
  }

  void on_accept(std::uint32_t listener, int res, bool more) {
    if (res == -EINVAL && path_.multishot_accept) {
      // A kernel without multishot accept after all: one at a time.
      path_.multishot_accept = false;
      model_->state().note_uring(path_);
    }
    if (!more && !stopping_) {
      arm_accept(listener);  // a single-shot accept, or a multishot one that ended: again
    }
    if (res < 0) {
      // As accept4 in the readiness models: a connection gone before it was
      // taken is skipped, anything else (EMFILE ...) fails the test.
      if (res == -ECANCELED || res == -ECONNABORTED || res == -EPROTO || res == -EINTR ||
          res == -EAGAIN || (res == -EINVAL && !path_.multishot_accept)) {
        return;
      }
      throw SystemError("io_uring accept", "tcp listener", -res);
    }
    Fd fd(res);
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    if (::getpeername(fd.get(), reinterpret_cast<sockaddr*>(&from), &len) != 0 ||  // NOLINT
        !model_->state().admit_tcp(from)) {
      return;  // gone already, or a stranger's: closed here, never a flow
    }
    if (stopping_) {
      return;
    }
    add(model_->tcp_connection(std::move(fd), *thread_));
  }

  void on_tcp_recv(std::uint32_t i, const io_uring_cqe& cqe) {
    Peer& p = *peers_[i];
    const bool provided = (cqe.flags & IORING_CQE_F_BUFFER) != 0;
    if (cqe.res > 0 && (provided || !bufs_)) {
      const auto id = static_cast<std::uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
      const std::span<std::byte> buf = bufs_ ? bufs_->buffer(id) : std::span(p.buf);
      const auto got = buf.first(static_cast<std::size_t>(cqe.res));
      if (!p.closing) {
        if (p.conn.on_tcp_bytes(got, now_ns()) == Connection::Status::kClosed) {
          close(i);
        } else if (echo_) {
          queue_echo(i, got);  // copied: the buffer is free again
        }
      }
      if (bufs_) {
        bufs_->recycle(id);
      }
      return;
    }
    if (cqe.res == -ENOBUFS || cqe.res == -ECANCELED) {
      return;  // out of buffers (re-armed) or cancelled (paused, closing)
    }
    if (!p.closing && !stopping_) {
      (void)p.conn.on_tcp_end();  // 0: the peer's FIN; < 0: a reset
      close(i);
    }
  }

  void on_udp_recv(std::uint32_t i, const io_uring_cqe& cqe, std::uint64_t now) {
    Peer& p = *peers_[i];
    if (!bufs_ && cqe.res >= 0) {
      on_udp_single(i, cqe.res, now);
      return;
    }
    if (cqe.res < 0 || (cqe.flags & IORING_CQE_F_BUFFER) == 0) {
      // ENOBUFS: re-armed; ECANCELED: closing; ECONNREFUSED: an ICMP error
      // from an earlier echo, the socket goes on (as recvmmsg's).
      if (cqe.res < 0 && cqe.res != -ENOBUFS && cqe.res != -ECANCELED && cqe.res != -ECONNREFUSED &&
          !p.closing) {
        close(i);
      }
      return;
    }
    const auto id = static_cast<std::uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
    const std::span<std::byte> buf = bufs_->buffer(id);
    ++holds_[id];
    const io_uring_recvmsg_out* out = io_uring_recvmsg_validate(buf.data(), cqe.res, &p.msg);
    if (out != nullptr && !p.closing) {
      // The source and ancillary data, as recvmmsg would have put them in a msghdr.
      msghdr m{};
      if (p.msg.msg_namelen > 0) {
        m.msg_name = buf.data() + sizeof(io_uring_recvmsg_out);
        m.msg_namelen = std::min(out->namelen, p.msg.msg_namelen);
      }
      m.msg_control = buf.data() + sizeof(io_uring_recvmsg_out) + p.msg.msg_namelen;
      m.msg_controllen = std::min<std::size_t>(out->controllen, p.msg.msg_controllen);
      const std::size_t at =
          sizeof(io_uring_recvmsg_out) + p.msg.msg_namelen + p.msg.msg_controllen;
      const std::size_t len =
          std::min<std::size_t>(out->payloadlen, static_cast<std::size_t>(cqe.res) - at);
      SendFromBuffer sink(*this, i, id);
      if (!p.conn.on_udp_read(buf.subspan(at, len), m, (out->flags & MSG_TRUNC) != 0, now, sink)) {
        close(i);
      }
    }
    release(id);
  }

  /// Single-shot path: a datagram (a GRO batch) of `bytes` bytes in the
  /// peer's buffer, its source and ancillary data in the peer's header.
  void on_udp_single(std::uint32_t i, int bytes, std::uint64_t now) {
    Peer& p = *peers_[i];
    if (p.closing) {
      return;
    }
    SendFromBuffer sink(*this, i, 0);
    const auto got = std::span(p.buf).first(static_cast<std::size_t>(bytes));
    if (!p.conn.on_udp_read(got, p.msg, (p.msg.msg_flags & MSG_TRUNC) != 0, now, sink)) {
      close(i);
    }
  }

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

  void send_echo(std::uint32_t i, std::uint16_t id, const UdpEcho& e) {
    Peer& p = *peers_[i];
    if (stopping_) {
      if (e.record != nullptr) {
        Connection::on_udp_echo_sent(*e.record, e.bytes.size(), -1);
      }
      return;
    }
    if (!bufs_) {
      send_single_echo(i, e);
      return;
    }
    ++holds_[id];
    ++p.sends;
    if (e.record != nullptr) {
      // Every measured echo from one buffer counts in one record: a buffer
      // holds one read of one socket, and only a connected flow socket's
      // read holds more than one datagram (GRO), all of its one flow.
      echo_records_[id] = e.record;
    }
    const int fd = p.conn.fd();
    // MSG_DONTWAIT: a full socket buffer fails the echo (counted) rather
    // than parking it in the kernel, as the readiness models' send does.
    arm(
        e.record != nullptr ? Op::kMeasuredEcho : Op::kEcho, i,
        [&](io_uring_sqe* s) {
          io_uring_prep_send(s, fd, e.bytes.data(), e.bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
          if (e.to != nullptr) {
            // Connect mode: to the request's source, whose address stays in
            // the held buffer until the send completes (a sendto, kernel 6.0).
            io_uring_prep_send_set_addr(s, e.to, static_cast<std::uint16_t>(e.to_len));
          }
        },
        id);
  }

  /// Single-shot path: a UDP echo as a sendmsg (5.3; a send with an
  /// address is 6.0), its header in a slot of the peer's until it completes.
  void send_single_echo(std::uint32_t i, const UdpEcho& e) {
    Peer& p = *peers_[i];
    const auto slot = static_cast<std::uint16_t>(p.echoes.size());
    EchoSlot& echo = p.echoes.emplace_back();
    echo.iov = {const_cast<std::byte*>(e.bytes.data()), e.bytes.size()};  // NOLINT: iovec ABI
    echo.msg.msg_iov = &echo.iov;
    echo.msg.msg_iovlen = 1;
    echo.msg.msg_name = const_cast<sockaddr*>(e.to);  // NOLINT: msghdr ABI, only read
    echo.msg.msg_namelen = e.to != nullptr ? e.to_len : 0;
    echo.record = e.record;
    ++p.sends;
    const int fd = p.conn.fd();
    arm(
        e.record != nullptr ? Op::kMeasuredEcho : Op::kEcho, i,
        [&](io_uring_sqe* s) {
          io_uring_prep_sendmsg(s, fd, &echo.msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        },
        slot);
  }

  /// Drops one hold on buffer `id`; the last gives it back to the kernel.
  void release(std::uint16_t id) noexcept {
    if (--holds_[id] == 0) {
      bufs_->recycle(id);
    }
  }

  void queue_echo(std::uint32_t i, std::span<const std::byte> bytes) {
    Peer& p = *peers_[i];
    if (stopping_) {
      return;
    }
    p.queued.insert(p.queued.end(), bytes.begin(), bytes.end());
    if (p.sends == 0) {
      start_send(i);
    }
    if (p.sending.size() - p.sent + p.queued.size() > kEchoBacklogBytes && !p.paused) {
      p.paused = true;  // the peer does not read its echo: stop reading it
      if (p.recv_armed) {
        cancel(Op::kRecv, i);
      }
    }
  }

  /// Hands the queued echo bytes to the kernel as one send.
  void start_send(std::uint32_t i) {
    Peer& p = *peers_[i];
    p.sending.swap(p.queued);
    p.queued.clear();
    p.sent = 0;
    submit_send(i);
  }

  void submit_send(std::uint32_t i) {
    Peer& p = *peers_[i];
    ++p.sends;
    const int fd = p.conn.fd();
    const std::span<const std::byte> rest = std::span(p.sending).subspan(p.sent);
    arm(Op::kSend, i, [&](io_uring_sqe* s) {
      io_uring_prep_send(s, fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    });
  }

  void on_tcp_sent(std::uint32_t i, int res) {
    Peer& p = *peers_[i];
    --p.sends;
    if (p.closing || stopping_) {
      maybe_free(i);
      return;
    }
    if (res < 0) {
      close(i);  // the connection broke (EPIPE, ECONNRESET)
      return;
    }
    p.sent += static_cast<std::size_t>(res);
    if (p.sent < p.sending.size()) {
      submit_send(i);  // a partial send: the rest, before anything queued
      return;
    }
    p.sending.clear();
    if (!p.queued.empty()) {
      start_send(i);
    } else if (p.paused) {
      p.paused = false;  // drained: read again
      arm_recv(i);
    }
  }

  /// Cancels every outstanding request and reaps until all have ended (at
  /// most kDrainMs), then retires the flows still open.
  void shutdown() {
    stopping_ = true;
    if (cancel_any_) {
      arm(Op::kCancel, 0,
          [](io_uring_sqe* s) { io_uring_prep_cancel64(s, 0, IORING_ASYNC_CANCEL_ANY); });
    } else {
      cancel_each();
    }
    const std::uint64_t deadline = now_ns() + std::uint64_t{kDrainMs} * 1'000'000;
    while (outstanding_ > 0 && now_ns() < deadline) {
      enter(10);
      reap();
    }
    for (auto& p : peers_) {
      if (p && !p->closing) {
        p->conn.retire();
      }
    }
  }

  /// Before 5.19 (IORING_ASYNC_CANCEL_ANY): one cancel per standing
  /// request (each user_data names one). UDP echoes, sent with
  /// MSG_DONTWAIT, end by themselves.
  void cancel_each() {
    cancel(Op::kWake, 0);
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
      cancel(Op::kAccept, static_cast<std::uint32_t>(i));
    }
    for (std::size_t i = 0; i < peers_.size(); ++i) {
      const Peer* p = peers_[i].get();
      if (p == nullptr) {
        continue;
      }
      if (p->recv_armed) {
        cancel(Op::kRecv, static_cast<std::uint32_t>(i));
      }
      if (tcp_ && p->sends > 0) {
        cancel(Op::kSend, static_cast<std::uint32_t>(i));
      }
    }
  }

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

void UringModel::check(const ServeSet& /*sockets*/) const {
  if (const std::string why = sys::uring_unavailable_reason(); !why.empty()) {
    throw SystemError::with_message(why, "io_uring_setup", ENOTSUP);
  }
}

void UringModel::run_loop(ServeSet part, int wake_fd, ThreadState& thread, std::stop_token stop) {
  Loop loop(*this, thread);
  loop.run(std::move(part), wake_fd, std::move(stop));
}

}  // namespace netbench::receiver
