#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <new>

#include "netbench/clock.hpp"
#include "netbench/wire_header.hpp"
#include "receiver/connection.hpp"

// The read paths of Connection: TCP reads (whole, or --skip-rx-copy's header
// then MSG_TRUNC payload) and UDP recvmmsg batches; the byte and datagram
// handling they feed is in connection.cpp.

namespace netbench::receiver {
namespace {

/// A readiness model's UDP echo: one send at once, never waiting.
class SendNow final : public UdpEchoSink {
 public:
  explicit SendNow(Connection& c) : c_(&c) {}
  void echo(const UdpEcho& e) override {
    // A flow socket is connected to the registered peer: it can echo to no
    // one else. A connect-mode socket answers each request's source.
    const ssize_t sent = e.to != nullptr ? ::sendto(c_->fd(), e.bytes.data(), e.bytes.size(),
                                                    MSG_NOSIGNAL | MSG_DONTWAIT, e.to, e.to_len)
                                         : ::send(c_->fd(), e.bytes.data(), e.bytes.size(),
                                                  MSG_NOSIGNAL | MSG_DONTWAIT);
    if (e.record != nullptr) {
      Connection::on_udp_echo_sent(*e.record, e.bytes.size(), static_cast<long>(sent));
    }
  }

 private:
  Connection* c_;
};

}  // namespace

Connection::Status Connection::on_readable(std::span<std::byte> rx, unsigned budget) {
  idle_ = false;
  if (wants_write()) {
    return on_writable();
  }
  try {
    if (proto_ == Proto::kTcp) {
      return skip_copy_ ? read_tcp_skipping(rx, budget) : read_tcp(rx, budget);
    }
    return read_udp(rx, budget);
  } catch (const std::bad_alloc& e) {
    // The measuring structures are bounded but allocate on first use: out of
    // memory there fails this test (its figures would be incomplete), not
    // the process and not the other tests of a server.
    state_->record_failure(e, flow_->stats.flow_id);
    return Status::kClosed;
  }
}

Connection::Status Connection::read_tcp(std::span<std::byte> rx, unsigned budget) {
  for (unsigned i = 0; i < budget; ++i) {
    const ssize_t n = ::recv(fd_.get(), rx.data(), rx.size(), 0);
    full_ = n > 0 && static_cast<std::size_t>(n) == rx.size();
    if (n > 0) {
      const auto got = rx.first(static_cast<std::size_t>(n));
      if (on_tcp_bytes(got, now_ns()) == Status::kClosed) {
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
    bool retry = false;
    const Status st = on_tcp_read_end(n, i, retry);
    if (!retry) {
      return st;
    }
  }
  return Status::kOpen;
}

Connection::Status Connection::on_tcp_read_end(ssize_t n, unsigned attempt, bool& retry) noexcept {
  retry = false;
  if (n == 0) {
    if (stop_.stop_requested()) {
      return Status::kClosed;  // our own shutdown() woke the recv, not the peer
    }
    return on_peer_gone();
  }
  if (errno == EINTR) {
    retry = true;
    return Status::kOpen;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    idle_ = attempt == 0;
    return Status::kOpen;
  }
  return on_peer_gone();  // ECONNRESET and the like
}

namespace {

/// Reads and discards up to `n` bytes of a TCP stream without copying them
/// (tcp(7): MSG_TRUNC with no buffer). A raw recvfrom system call, not
/// recv(): the sanitizers' recv() interceptor takes the null buffer as
/// written for the length returned, and TSan then reported two connection
/// threads racing on address 0.
ssize_t discard_tcp(int fd, std::size_t n) noexcept {
  return static_cast<ssize_t>(::syscall(SYS_recvfrom, fd, nullptr, n, MSG_TRUNC, nullptr, nullptr));
}

}  // namespace

Connection::Status Connection::read_tcp_skipping(std::span<std::byte> rx, unsigned budget) {
  // Two reads per message: its header (the decoder needs it: sequence,
  // timestamps, length), then its payload, which the kernel discards
  // without copying (tcp(7): MSG_TRUNC). A payload the decoder has not
  // announced is never skipped, so the framing stays exact.
  constexpr std::uint64_t kMaxSkip = std::uint64_t{1} << 30;
  for (unsigned i = 0; i < budget; ++i) {
    const std::uint64_t left = decoder_.payload_left();
    const std::size_t want = left > 0 ? static_cast<std::size_t>(std::min(left, kMaxSkip))
                                      : std::min(decoder_.header_missing(), rx.size());
    const ssize_t n =
        left > 0 ? discard_tcp(fd_.get(), want) : ::recv(fd_.get(), rx.data(), want, 0);
    full_ = n > 0 && static_cast<std::size_t>(n) == want;
    if (n > 0) {
      const std::uint64_t now = now_ns();
      if (left > 0) {
        decoder_.skip(static_cast<std::uint64_t>(n),
                      [&](const WireHeader& h) { on_message(h, now); });
      } else if (on_tcp_bytes(rx.first(static_cast<std::size_t>(n)), now) == Status::kClosed) {
        return Status::kClosed;
      }
      continue;
    }
    bool retry = false;
    const Status st = on_tcp_read_end(n, i, retry);
    if (!retry) {
      return st;
    }
  }
  return Status::kOpen;
}

Connection::Status Connection::read_udp(std::span<std::byte> rx, unsigned budget) {
  // recvmmsg takes up to kUdpBatch datagrams per call into slots of rx, each
  // as large as the test's message (a larger datagram arrives truncated and
  // fails to decode) or, under --gso, as a whole GRO buffer. One clock read
  // per batch: that is when the application got them.
  const std::size_t slot = udp_slot_bytes_;
  const unsigned vlen =
      static_cast<unsigned>(std::clamp<std::size_t>(rx.size() / slot, 1, kUdpBatch));
  std::array<mmsghdr, kUdpBatch> msgs{};
  std::array<iovec, kUdpBatch> iovs{};
  alignas(cmsghdr) std::array<std::array<char, kUdpControlBytes>, kUdpBatch> control{};
  // Connect mode: each request's source, to answer it with sendto().
  std::array<sockaddr_storage, kUdpBatch> names{};
  SendNow send_now(*this);
  for (unsigned call = 0; call < budget; ++call) {
    for (unsigned i = 0; i < vlen; ++i) {
      // --skip-rx-copy: the header alone; MSG_TRUNC reports the whole size.
      iovs[i] = {rx.data() + i * slot, skip_copy_ ? kWireHeaderBytes : slot};
      msgs[i].msg_hdr = {};
      if (shared_udp_) {
        msgs[i].msg_hdr.msg_name = &names[i];
        msgs[i].msg_hdr.msg_namelen = sizeof names[i];
      }
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = control[i].data();
      msgs[i].msg_hdr.msg_controllen = control[i].size();
      msgs[i].msg_len = 0;
    }
    // Blocking (thread model): wait for the first datagram only.
    const int n = ::recvmmsg(
        fd_.get(), msgs.data(), vlen,
        (blocking_ ? MSG_WAITFORONE : MSG_DONTWAIT) | (skip_copy_ ? MSG_TRUNC : 0), nullptr);
    full_ = n > 0 && static_cast<unsigned>(n) == vlen;
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNREFUSED) {
        // ECONNREFUSED: an ICMP error from an earlier echo; the socket goes on.
        idle_ = call == 0;
        return Status::kOpen;
      }
      return Status::kClosed;
    }
    if (blocking_ && stop_.stop_requested()) {
      // The thread model wakes a blocked recv with shutdown(), which then
      // reads 0: stop. Any other 0 is a peer's empty datagram: malformed.
      return Status::kClosed;
    }
    const std::uint64_t now = now_ns();
    for (int k = 0; k < n; ++k) {
      const mmsghdr& m = msgs[static_cast<std::size_t>(k)];
      const bool cut = (m.msg_hdr.msg_flags & MSG_TRUNC) != 0;
      if (skip_copy_) {
        // Truncated on purpose: the header was read, the size is msg_len.
        const std::span<const std::byte> header(rx.data() + static_cast<std::size_t>(k) * slot,
                                                std::min<std::size_t>(m.msg_len, kWireHeaderBytes));
        if (!on_udp_read(header, m.msg_hdr, false, now, send_now, m.msg_len)) {
          return Status::kClosed;
        }
        continue;
      }
      const std::span<const std::byte> got(rx.data() + static_cast<std::size_t>(k) * slot,
                                           m.msg_len);
      if (!on_udp_read(got, m.msg_hdr, cut, now, send_now)) {
        return Status::kClosed;
      }
    }
    if (static_cast<unsigned>(n) < vlen && !blocking_) {
      return Status::kOpen;  // the socket is empty
    }
  }
  return Status::kOpen;
}

}  // namespace netbench::receiver
