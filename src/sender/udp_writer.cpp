#include "sender/udp_writer.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>

#include <algorithm>
#include <cstring>

namespace netbench::sender {
namespace {

/// A sendmmsg batch up to this size is laid out as whole datagrams.
constexpr std::size_t kMaxContiguousBatchBytes = 1U << 20;

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
  // The kernel cuts the buffer into datagrams of `size` bytes (gso_size).
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(std::uint16_t))> control{};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
  const auto gso_size = static_cast<std::uint16_t>(size_);
  std::memcpy(CMSG_DATA(c), &gso_size, sizeof gso_size);
  // All or nothing: one send carries every segment or fails as a whole.
  return ::sendmsg(f.fd.get(), &msg, MSG_DONTWAIT) >= 0 ? static_cast<int>(k) : -1;
}

}  // namespace netbench::sender
