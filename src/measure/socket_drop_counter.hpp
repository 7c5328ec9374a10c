#pragma once

#include <cstdint>

namespace netbench {

/// Turns a UDP socket's drop counter into dropped *datagrams*.
///
/// The kernel's counter (sk_drops, read with SO_RXQ_OVFL or SO_MEMINFO)
/// counts socket buffers (skbs), and so do /proc/net/snmp's Udp
/// RcvbufErrors and InErrors: one per datagram normally, but one per whole
/// GRO batch (up to 64 datagrams) on a socket with UDP_GRO. For such a
/// socket the datagrams are found from the sequence numbers instead: the
/// counter a received skb carries (SO_RXQ_OVFL, stamped at enqueue) says how
/// many skbs were dropped since the previous one was queued, and the gap in
/// sequence numbers before that skb's first datagram says how many
/// datagrams they held. The gap is bounded by the dropped skbs: at least one
/// datagram each, at most as many as the largest batch received — so a
/// network loss inside the same gap can be counted against the socket only
/// up to that bound. Without GRO the counter is taken as it is (exact).
/// Drops after the last received skb are matched against the sender's count
/// in finalize(). Pure; one flow's reading thread only.
class SocketDropCounter {
 public:
  /// `coalesced`: the socket has UDP_GRO on (one counted drop may be many
  /// datagrams).
  explicit SocketDropCounter(bool coalesced = false) noexcept : coalesced_(coalesced) {}

  /// The socket's cumulative drop counter (skbs), as read with a received
  /// skb or from the socket; a reading below an earlier one is ignored.
  void on_counter(std::uint64_t cumulative_skbs) noexcept;

  /// A received skb holding `segments` datagrams, whose first sequenced
  /// datagram is `first_seq`, while the flow expected `next_expected`
  /// (highest seen + 1). Call after on_counter() for that skb.
  void on_batch(std::uint64_t first_seq, std::uint64_t next_expected,
                std::uint64_t segments) noexcept;

  /// Datagrams dropped by the socket, counting drops not yet matched to a
  /// gap as one datagram each.
  [[nodiscard]] std::uint64_t datagrams() const noexcept;

  /// Datagrams dropped by the socket once the sender's count `sent` of the
  /// flow is known: drops after the last received skb are matched against
  /// the tail gap `sent − next_expected`.
  [[nodiscard]] std::uint64_t finalize(std::uint64_t sent,
                                       std::uint64_t next_expected) const noexcept;

  /// The kernel's own count, skbs.
  [[nodiscard]] std::uint64_t skbs() const noexcept { return seen_skbs_; }

 private:
  [[nodiscard]] std::uint64_t match(std::uint64_t gap, std::uint64_t skbs) const noexcept;

  bool coalesced_;
  std::uint64_t seen_skbs_ = 0;     // the counter's highest reading
  std::uint64_t pending_skbs_ = 0;  // dropped skbs not yet matched to a gap
  std::uint64_t datagrams_ = 0;     // matched drops, datagrams
  std::uint64_t max_segments_ = 1;  // the largest batch received, datagrams
};

}  // namespace netbench
