// The measured period of a run (docs/schema.md, `measured_ns`) and the rates
// taken over it: a paced run covers its schedule, at 1 msg/s as at 1 M msg/s,
// and a lossless run's sender and receiver rates agree.
#include <cstdint>

#include <gtest/gtest.h>

#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/sender.hpp"
#include "netbench/summary.hpp"
#include "netbench/test_spec.hpp"

namespace netbench {
namespace {

constexpr std::uint64_t kSecond = 1'000'000'000;

TEST(MeasuredPeriodTest, UnpacedRunIsItsActiveSpan) {
  TestSpec s;
  s.duration_ns = 5 * kSecond;
  EXPECT_EQ(measured_period_ns(s, 100, 350, false), 250U);
  EXPECT_EQ(measured_period_ns(s, 100, 50, false), 0U);  // nothing measured
}

TEST(MeasuredPeriodTest, PacedDurationRunCoversTheWholeDuration) {
  TestSpec s;
  s.rate_msgs_per_s = 1;
  s.duration_ns = kSecond;
  // One message at t = 0 took 20 µs to send: still 1 s of traffic.
  EXPECT_EQ(measured_period_ns(s, 1000, 1000 + 20'700, false), kSecond);
  // A sender that fell behind its schedule: the time it took.
  EXPECT_EQ(measured_period_ns(s, 0, 3 * kSecond, false), 3 * kSecond);
}

TEST(MeasuredPeriodTest, PacedCountRunCoversCountOverRate) {
  TestSpec s;
  s.rate_msgs_per_s = 1'000;
  s.count = 500;
  s.duration_ns = 0;
  // 500 messages 1 ms apart span 500 gaps: 0.5 s, though the last went at 499 ms.
  EXPECT_EQ(measured_period_ns(s, 0, 499'000'000, false), 500'000'000U);
}

TEST(MeasuredPeriodTest, RunEndedEarlyIsItsActiveSpan) {
  TestSpec s;
  s.rate_msgs_per_s = 10;
  s.duration_ns = 10 * kSecond;
  EXPECT_EQ(measured_period_ns(s, 0, 2 * kSecond, true), 2 * kSecond);
}

TEST(MeasuredPeriodTest, OneMessagePerSecondRunReportsOneMessagePerSecond) {
  TestSpec s;
  s.rate_msgs_per_s = 1;
  s.duration_ns = kSecond;
  s.interval_ns = kSecond;
  const RunResult r = run_paired(s);
  ASSERT_TRUE(r.complete) << r.error;
  EXPECT_GE(r.measured_ns, kSecond);
  EXPECT_LT(r.measured_ns, kSecond + kSecond / 2);
  const RunTotals t = summarize(r);
  EXPECT_EQ(t.sent_messages, 1U);
  EXPECT_NEAR(t.sent_msgs_per_s, 1.0, 0.01);
  EXPECT_NEAR(t.received_msgs_per_s, 1.0, 0.01);
  // The one message's interval spans the run, not the send's 20 µs.
  ASSERT_FALSE(r.intervals.empty());
  std::uint64_t sent = 0;
  for (const IntervalRecord& i : r.intervals) {
    sent += i.sent_messages;
    EXPECT_GE(i.end_ns - i.start_ns, kSecond / 2) << "a sliver of an interval";
  }
  EXPECT_EQ(sent, 1U);
}

TEST(MeasuredPeriodTest, LosslessPacedUdpRunAgreesOnBothSides) {
  TestSpec s;
  s.proto = Proto::kUdp;
  s.rate_msgs_per_s = 3;
  s.duration_ns = 2 * kSecond;
  const RunResult r = run_paired(s);
  ASSERT_TRUE(r.complete) << r.error;
  const RunTotals t = summarize(r);
  ASSERT_EQ(t.sent_messages, 6U);
  ASSERT_EQ(t.unique, 6U);  // loopback at 3 msg/s loses nothing
  EXPECT_EQ(r.measured_ns, 2 * kSecond);
  // 6 × 1400 B × 8 over 2 s = 33.6 kbit/s on both sides (not 40.3 sent).
  EXPECT_NEAR(t.sent_bytes_per_s * 8, 33'600, 1);
  EXPECT_NEAR(t.received_bytes_per_s * 8, 33'600, 336);
}

}  // namespace
}  // namespace netbench
