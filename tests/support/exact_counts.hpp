// The exact-count checks of the engine tests: a run of a fixed --count
// over kFlows flows, and every figure it must then show on both sides.
#pragma once

#include <cstdint>
#include <ostream>
#include <stop_token>

#include <gtest/gtest.h>

#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"
#include "watchdog.hpp"

namespace netbench {

// Parameter values by name in test listings (found by argument lookup).
inline void PrintTo(Proto p, std::ostream* os) { *os << to_string(p); }
inline void PrintTo(ModelKind m, std::ostream* os) { *os << to_string(m); }
inline void PrintTo(Mode m, std::ostream* os) { *os << to_string(m); }

}  // namespace netbench

namespace netbench::test_support {

/// Messages a standard run moves, over kFlows flows (an exact multiple).
constexpr std::uint64_t kMessages = 2000;
constexpr std::uint32_t kFlows = 4;
constexpr std::uint32_t kSize = 256;
/// UDP offered rate the receiver keeps up with, so no socket buffer overflows.
constexpr double kUdpRate = 20'000;
inline TestSpec make_spec(Proto proto, ModelKind model, Mode mode) {
  TestSpec s;
  s.proto = proto;
  s.model = model;
  s.mode = mode;
  s.flows = kFlows;
  s.count = kMessages;
  s.size_bytes = kSize;
  s.interval_ns = 100'000'000;
  if (proto == Proto::kUdp) {
    s.rate_msgs_per_s = kUdpRate;
    // Room for a receiver that a loaded CI machine (or TSan) descheduled
    // for a while: exact counts must not depend on the scheduler.
    s.socket_buffer_bytes = 4U << 20;
  }
  return s;
}

/// run_paired() with a watchdog: past test_support::kRunTimeout the run is stopped, which
/// leaves it incomplete, so a hang fails the test instead of blocking it.
inline RunResult run(const TestSpec& spec) {
  return with_watchdog([&](std::stop_token stop) { return run_paired(spec, {}, stop); });
}

struct Totals {
  std::uint64_t sent = 0;
  std::uint64_t sent_bytes = 0;
  std::uint64_t sent_warmup = 0;
  std::uint64_t replies = 0;
  std::uint64_t reply_bytes = 0;
  std::uint64_t reply_lost = 0;
  std::uint64_t reply_reordered = 0;
  std::uint64_t reply_duplicates = 0;
  std::uint64_t received = 0;
  std::uint64_t received_bytes = 0;
  std::uint64_t received_warmup = 0;
  std::uint64_t unique = 0;
  std::uint64_t lost = 0;
  std::uint64_t reordered = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t malformed = 0;
};

inline Totals totals(const RunResult& r) {
  Totals t;
  for (const FlowSendStats& f : r.sender_flows) {
    t.sent += f.messages;
    t.sent_bytes += f.bytes;
    t.sent_warmup += f.warmup_messages;
    t.replies += f.replies;
    t.reply_bytes += f.reply_bytes;
    t.reply_lost += f.reply_loss.lost;
    t.reply_reordered += f.reply_reordered;
    t.reply_duplicates += f.reply_duplicates;
  }
  for (const FlowRecvStats& f : r.receiver_flows) {
    t.received += f.messages;
    t.received_bytes += f.bytes;
    t.received_warmup += f.warmup_messages;
    t.unique += f.unique;
    t.lost += f.loss.lost;
    t.reordered += f.reordered;
    t.duplicates += f.duplicates;
    t.malformed += f.malformed;
  }
  return t;
}

/// Every figure of a run that moved spec.count messages without a fault.
inline void expect_exact(const RunResult& r, const TestSpec& spec) {
  const std::uint64_t k = spec.count;
  const std::uint64_t bytes = k * spec.message_bytes();
  EXPECT_TRUE(r.complete) << r.error;
  EXPECT_EQ(r.message_bytes, spec.message_bytes());
  const Totals t = totals(r);
  EXPECT_EQ(t.sent, k);
  EXPECT_EQ(t.sent_bytes, bytes);
  EXPECT_EQ(t.received, k) << "receiver's measured messages";
  EXPECT_EQ(t.received_bytes, bytes);
  EXPECT_EQ(t.malformed, 0U);
  EXPECT_EQ(r.latency.count(), k);
  ASSERT_EQ(r.sender_flows.size(), spec.flows);
  ASSERT_EQ(r.receiver_flows.size(), spec.flows);
  const std::uint64_t share = k / spec.flows;
  for (std::uint32_t i = 0; i < spec.flows; ++i) {
    const FlowSendStats& tx = r.sender_flows[i];
    const FlowRecvStats& rx = r.receiver_flows[i];
    EXPECT_EQ(tx.flow_id, i);
    EXPECT_EQ(rx.flow_id, i);
    EXPECT_EQ(tx.messages, share) << "flow " << i;
    EXPECT_EQ(rx.messages, share) << "flow " << i;
    EXPECT_EQ(tx.send_failures, 0U) << "flow " << i;
    EXPECT_FALSE(tx.closed_by_peer) << "flow " << i;
    EXPECT_FALSE(rx.stream_error) << "flow " << i;
    // Only a TCP stream sender closes (after its last message); the receiver
    // stops before an echo client or a UDP flow goes.
    const bool closes = spec.proto == Proto::kTcp && spec.mode == Mode::kStream;
    EXPECT_EQ(rx.peer_closed, closes) << "flow " << i;
    if (spec.mode == Mode::kEcho) {
      EXPECT_EQ(tx.replies, share) << "flow " << i;
      EXPECT_EQ(rx.echoed_messages, share) << "flow " << i;
      EXPECT_EQ(rx.echoed_bytes, share * spec.message_bytes()) << "flow " << i;
      EXPECT_EQ(rx.echo_failures, 0U) << "flow " << i;
    } else {
      EXPECT_EQ(rx.unique, share) << "flow " << i;
      EXPECT_EQ(rx.loss.sent, share) << "flow " << i;
    }
  }
  if (spec.mode == Mode::kEcho) {
    EXPECT_EQ(t.replies, k);
    EXPECT_EQ(t.reply_bytes, bytes);
    EXPECT_EQ(t.reply_lost, 0U);
    EXPECT_EQ(t.reply_reordered, 0U);
    EXPECT_EQ(t.reply_duplicates, 0U);
    EXPECT_EQ(r.latency_from_actual.count(), k);
  } else {
    EXPECT_EQ(t.unique, k);
    EXPECT_EQ(t.lost, 0U);
    EXPECT_EQ(t.reordered, 0U);
    EXPECT_EQ(t.duplicates, 0U);
  }
}

}  // namespace netbench::test_support
