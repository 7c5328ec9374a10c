#include "receiver/connection.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "netbench/registration.hpp"
#include "netbench/wire_header.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::receiver {

std::size_t udp_slot_bytes(const TestSpec& spec) noexcept {
  if (spec.skip_rx_copy) {
    // Only the header is read (MSG_TRUNC drops the rest); a slot of 48
    // keeps every one 16-byte aligned.
    return (kWireHeaderBytes + 15U) & ~std::size_t{15};
  }
  if (spec.proto == Proto::kUdp && spec.gso) {
    return kGroSlotBytes;  // a coalesced GRO buffer, not one datagram
  }
  // Rounded up to 16 bytes so that every slot starts aligned.
  return (std::size_t{spec.message_bytes()} + 15U) & ~std::size_t{15};
}

std::size_t receive_buffer_bytes(const TestSpec& spec) noexcept {
  if (spec.proto == Proto::kUdp) {
    // A batch of datagrams, at most 64 KiB, at least one datagram.
    const std::size_t slot = udp_slot_bytes(spec);
    if (spec.skip_rx_copy) {
      return kUdpBatch * slot;
    }
    if (spec.gso) {
      return kGroSlots * slot;
    }
    return std::max(slot, std::min(kUdpBatch * slot, std::size_t{64} * 1024));
  }
  // TCP: 64 KiB reads. Larger ones were slower on loopback (26-33 Gbit/s
  // at 256 KiB against 39-40 at 64 KiB in one session): the buffer stays in
  // L2, and the sender gets its window back sooner.
  return std::size_t{64} * 1024;
}

Connection::Connection(Fd fd, Proto proto, FlowState& flow, ThreadState& thread,
                       ReceiverState& state, bool blocking, std::stop_token stop)
    : fd_(std::move(fd)),
      proto_(proto),
      flow_(&flow),
      thread_(&thread),
      state_(&state),
      echo_(state.spec().replies()),
      blocking_(blocking),
      shared_udp_(proto == Proto::kUdp && state.spec().mode == Mode::kConnect),
      stop_(std::move(stop)),
      shared_clock_(state.shared_clock()),
      full_stats_(state.spec().full_stats()),
      skip_copy_(state.spec().skip_rx_copy),
      udp_slot_bytes_(udp_slot_bytes(state.spec())) {
  // --skip-rx-copy reads one header per datagram, so GRO, which would
  // hand over many datagrams behind one header, stays off.
  if (proto_ == Proto::kUdp && state.spec().gso && !skip_copy_) {
    // Take the sender's UDP_SEGMENT sends whole. A kernel without UDP_GRO
    // splits them into single datagrams instead, which reads just as well:
    // the refusal is not an error.
    const int one = 1;
    const bool gro = ::setsockopt(fd_.get(), SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
    // With GRO one counted socket drop is a whole batch of datagrams.
    flow_->drops = SocketDropCounter(gro);
  }
}

void Connection::retire() noexcept {
  if (!retired_) {
    retired_ = true;
    if (proto_ == Proto::kUdp) {
      // Drops after the last datagram read are only visible here.
      flow_->drops.on_counter(sys::udp_socket_drops(fd_.get()));
    }
    flow_->finished.store(true, std::memory_order_relaxed);
    for (FlowState* f : by_flow_) {
      if (f != nullptr) {
        f->finished.store(true, std::memory_order_relaxed);
      }
    }
    if (proto_ == Proto::kTcp && state_->spec().mode == Mode::kConnect) {
      // One transaction's connection: its figures join its flow's totals.
      state_->release_flow(*flow_);
    }
  }
}

FlowState* Connection::record_of(std::uint32_t flow_id) {
  if (!shared_udp_) {
    return flow_;
  }
  if (flow_id >= state_->spec().flows) {
    return nullptr;
  }
  if (by_flow_.empty()) {
    by_flow_.assign(state_->spec().flows, nullptr);
  }
  FlowState*& f = by_flow_[flow_id];
  if (f == nullptr) {
    f = &state_->add_flow();
    f->stats.flow_id = flow_id;
    f->flow_id_known = true;
  }
  return f;
}

void Connection::on_message(const WireHeader& h, std::uint64_t recv_ns) {
  FlowState* record = record_of(h.flow_id);
  if (record == nullptr) {
    ++flow_->stats.malformed;  // names a flow this test does not have
    return;
  }
  FlowState& f = *record;
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
  // The receiver's own period: what arrives after the sender's last send
  // (a backlog draining from a bottleneck) arrived in this time, not before.
  if (f.stats.first_arrival_ns == 0) {
    f.stats.first_arrival_ns = recv_ns;
  }
  f.stats.last_arrival_ns = recv_ns;
  if (!full_stats_) {
    return;  // --stats counts: no sequence tracking, delay or jitter
  }
  if (batch_start_) {
    batch_start_ = false;
    f.drops.on_batch(h.seq, f.tracker.next_expected(), batch_segments_);
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
  std::uint64_t delay_actual = 0;
  if (shared_clock_) {
    // Paired runs share CLOCK_MONOTONIC, so receive − send is one-way delay.
    delay_actual = recv_ns > h.send_ns ? recv_ns - h.send_ns : 0;
  } else {
    // Separate clocks: only the variation above the lowest transit seen so
    // far on this flow is meaningful (RFC 5481 PDV, against a running minimum).
    const auto transit = static_cast<std::int64_t>(recv_ns - h.send_ns);
    f.min_transit_ns = std::min(f.min_transit_ns, transit);
    delay_actual = static_cast<std::uint64_t>(transit - f.min_transit_ns);
  }
  // From the intended send time: add how late the sender was.
  const std::uint64_t delay =
      delay_actual + (h.send_ns > h.intended_ns ? h.send_ns - h.intended_ns : 0);
  t.record_delay({delay, delay_actual, f.jitter.on_arrival(h.send_ns, recv_ns)});
}

Connection::Status Connection::on_tcp_bytes(std::span<const std::byte> got,
                                            std::uint64_t now) noexcept {
  try {
    if (!decoder_.feed(got, [&](const WireHeader& h) { on_message(h, now); })) {
      ++flow_->stats.malformed;
      flow_->stats.stream_error = true;
      return Status::kClosed;
    }
    return Status::kOpen;
  } catch (const std::bad_alloc& e) {
    state_->record_failure(e, flow_->stats.flow_id);  // as in on_readable()
    return Status::kClosed;
  }
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

bool Connection::on_udp_read(std::span<const std::byte> got, const msghdr& msg, bool truncated,
                             std::uint64_t now, UdpEchoSink& sink,
                             std::size_t wire_bytes) noexcept {
  std::size_t segment = 0;  // GRO: the size of each coalesced datagram
  // CMSG_NXTHDR takes a non-const msghdr but only reads it.
  auto& m = const_cast<msghdr&>(msg);  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
      std::uint32_t drops = 0;
      std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
      flow_->drops.on_counter(drops);  // cumulative count of the socket, in skbs
    } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      int gso_size = 0;
      std::memcpy(&gso_size, CMSG_DATA(c), sizeof gso_size);
      segment = gso_size > 0 ? static_cast<std::size_t>(gso_size) : 0;
    }
  }
  const std::size_t len = got.size();
  // The first sequenced datagram of this skb tells how many datagrams
  // the socket dropped before it (SocketDropCounter).
  batch_start_ = true;
  batch_segments_ = segment == 0 || segment >= len ? 1 : (len + segment - 1) / segment;
  // The source, where a connect-mode socket answers (msg_name is unset on a
  // connected flow socket, which answers its peer).
  const auto* from = static_cast<const sockaddr*>(msg.msg_name);
  const socklen_t from_len = from != nullptr ? msg.msg_namelen : 0;
  try {
    if (segment == 0 || segment >= len) {
      on_datagram(got, truncated, now, sink, from, from_len, wire_bytes);
      return true;
    }
    // A GRO buffer: datagrams of `segment` bytes, the last one maybe shorter.
    for (std::size_t off = 0; off < len; off += segment) {
      on_datagram(got.subspan(off, std::min(segment, len - off)), truncated, now, sink, from,
                  from_len, 0);
    }
    return true;
  } catch (const std::bad_alloc& e) {
    state_->record_failure(e, flow_->stats.flow_id);  // as in on_readable()
    return false;
  }
}

void Connection::on_udp_echo_sent(FlowState& record, std::size_t size, long sent) noexcept {
  if (sent == static_cast<long>(size)) {
    ++record.stats.echoed_messages;
    record.stats.echoed_bytes += size;
  } else {
    ++record.stats.echo_failures;
  }
}

void Connection::on_datagram(std::span<const std::byte> got, bool truncated, std::uint64_t now,
                             UdpEchoSink& sink, const sockaddr* from, socklen_t from_len,
                             std::size_t wire_bytes) {
  if (shared_udp_ && !state_->admit_udp_source(from, from_len)) {
    return;  // connect mode, remote: another host's datagram is neither read nor answered
  }
  DecodeResult r;
  if (wire_bytes > got.size()) {
    // Only the header was read: its length must be the datagram's.
    r = decode_header(got);
    if (r.ok() && r.header.length != wire_bytes) {
      r = DecodeResult{DecodeStatus::kBadLength, {}};
    }
  } else if (!truncated) {
    r = decode_datagram(got);
  }
  if (!r.ok() && !truncated && is_registration(got)) {
    // A registration retry that arrived after the flow was connected (the
    // client resends until "registered" comes, which takes a control round
    // trip): the protocol's own datagram, neither data nor malformed, and
    // never echoed.
    return;
  }
  if (r.ok()) {
    on_message(r.header, now);
  } else {
    ++flow_->stats.malformed;
  }
  if (shared_udp_ && (!r.ok() || record_of(r.header.flow_id) == nullptr)) {
    // Connect mode answers only what decodes as a request of this test:
    // its socket is not connected to one registered peer.
    return;
  }
  if (echo_) {
    UdpEcho e{got};
    // Warm-up and malformed datagrams are echoed too, but counted apart
    // from the measured figures (as over TCP).
    if (r.ok() && !r.header.has(MessageFlag::kWarmup)) {
      e.record = record_of(r.header.flow_id);
    }
    if (shared_udp_) {
      e.to = from;
      e.to_len = from_len;
    }
    sink.echo(e);
  }
}

}  // namespace netbench::receiver
