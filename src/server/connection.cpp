#include "server/connection.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "net/socket_ops.hpp"
#include "netbench/clock.hpp"
#include "netbench/wire_header.hpp"

namespace netbench::server {

std::size_t receive_buffer_bytes(const TestSpec& spec) noexcept {
  // UDP: room for the largest datagram. TCP: large reads amortise syscalls.
  if (spec.proto == Proto::kUdp) {
    return 65'536;
  }
  return 256U * 1024U;
}

Connection::Connection(Fd fd, Proto proto, FlowState& flow, ThreadState& thread,
                       const ReceiverState& state, bool blocking, std::stop_token stop)
    : fd_(std::move(fd)),
      proto_(proto),
      flow_(&flow),
      thread_(&thread),
      echo_(state.spec().mode == Mode::kEcho),
      blocking_(blocking),
      stop_(std::move(stop)) {}

void Connection::retire() noexcept {
  if (!retired_) {
    retired_ = true;
    if (proto_ == Proto::kUdp) {
      // Drops after the last datagram read are only visible here.
      flow_->stats.socket_drops =
          std::max(flow_->stats.socket_drops, net::udp_socket_drops(fd_.get()));
    }
    flow_->finished.store(true, std::memory_order_relaxed);
  }
}

Connection::Status Connection::on_readable(std::span<std::byte> rx, unsigned budget) {
  if (wants_write()) {
    return on_writable();
  }
  return proto_ == Proto::kTcp ? read_tcp(rx, budget) : read_udp(rx, budget);
}

void Connection::on_message(const WireHeader& h, std::uint64_t recv_ns) noexcept {
  FlowState& f = *flow_;
  if (!f.flow_id_known) {
    f.stats.flow_id = h.flow_id;
    f.flow_id_known = true;
  }
  if (h.has(MessageFlag::kWarmup)) {
    ++f.stats.warmup_messages;
    return;
  }
  bump(f.live_messages);
  bump(f.live_bytes, h.length);
  if (echo_) {
    if (proto_ == Proto::kTcp) {
      // Every decoded byte is echoed or the connection dies. Counted here,
      // per measured message, so that warm-up stays out as for UDP.
      ++f.stats.echoed_messages;
      f.stats.echoed_bytes += h.length;
    }
    return;  // the client measures echo; the server only counts
  }
  switch (f.tracker.on_arrival(h.seq)) {
    case Arrival::kReordered:
      bump(f.live_reordered);
      break;
    case Arrival::kDuplicate:
      bump(f.live_duplicates);
      return;  // a duplicate's delay says nothing new
    default:
      break;
  }
  ThreadState& t = *thread_;
  // Paired runs share CLOCK_MONOTONIC, so receive − send is one-way delay.
  const std::uint64_t delay = recv_ns > h.intended_ns ? recv_ns - h.intended_ns : 0;
  const std::uint64_t delay_actual = recv_ns > h.send_ns ? recv_ns - h.send_ns : 0;
  t.delay->record(delay);
  t.delay_actual->record(delay_actual);
  t.interval.record(delay_actual);
  const std::int64_t d = f.jitter.on_arrival(h.send_ns, recv_ns);
  if (d >= 0) {
    t.ipdv->record(static_cast<std::uint64_t>(d));
  }
}

Connection::Status Connection::read_tcp(std::span<std::byte> rx, unsigned budget) {
  for (unsigned i = 0; i < budget; ++i) {
    const ssize_t n = ::recv(fd_.get(), rx.data(), rx.size(), 0);
    if (n > 0) {
      const auto got = rx.first(static_cast<std::size_t>(n));
      const std::uint64_t now = now_ns();
      const bool ok = decoder_.feed(got, [&](const WireHeader& h) { on_message(h, now); });
      if (!ok) {
        ++flow_->stats.malformed;
        flow_->stats.stream_error = true;
        return Status::kClosed;
      }
      if (echo_) {
        if (!echo_tcp(got)) {
          return Status::kClosed;
        }
        if (wants_write()) {
          return Status::kOpen;  // stop reading until the echo drains
        }
      }
      continue;
    }
    if (n == 0) {
      if (stop_.stop_requested()) {
        return Status::kClosed;  // our own shutdown() woke the recv, not the peer
      }
      return on_peer_gone();
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return Status::kOpen;
    }
    return on_peer_gone();  // ECONNRESET and the like
  }
  return Status::kOpen;
}

Connection::Status Connection::on_peer_gone() noexcept {
  flow_->stats.peer_closed = true;
  if (!decoder_.at_boundary()) {
    // The stream ended inside a message: it can never complete. Count it, so
    // that a peer that quit mid-message is recorded even before its first
    // whole message (the sender counts only whole messages as sent).
    ++flow_->stats.malformed;
  }
  return Status::kClosed;
}

bool Connection::echo_tcp(std::span<const std::byte> bytes) {
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd_.get(), bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !blocking_) {
      // Keep the rest; the model polls for writing until it drains.
      pending_.assign(bytes.begin() + static_cast<std::ptrdiff_t>(off), bytes.end());
      pending_off_ = 0;
      return true;
    }
    return false;
  }
  return true;
}

Connection::Status Connection::on_writable() {
  while (pending_off_ < pending_.size()) {
    const ssize_t n = ::send(fd_.get(), pending_.data() + pending_off_,
                             pending_.size() - pending_off_, MSG_NOSIGNAL);
    if (n > 0) {
      pending_off_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return Status::kOpen;
    }
    return Status::kClosed;
  }
  pending_.clear();
  pending_off_ = 0;
  return Status::kOpen;
}

Connection::Status Connection::read_udp(std::span<std::byte> rx, unsigned budget) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::uint32_t))];
  for (unsigned i = 0; i < budget; ++i) {
    iovec iov{rx.data(), rx.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd_.get(), &msg, 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNREFUSED) {
        // ECONNREFUSED: an ICMP error from an earlier echo; the socket goes on.
        return Status::kOpen;
      }
      return Status::kClosed;
    }
    if (n == 0 && blocking_ && stop_.stop_requested()) {
      // The thread model wakes a blocked recv with shutdown(), which then
      // reads 0: stop. Any other 0 is a peer's empty datagram: malformed.
      return Status::kClosed;
    }
    const std::uint64_t now = now_ns();
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
        std::uint32_t drops = 0;
        std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
        flow_->stats.socket_drops = drops;  // cumulative count of the socket
      }
    }
    const auto got = rx.first(static_cast<std::size_t>(n));
    const DecodeResult r = decode_datagram(got);
    if (r.ok()) {
      on_message(r.header, now);
    } else {
      ++flow_->stats.malformed;
    }
    if (echo_) {
      // The socket is connected to the registered peer: it can echo to no one else.
      const ssize_t sent = ::send(fd_.get(), got.data(), got.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      // Warm-up and malformed datagrams are echoed too, but counted apart
      // from the measured figures (as over TCP).
      if (r.ok() && !r.header.has(MessageFlag::kWarmup)) {
        if (sent == n) {
          ++flow_->stats.echoed_messages;
          flow_->stats.echoed_bytes += got.size();
        } else {
          ++flow_->stats.echo_failures;
        }
      }
    }
  }
  return Status::kOpen;
}

}  // namespace netbench::server
