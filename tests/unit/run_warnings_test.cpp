#include "measure/run_warnings.hpp"

#include <gtest/gtest.h>

namespace netbench {
namespace {

/// A paced run of `flows` flows at `target` msg/s whose sends achieved
/// `achieved` msg/s over 1 s and were at worst `late_ns` behind schedule.
RunResult paced(double target, double achieved, std::uint64_t late_ns, std::uint32_t flows = 1) {
  RunResult r;
  r.spec.flows = flows;
  r.pacing.target_msgs_per_s = target;
  r.pacing.sends = static_cast<std::uint64_t>(achieved) + 1;
  r.pacing.first_send_ns = 1'000;
  r.pacing.last_send_ns = 1'000 + 1'000'000'000;
  r.pacing.lateness.record(late_ns);
  return r;
}

TEST(RunWarningsTest, AnAchievedRateUnder99PercentOfTheTargetIsWarned) {
  const auto w = pacing_warnings(paced(1e6, 296'000, 1'000));
  ASSERT_EQ(w.size(), 1U);
  EXPECT_NE(w[0].find("29.6% of the target 1000000 msg/s"), std::string::npos) << w[0];
}

TEST(RunWarningsTest, A99PercentRateOnScheduleIsNotWarned) {
  EXPECT_TRUE(pacing_warnings(paced(10'000, 9'950, 500'000)).empty());
}

TEST(RunWarningsTest, FallingBehindByMoreThanAFlowIntervalIsWarned) {
  // 256 flows at 200k: one flow's interval is 1.28 ms; 119 ms behind.
  const auto w = pacing_warnings(paced(200'000, 200'000, 119'000'000, 256));
  ASSERT_EQ(w.size(), 1U);
  EXPECT_NE(w[0].find("119.000 ms behind"), std::string::npos) << w[0];
}

TEST(RunWarningsTest, LatenessUnderOneMillisecondIsAWakeUpNotFallingBehind) {
  // 50k msg/s, one flow: a 20 us interval, but a 300 us sleeping wake-up.
  EXPECT_TRUE(pacing_warnings(paced(50'000, 50'000, 300'000)).empty());
}

TEST(RunWarningsTest, AnUnpacedRunHasNoWarnings) {
  EXPECT_TRUE(pacing_warnings(paced(0, 5e6, 1'000'000'000)).empty());
}

}  // namespace
}  // namespace netbench
