#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <span>

#include "netbench/clock.hpp"
#include "receiver/models/uring_loop.hpp"
#include "sys/uring.hpp"

namespace netbench::receiver {

using uring_detail::EchoSlot;
using uring_detail::kEchoBacklogBytes;

void UringModel::Loop::on_tcp_recv(std::uint32_t i, const io_uring_cqe& cqe) {
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

void UringModel::Loop::on_udp_recv(std::uint32_t i, const io_uring_cqe& cqe, std::uint64_t now) {
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
    const std::size_t at = sizeof(io_uring_recvmsg_out) + p.msg.msg_namelen + p.msg.msg_controllen;
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
void UringModel::Loop::on_udp_single(std::uint32_t i, int bytes, std::uint64_t now) {
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

void UringModel::Loop::send_echo(std::uint32_t i, std::uint16_t id, const UdpEcho& e) {
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
void UringModel::Loop::send_single_echo(std::uint32_t i, const UdpEcho& e) {
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
void UringModel::Loop::release(std::uint16_t id) noexcept {
  if (--holds_[id] == 0) {
    bufs_->recycle(id);
  }
}

void UringModel::Loop::queue_echo(std::uint32_t i, std::span<const std::byte> bytes) {
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
void UringModel::Loop::start_send(std::uint32_t i) {
  Peer& p = *peers_[i];
  p.sending.swap(p.queued);
  p.queued.clear();
  p.sent = 0;
  submit_send(i);
}

void UringModel::Loop::submit_send(std::uint32_t i) {
  Peer& p = *peers_[i];
  ++p.sends;
  const int fd = p.conn.fd();
  const std::span<const std::byte> rest = std::span(p.sending).subspan(p.sent);
  arm(Op::kSend, i,
      [&](io_uring_sqe* s) { io_uring_prep_send(s, fd, rest.data(), rest.size(), MSG_NOSIGNAL); });
}

void UringModel::Loop::on_tcp_sent(std::uint32_t i, int res) {
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

}  // namespace netbench::receiver
