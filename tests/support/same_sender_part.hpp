// Field-by-field equality of the sender's part of two results, exactly
// (doubles too): for tests of what carries a sender part from one place to
// another (the control connection's codec, a server that sends).
#pragma once

#include <cstddef>

#include <gtest/gtest.h>

#include "netbench/results.hpp"

namespace netbench {

/// Every member of two CpuUsage, exactly.
inline void expect_same_cpu(const CpuUsage& a, const CpuUsage& b) {
  EXPECT_EQ(a.user_s, b.user_s);  // exactly: doubles are written in full
  EXPECT_EQ(a.sys_s, b.sys_s);
  EXPECT_EQ(a.voluntary_switches, b.voluntary_switches);
  EXPECT_EQ(a.involuntary_switches, b.involuntary_switches);
  EXPECT_EQ(a.threads, b.threads);
}

/// Every member of two ZeroCopyStats.
inline void expect_same_zerocopy(const ZeroCopyStats& a, const ZeroCopyStats& b) {
  EXPECT_EQ(a.sends, b.sends);
  EXPECT_EQ(a.notifications, b.notifications);
  EXPECT_EQ(a.completions, b.completions);
  EXPECT_EQ(a.zerocopy, b.zerocopy);
  EXPECT_EQ(a.copied, b.copied);
  EXPECT_EQ(a.enobufs_waits, b.enobufs_waits);
  EXPECT_EQ(a.buffer_waits, b.buffer_waits);
  EXPECT_EQ(a.copy_fallbacks, b.copy_fallbacks);
  EXPECT_EQ(a.unexpected, b.unexpected);
  EXPECT_EQ(a.outstanding_at_end, b.outstanding_at_end);
}

/// Every member of two FlowSendStats, nested ones too.
inline void expect_same_send_flow(const FlowSendStats& a, const FlowSendStats& b) {
  SCOPED_TRACE("flow " + std::to_string(a.flow_id));
  EXPECT_EQ(a.flow_id, b.flow_id);
  EXPECT_EQ(a.messages, b.messages);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.warmup_messages, b.warmup_messages);
  EXPECT_EQ(a.send_failures, b.send_failures);
  EXPECT_EQ(a.would_block, b.would_block);
  EXPECT_EQ(a.replies, b.replies);
  EXPECT_EQ(a.reply_bytes, b.reply_bytes);
  EXPECT_EQ(a.replies_malformed, b.replies_malformed);
  EXPECT_EQ(a.reply_reordered, b.reply_reordered);
  EXPECT_EQ(a.reply_duplicates, b.reply_duplicates);
  EXPECT_EQ(a.reply_loss.sent, b.reply_loss.sent);
  EXPECT_EQ(a.reply_loss.unique, b.reply_loss.unique);
  EXPECT_EQ(a.reply_loss.lost, b.reply_loss.lost);
  EXPECT_EQ(a.reply_loss.bursts, b.reply_loss.bursts);
  EXPECT_EQ(a.reply_loss.burst_lengths, b.reply_loss.burst_lengths);
  EXPECT_EQ(a.reply_reorder_extents, b.reply_reorder_extents);
  EXPECT_EQ(a.tcp.valid, b.tcp.valid);
  EXPECT_EQ(a.tcp.retransmits, b.tcp.retransmits);
  EXPECT_EQ(a.tcp.srtt_us, b.tcp.srtt_us);
  EXPECT_EQ(a.tcp.rttvar_us, b.tcp.rttvar_us);
  EXPECT_EQ(a.tcp.cwnd_segments, b.tcp.cwnd_segments);
  EXPECT_EQ(a.tcp.mss_bytes, b.tcp.mss_bytes);
  EXPECT_EQ(a.tcp.segments_out, b.tcp.segments_out);
  EXPECT_EQ(a.tcp.segments_in, b.tcp.segments_in);
  expect_same_zerocopy(a.zerocopy, b.zerocopy);
  EXPECT_EQ(a.closed_by_peer, b.closed_by_peer);
}

/// Every member of two IntervalRecords.
inline void expect_same_interval(const IntervalRecord& a, const IntervalRecord& b) {
  EXPECT_EQ(a.start_ns, b.start_ns);
  EXPECT_EQ(a.end_ns, b.end_ns);
  EXPECT_EQ(a.sent_messages, b.sent_messages);
  EXPECT_EQ(a.sent_bytes, b.sent_bytes);
  EXPECT_EQ(a.received_messages, b.received_messages);
  EXPECT_EQ(a.received_bytes, b.received_bytes);
  EXPECT_EQ(a.reordered, b.reordered);
  EXPECT_EQ(a.duplicates, b.duplicates);
  EXPECT_EQ(a.latency_samples, b.latency_samples);
  EXPECT_EQ(a.latency_p50_ns, b.latency_p50_ns);
  EXPECT_EQ(a.latency_p99_ns, b.latency_p99_ns);
  EXPECT_EQ(a.warmup, b.warmup);
}

/// Every field of the sender part (what sender_part_to_json() carries):
/// message_bytes, measured_ns, sender_flows, sender, send_loops, pacing,
/// zerocopy, latency, latency_from_actual, start, intervals, complete,
/// error, warnings.
inline void expect_same_sender_part(const RunResult& a, const RunResult& b) {
  EXPECT_EQ(a.message_bytes, b.message_bytes);
  EXPECT_EQ(a.measured_ns, b.measured_ns);
  ASSERT_EQ(a.sender_flows.size(), b.sender_flows.size());
  for (std::size_t i = 0; i < a.sender_flows.size(); ++i) {
    expect_same_send_flow(a.sender_flows[i], b.sender_flows[i]);
  }
  expect_same_cpu(a.sender.cpu, b.sender.cpu);
  EXPECT_EQ(a.sender.loop.wakeups, b.sender.loop.wakeups);
  EXPECT_EQ(a.sender.loop.ready_events, b.sender.loop.ready_events);
  EXPECT_EQ(a.sender.tcp_congestion, b.sender.tcp_congestion);
  ASSERT_EQ(a.sender.uring.has_value(), b.sender.uring.has_value());
  if (a.sender.uring) {
    EXPECT_EQ(a.sender.uring->setup, b.sender.uring->setup);
    EXPECT_EQ(a.sender.uring->multishot_accept, b.sender.uring->multishot_accept);
    EXPECT_EQ(a.sender.uring->multishot_receive, b.sender.uring->multishot_receive);
    EXPECT_EQ(a.sender.uring->forced, b.sender.uring->forced);
    EXPECT_EQ(a.sender.uring->features, b.sender.uring->features);
  }
  ASSERT_EQ(a.send_loops.size(), b.send_loops.size());
  for (std::size_t i = 0; i < a.send_loops.size(); ++i) {
    EXPECT_EQ(a.send_loops[i].cpu, b.send_loops[i].cpu);
    EXPECT_EQ(a.send_loops[i].flows, b.send_loops[i].flows);
    EXPECT_EQ(a.send_loops[i].messages, b.send_loops[i].messages);
    expect_same_cpu(a.send_loops[i].cpu_usage, b.send_loops[i].cpu_usage);
  }
  EXPECT_EQ(a.pacing.target_msgs_per_s, b.pacing.target_msgs_per_s);
  EXPECT_EQ(a.pacing.lateness, b.pacing.lateness);
  EXPECT_EQ(a.pacing.first_send_ns, b.pacing.first_send_ns);
  EXPECT_EQ(a.pacing.last_send_ns, b.pacing.last_send_ns);
  EXPECT_EQ(a.pacing.sends, b.pacing.sends);
  ASSERT_EQ(a.zerocopy.has_value(), b.zerocopy.has_value());
  if (a.zerocopy) {
    expect_same_zerocopy(*a.zerocopy, *b.zerocopy);
  }
  EXPECT_EQ(a.latency, b.latency);
  EXPECT_EQ(a.latency_from_actual, b.latency_from_actual);
  EXPECT_EQ(a.start.requested_unix_ns, b.start.requested_unix_ns);
  EXPECT_EQ(a.start.actual_unix_ns, b.start.actual_unix_ns);
  ASSERT_EQ(a.intervals.size(), b.intervals.size());
  for (std::size_t i = 0; i < a.intervals.size(); ++i) {
    expect_same_interval(a.intervals[i], b.intervals[i]);
  }
  EXPECT_EQ(a.complete, b.complete);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.warnings, b.warnings);
}

}  // namespace netbench
