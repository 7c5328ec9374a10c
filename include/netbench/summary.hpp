#pragma once

#include <cstdint>

#include "netbench/results.hpp"

namespace netbench {

/// Whole-run totals over every flow, derived from a RunResult by one pure
/// function so that every report (terminal, JSON) prints the same numbers.
struct RunTotals {
  // Sender side.
  std::uint64_t sent_messages = 0;
  std::uint64_t sent_bytes = 0;
  std::uint64_t warmup_sent = 0;
  std::uint64_t send_failures = 0;  ///< UDP datagrams the sender's kernel refused
  std::uint64_t would_block = 0;
  double sent_bytes_per_s = 0;  ///< over the measured period
  double sent_msgs_per_s = 0;
  /// L3/L4 header bytes the messages cost on the wire: UDP 8 + IP header per
  /// datagram; TCP (IP + TCP header with timestamps) × segments sent.
  std::uint64_t wire_overhead_bytes = 0;
  // Receiver side (stream) or replies at the client (echo).
  std::uint64_t received_messages = 0;
  std::uint64_t received_bytes = 0;
  /// Stream: first to last measured arrival over every flow, ns (receiver's
  /// clock); 0 in echo mode or when nothing arrived.
  std::uint64_t receiver_active_ns = 0;
  /// Receiver rates are over the longer of the measured period and the
  /// receiver's own period, receiver_active_ns × n / (n − 1) for n messages
  /// (n arrivals span n − 1 gaps): data queued at a bottleneck arrives after
  /// the last send, and counting it over the sender's period would report a
  /// goodput the path cannot carry.
  double received_bytes_per_s = 0;
  double received_msgs_per_s = 0;
  std::uint64_t unique = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t reordered = 0;
  std::uint64_t max_reorder_extent = 0;
  std::uint64_t malformed = 0;
  // Loss (stream: receiver's count; echo: requests without a reply).
  std::uint64_t lost = 0;
  double loss_ratio = 0;  ///< lost / sent, in [0, 1]
  std::uint64_t loss_bursts = 0;
  std::uint64_t max_loss_burst = 0;
  std::uint64_t lost_at_sender = 0;           ///< send failures
  std::uint64_t lost_at_receiver_socket = 0;  ///< SO_RXQ_OVFL drops
  std::uint64_t lost_in_network = 0;          ///< the rest
  // TCP kernel view, over the sender's connections.
  std::uint64_t tcp_retransmits = 0;
  double tcp_mean_srtt_us = 0;
  // Costs.
  double sender_cpu_s = 0;
  /// Sender CPU over the run's warm-up and measured period: 1.0 = one core.
  double sender_cpu_share = 0;
  double receiver_cpu_s = 0;
  double sender_cpu_per_msg_ns = 0;
  double receiver_cpu_per_msg_ns = 0;
  double receiver_ready_per_wakeup = 0;
};

/// Computes the totals. Pure; never produces NaN or infinity.
[[nodiscard]] RunTotals summarize(const RunResult& r) noexcept;

}  // namespace netbench
