#include "sender/udp_writer.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace netbench::sender {
namespace {

/// A sendmmsg batch up to this size is laid out as whole datagrams.
constexpr std::size_t kMaxContiguousBatchBytes = 1U << 20;

/// Room for the UDP_SEGMENT control message of a GSO send.
using GsoControl = std::array<char, CMSG_SPACE(sizeof(std::uint16_t))>;

/// Asks the kernel to cut `msg`'s payload into datagrams of `size` bytes
/// (UDP_SEGMENT), the control message living in `control`.
void set_gso_size(msghdr& msg, GsoControl& control, std::size_t size) noexcept {
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
  const auto gso_size = static_cast<std::uint16_t>(size);
  std::memcpy(CMSG_DATA(c), &gso_size, sizeof gso_size);
}

}  // namespace

UdpWriter::UdpWriter(const SenderState& state, MessageLedger& ledger)
    : state_(state), ledger_(ledger), size_(state.size()), payload_(state.size(), std::byte{0}) {
  const TestSpec& spec = state.spec();
  if (spec.gso) {
    gso_segments_ = std::clamp<std::size_t>(kMaxGsoBytes / size_, 1, kMaxGsoSegments);
  }
  slots_.resize(std::max<std::size_t>({1, spec.batch, gso_segments_}));
  if (slots_.size() > 1 && (spec.gso || slots_.size() * size_ <= kMaxContiguousBatchBytes)) {
    dgrams_.assign(slots_.size() * size_, std::byte{0});
  }
  mmsg_.resize(slots_.size());
  if (spec.zerocopy) {
    zc_iov_.resize(slots_.size());
    zc_header_.resize(slots_.size());
  }
}

std::span<std::byte> UdpWriter::place(std::size_t i) noexcept {
  const std::span<std::byte> slot(dgrams_.data() + i * size_, size_);
  std::memcpy(slot.data(), slots_[i].header.data(), kWireHeaderBytes);
  return slot;
}

SendResult UdpWriter::write(SendFlow& f, std::uint64_t now) {
  const TestSpec& spec = state_.spec();
  std::size_t limit = spec.gso ? gso_segments_ : slots_.size();
  if (state_.echo() && !spec.open_loop()) {
    limit = std::min<std::size_t>(
        limit, spec.outstanding - std::min<std::uint64_t>(f.outstanding, spec.outstanding));
  }
  if (f.zc) {
    return write_zerocopy(f, now, limit);
  }
  MessageCursor c = MessageLedger::cursor(f);
  std::size_t k = 0;
  for (; k < limit; ++k) {
    const std::optional<Outgoing> m = ledger_.take(f, c, now, k == 0, slots_[k].header);
    if (!m) {
      break;
    }
    slots_[k].message = *m;
  }
  if (k == 0) {
    return SendResult::kNothing;
  }
  int sent = 0;
  if (spec.gso && k > 1) {
    sent = send_gso(f, k);
  } else if (k == 1) {
    std::memcpy(payload_.data(), slots_[0].header.data(), kWireHeaderBytes);
    sent = ::send(f.fd.get(), payload_.data(), size_, MSG_DONTWAIT) >= 0 ? 1 : -1;
  } else {
    sent = send_batch(f, k);
  }
  if (sent > 0) {
    // A short count: the kernel reports the next datagram's error next time.
    for (int i = 0; i < sent; ++i) {
      ledger_.sent(f, now, slots_[static_cast<std::size_t>(i)].message);
    }
    return SendResult::kSent;
  }
  if (is_retryable(errno)) {
    ++f.stats.would_block;
    return SendResult::kBlocked;
  }
  // ENOBUFS, ECONNREFUSED (an ICMP error from an earlier datagram) ...: the
  // datagram is gone; it counts as sent and failed (loss attribution).
  ++f.stats.send_failures;
  ledger_.sent(f, now, slots_[0].message);
  return SendResult::kSent;
}

int UdpWriter::send_batch(SendFlow& f, std::size_t k) {
  for (std::size_t i = 0; i < k; ++i) {
    Slot& b = slots_[i];
    mmsg_[i] = {};
    mmsg_[i].msg_hdr.msg_iov = b.iov.data();
    if (!dgrams_.empty()) {
      const std::span<std::byte> slot = place(i);
      b.iov[0] = {slot.data(), slot.size()};
      mmsg_[i].msg_hdr.msg_iovlen = 1;
    } else {
      b.iov[0] = {b.header.data(), kWireHeaderBytes};
      b.iov[1] = {payload_.data() + kWireHeaderBytes, size_ - kWireHeaderBytes};
      mmsg_[i].msg_hdr.msg_iovlen = b.iov.size();
    }
  }
  return ::sendmmsg(f.fd.get(), mmsg_.data(), static_cast<unsigned>(k), MSG_DONTWAIT);
}

int UdpWriter::send_gso(SendFlow& f, std::size_t k) {
  for (std::size_t i = 0; i < k; ++i) {
    place(i);
  }
  iovec iov{dgrams_.data(), k * size_};
  alignas(cmsghdr) GsoControl control{};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  set_gso_size(msg, control, size_);
  // All or nothing: one send carries every segment or fails as a whole.
  return ::sendmsg(f.fd.get(), &msg, MSG_DONTWAIT) >= 0 ? static_cast<int>(k) : -1;
}

SendResult UdpWriter::write_zerocopy(SendFlow& f, std::uint64_t now, std::size_t limit) {
  ZeroCopyFlow& zc = *f.zc;
  if (zc.ring.free() <= zc.ring.capacity() / 2) {
    zc.reap(f.fd.get());  // now and then, not per send: a read per notification
  }
  if (zc.ring.free() == 0) {
    ++zc.tracker.stats().buffer_waits;
    return SendResult::kWaitCompletions;
  }
  limit = std::min(limit, zc.ring.free());
  MessageCursor c = MessageLedger::cursor(f);
  std::size_t k = 0;
  std::size_t n_iov = 0;
  for (; k < limit; ++k) {
    const std::size_t h = zc.ring.acquire();
    const std::optional<Outgoing> m = ledger_.take(f, c, now, k == 0, zc.ring.header(h));
    if (!m) {
      zc.ring.unacquire(1);
      break;
    }
    slots_[k].message = *m;
    zc_header_[k] = h;
    // The whole datagram is its slot: the header written in place, the
    // filler after it zero since the ring was made.
    const std::span<std::byte> d = zc.ring.slot(h);
    iovec& last = zc_iov_[n_iov == 0 ? 0 : n_iov - 1];
    if (state_.spec().gso && n_iov > 0 &&
        static_cast<std::byte*>(last.iov_base) + last.iov_len == d.data()) {
      last.iov_len += d.size();  // the next slot: one range (one frag per page)
    } else {
      zc_iov_[n_iov++] = {d.data(), d.size()};
    }
  }
  if (k == 0) {
    return SendResult::kNothing;
  }
  const int sent = send_zerocopy(f, k, n_iov);
  if (sent > 0) {
    const auto n = static_cast<std::size_t>(sent);
    // The kernel numbers each call it takes with MSG_ZEROCOPY: one id per
    // datagram of a sendmmsg, one for a whole UDP_SEGMENT send.
    const bool one_call = state_.spec().gso && k > 1;
    const std::uint64_t id = one_call && !zc.fell_back ? zc.tracker.issue() : 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!zc.fell_back) {
        zc.ring.stamp(zc_header_[i], one_call ? id : zc.tracker.issue());
      }
      zc.ring.close(zc_header_[i]);
      ledger_.sent(f, now, slots_[i].message);
    }
    zc.ring.unacquire(k - n);  // the unsent ones were acquired last
    return SendResult::kSent;
  }
  const int err = errno;
  zc.ring.unacquire(k);
  if (err == ENOBUFS && !zc.fell_back && zc.tracker.outstanding() > 0) {
    // Option memory for notifications ran out: completions free it.
    ++zc.tracker.stats().enobufs_waits;
    return SendResult::kWaitCompletions;
  }
  if (is_retryable(err)) {
    ++f.stats.would_block;
    return SendResult::kBlocked;
  }
  if (err != ENOBUFS) {
    // A send can fail after the kernel numbered it (a netfilter drop, say),
    // and then ours and the kernel's ids would disagree, and a header could
    // be rewritten in flight: this flow copies from now on.
    zc.fell_back = true;
  }
  // As without --zerocopy: the datagram is gone, counted sent and failed.
  ++f.stats.send_failures;
  ledger_.sent(f, now, slots_[0].message);
  return SendResult::kSent;
}

int UdpWriter::send_zerocopy(SendFlow& f, std::size_t k, std::size_t n_iov) {
  ZeroCopyFlow& zc = *f.zc;
  const int flags = MSG_DONTWAIT | zc.flags();
  if (zc.fell_back) {
    ++zc.tracker.stats().copy_fallbacks;
  }
  if (k == 1 || state_.spec().gso) {
    alignas(cmsghdr) GsoControl control{};
    msghdr msg{};
    msg.msg_iov = zc_iov_.data();
    msg.msg_iovlen = n_iov;
    if (k > 1) {
      set_gso_size(msg, control, size_);  // the kernel cuts the ranges into datagrams
    }
    return ::sendmsg(f.fd.get(), &msg, flags) >= 0 ? static_cast<int>(k) : -1;
  }
  for (std::size_t i = 0; i < k; ++i) {
    mmsg_[i] = {};
    mmsg_[i].msg_hdr.msg_iov = &zc_iov_[i];
    mmsg_[i].msg_hdr.msg_iovlen = 1;
  }
  return ::sendmmsg(f.fd.get(), mmsg_.data(), static_cast<unsigned>(k), flags);
}

}  // namespace netbench::sender
