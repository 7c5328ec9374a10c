#include "app/control/clock_match.hpp"

#include <gtest/gtest.h>

namespace netbench::app {
namespace {

ClockEvidence same_host() {
  ClockEvidence e;
  e.client_boot_id = "6f1c0e2a-1b7e-4b1a-9a43-0d7f1e4c2b11";
  e.server_boot_id = e.client_boot_id;
  e.client_sent_ns = 5'000'000'000;
  e.server_received_ns = 5'000'050'000;
  e.rtt_ns = 80'000;
  return e;
}

TEST(ClockMatchTest, SameBootIdAndAgreeingReadingsShareTheClock) {
  EXPECT_TRUE(is_shared_clock(decide_clock(same_host())));
}

TEST(ClockMatchTest, TheServerReadingTheTestLateStillSharesTheClock) {
  ClockEvidence e = same_host();
  e.server_received_ns = *e.client_sent_ns + 900'000'000;  // a busy server
  EXPECT_TRUE(is_shared_clock(decide_clock(e)));
}

TEST(ClockMatchTest, DifferentBootIdsAreSeparateClocksWhateverTheReadings) {
  ClockEvidence e = same_host();
  e.server_boot_id = "0a9d5c11-2f00-4e4e-8a0b-7d0c7b3f9e00";
  EXPECT_EQ(decide_clock(e), "separate clocks (different hosts): one-way delay variation only");
}

TEST(ClockMatchTest, AMissingBootIdIsSeparateClocks) {
  ClockEvidence e = same_host();
  e.client_boot_id.clear();
  EXPECT_FALSE(is_shared_clock(decide_clock(e)));
}

TEST(ClockMatchTest, AClientReadingAfterOursIsAnOffsetClock) {
  ClockEvidence e = same_host();
  e.client_sent_ns = e.server_received_ns + 1;  // impossible on one clock
  EXPECT_EQ(decide_clock(e),
            "separate clocks (same kernel, clocks offset): one-way delay "
            "variation only");
}

TEST(ClockMatchTest, AReadingFurtherBackThanTheRoundTripAllowsIsAnOffsetClock) {
  ClockEvidence e = same_host();
  e.server_received_ns = *e.client_sent_ns + e.rtt_ns + kClockSlackNs + 1;
  EXPECT_FALSE(is_shared_clock(decide_clock(e)));
  e.server_received_ns -= 1;
  EXPECT_TRUE(is_shared_clock(decide_clock(e)));
}

TEST(ClockMatchTest, NoClockReadingIsSeparateClocks) {
  ClockEvidence e = same_host();
  e.client_sent_ns.reset();
  EXPECT_FALSE(is_shared_clock(decide_clock(e)));
}

}  // namespace
}  // namespace netbench::app
