// --start-at: the times it reads (epoch seconds, ISO 8601 with a zone), the
// range it accepts, the late-start warning, and a paired run that waits
// for its time and records it.
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "app/cli/exit_codes.hpp"
#include "app/cli/run_args.hpp"
#include "app/cli/units.hpp"
#include "app/report/json_report.hpp"
#include "measure/run_warnings.hpp"
#include "netbench/clock.hpp"
#include "netbench/paired_run.hpp"

namespace netbench::app {
namespace {

constexpr std::uint64_t kS = 1'000'000'000;
/// 2026-11-30T10:30:00Z as seconds since the epoch (date -u -d ... +%s).
constexpr std::uint64_t kPlan = 1'796'034'600;

TEST(StartAtTest, EpochSecondsAreReadWithTheirFraction) {
  EXPECT_EQ(parse_wall_time("1796034600"), kPlan * kS);
  EXPECT_EQ(parse_wall_time("1796034600.5"), kPlan * kS + 500'000'000);
  EXPECT_EQ(parse_wall_time("1796034600.000000001"), kPlan * kS + 1);
  EXPECT_EQ(parse_wall_time("0"), 0U);
}

TEST(StartAtTest, IsoTimesNeedAZoneAndHonourIt) {
  EXPECT_EQ(parse_wall_time("2026-11-30T10:30:00Z"), kPlan * kS);
  EXPECT_EQ(parse_wall_time("2026-11-30 10:30:00Z"), kPlan * kS);
  EXPECT_EQ(parse_wall_time("2026-11-30T10:30:00.25Z"), kPlan * kS + 250'000'000);
  EXPECT_EQ(parse_wall_time("2026-11-30T11:30:00+01:00"), kPlan * kS);
  EXPECT_EQ(parse_wall_time("2026-11-30T05:00:00-0530"), kPlan * kS);
  EXPECT_EQ(parse_wall_time("2024-02-29T00:00:00Z"), 1'709'164'800 * kS);  // a leap day
  EXPECT_EQ(parse_wall_time("1970-01-01T00:00:00Z"), 0U);
}

TEST(StartAtTest, AnythingElseIsNotATime) {
  for (const char* bad :
       {"", "now", "+5s", "-1", "1796034600.", "1796034600.1234567891", "1e9", "12:30",
        "2026-11-30T10:30:00", "2026-11-30T10:30:00+25:00", "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-30T24:00:00Z",
        "2026-11-30T10:30:00Zjunk", "1969-12-31T23:59:59Z", "99999999999999"}) {
    EXPECT_FALSE(parse_wall_time(bad)) << bad;
  }
}

TEST(StartAtTest, FormatsAsIsoUtcWithMicroseconds) {
  EXPECT_EQ(format_wall_time(kPlan * kS + 123'456'789), "2026-11-30T10:30:00.123456Z");
  EXPECT_EQ(parse_wall_time("2026-11-30T10:30:00.123456Z"), kPlan * kS + 123'456'000);
}

TEST(StartAtTest, TimesMoreThanADayAwayAreRefused) {
  const std::uint64_t now = kPlan * kS;
  EXPECT_EQ(start_at_of("1796034610", now), (kPlan + 10) * kS);
  EXPECT_EQ(start_at_of("1796034590", now), (kPlan - 10) * kS);  // just passed: at once
  try {
    static_cast<void>(start_at_of("1796234600", now));
    FAIL() << "accepted a time 55 h ahead";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("55 h from now"), std::string::npos) << e.what();
  }
  EXPECT_THROW(static_cast<void>(start_at_of("1700000000", now)), UsageError);
  try {
    static_cast<void>(start_at_of("tomorrow", now));
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--start-at 'tomorrow' is not a time"), std::string::npos);
  }
}

TEST(StartAtTest, AStartMoreThanASecondLateIsWarned) {
  RunResult r;
  EXPECT_TRUE(start_warnings(r).empty());  // no --start-at
  r.start = {100 * kS, 100 * kS + kS};     // exactly 1 s late: not more
  EXPECT_TRUE(start_warnings(r).empty());
  r.start.actual_unix_ns = 100 * kS + kS + 1;
  ASSERT_EQ(start_warnings(r).size(), 1U);
  EXPECT_NE(start_warnings(r)[0].find("started 1.000 s after --start-at"), std::string::npos);
  r.start.actual_unix_ns = 99 * kS;  // early (a clock step): no skew
  EXPECT_EQ(r.start.skew_ns(), 0U);
}

TEST(StartAtTest, PairedRunWaitsForItsTimeAndRecordsIt) {
  TestSpec s;
  s.count = 100;
  s.duration_ns = 0;
  s.start_at_unix_ns = wall_ns() + 300'000'000;
  const RunResult r = run_paired(s);
  ASSERT_TRUE(r.complete) << r.error;
  EXPECT_EQ(r.start.requested_unix_ns, s.start_at_unix_ns);
  EXPECT_GE(r.start.actual_unix_ns, s.start_at_unix_ns);  // never before its time
  EXPECT_EQ(r.start.skew_ns(), r.start.actual_unix_ns - r.start.requested_unix_ns);
  const nlohmann::json j = run_json(r);
  EXPECT_EQ(j["start"]["requested_unix_ns"], s.start_at_unix_ns);
  EXPECT_EQ(j["start"]["skew_ns"], r.start.skew_ns());
  s.start_at_unix_ns = 0;
  EXPECT_TRUE(run_json(run_paired(s))["start"].is_null());
}

}  // namespace
}  // namespace netbench::app
