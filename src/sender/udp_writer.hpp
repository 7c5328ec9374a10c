#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "sender/message_ledger.hpp"
#include "sender/send_flow.hpp"
#include "sender/sender_state.hpp"

namespace netbench::sender {

/// Writes a UDP flow's datagrams: up to --batch datagrams that are due go in
/// one sendmmsg() (one plain send() when one is due), or with --gso in one
/// UDP_SEGMENT send that the kernel cuts into datagrams. Only what the kernel
/// takes is booked: the schedule is peeked on a cursor. One per send loop;
/// used on its thread.
class UdpWriter {
 public:
  /// `state` and `ledger` must outlive the writer.
  UdpWriter(const SenderState& state, MessageLedger& ledger);

  /// Sends what is due of flow `f` at `now`.
  SendResult write(SendFlow& f, std::uint64_t now);
  /// Most datagrams one send call carries (--batch, --gso; else 1).
  [[nodiscard]] std::size_t slots() const noexcept { return slots_.size(); }
  /// Datagrams one UDP_SEGMENT send carries with --gso (0 without).
  [[nodiscard]] std::size_t gso_segments() const noexcept { return gso_segments_; }

 private:
  /// One datagram of a batch.
  struct Slot {
    std::array<std::byte, kWireHeaderBytes> header{};
    std::array<iovec, 2> iov{};
    Outgoing message;
  };
  /// Writes slot i's header into its place in dgrams_; that place.
  std::span<std::byte> place(std::size_t i) noexcept;
  /// Sends slots [0, k) as one UDP_SEGMENT send: k, or -1 (all or nothing).
  int send_gso(SendFlow& f, std::size_t k);
  /// Sends slots [0, k) with sendmmsg: how many went, or -1.
  int send_batch(SendFlow& f, std::size_t k);
  /// --zerocopy: up to `limit` due datagrams of `f`, each header in the
  /// flow's HeaderRing (held until the kernel's completion), the filler
  /// shared and never written: one send, a sendmmsg or one UDP_SEGMENT send
  /// with MSG_ZEROCOPY.
  SendResult write_zerocopy(SendFlow& f, std::uint64_t now, std::size_t limit);
  /// --zerocopy: sends the k datagrams laid out in zc_iov_ (`n_iov`
  /// entries): how many went, or -1.
  int send_zerocopy(SendFlow& f, std::size_t k, std::size_t n_iov);

  const SenderState& state_;
  MessageLedger& ledger_;
  std::uint32_t size_;
  std::size_t gso_segments_ = 0;
  std::vector<std::byte> payload_;  ///< one datagram of filler shared by every flow
  std::vector<Slot> slots_;         ///< --batch slots (gso_segments_ under --gso)
  std::vector<mmsghdr> mmsg_;
  // Whole datagrams back to back, each header written in place (the filler
  // after each header stays zero): the --gso super-datagram, and the
  // sendmmsg batch when it fits in kMaxContiguousBatchBytes, so that each
  // datagram is one iovec (the kernel's single-segment fast path) instead
  // of header + shared filler.
  std::vector<std::byte> dgrams_;
  // --zerocopy: an iovec per datagram (a UDP_SEGMENT send: per run of
  // consecutive ring slots), and the ring slot of each datagram.
  std::vector<iovec> zc_iov_;
  std::vector<std::size_t> zc_header_;
};

}  // namespace netbench::sender
