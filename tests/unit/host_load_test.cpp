// The decision of host-load warnings, on hand-made /proc/stat samples.
#include "netbench/host_load.hpp"

#include <gtest/gtest.h>

namespace netbench {
namespace {

HostCpuTimes idle_host(std::uint64_t ticks) {
  HostCpuTimes t;
  t.idle = ticks;
  return t;
}

TEST(HostLoadTest, AQuietHostGivesNoWarning) {
  HostCpuTimes after = idle_host(1000);
  after.user = 50;  // netbench's own 0.5 s at 100 ticks/s
  EXPECT_TRUE(host_load_warnings(idle_host(0), after, 0.5, 100).empty());
}

TEST(HostLoadTest, StealAboveOnePercentWarns) {
  HostCpuTimes after = idle_host(950);
  after.steal = 50;  // 5% of 1000 ticks
  const auto w = host_load_warnings(idle_host(0), after, 0, 100);
  ASSERT_EQ(w.size(), 1U);
  EXPECT_NE(w[0].find("steal"), std::string::npos);
  EXPECT_NE(w[0].find("5.0%"), std::string::npos);
}

TEST(HostLoadTest, BusyTimeNotOursAboveTenPercentWarns) {
  HostCpuTimes after = idle_host(700);
  after.user = 200;
  after.system = 100;  // 300 busy ticks, 100 of them ours: 20% others
  const auto w = host_load_warnings(idle_host(0), after, 1.0, 100);
  ASSERT_EQ(w.size(), 1U);
  EXPECT_NE(w[0].find("other load"), std::string::npos);
  EXPECT_NE(w[0].find("20.0%"), std::string::npos);
}

TEST(HostLoadTest, OurOwnLoadIsNotOtherLoad) {
  HostCpuTimes after = idle_host(500);
  after.user = 500;  // all of it netbench's own 5 s
  EXPECT_TRUE(host_load_warnings(idle_host(0), after, 5.0, 100).empty());
}

TEST(HostLoadTest, NoTimePassedGivesNoWarning) {
  EXPECT_TRUE(host_load_warnings(idle_host(10), idle_host(10), 0, 100).empty());
  EXPECT_TRUE(host_load_warnings(idle_host(10), idle_host(5), 0, 100).empty());
}

}  // namespace
}  // namespace netbench
