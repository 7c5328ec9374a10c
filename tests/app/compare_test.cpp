// netbench compare on hand-made documents: matching, verdicts by direction,
// unmatched points, n = 1, and the binary's exit codes.
#include "app/compare/compare.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/cli/exit_codes.hpp"
#include "app/compare/compare_input.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;

/// A run object with only what compare reads: config, complete and a few
/// figures.
json run(const std::string& model, std::uint32_t flows, double msgs_per_s, double p99_ns) {
  return {{"config",
           {{"proto", "udp"},
            {"model", model},
            {"mode", "stream"},
            {"pattern", "constant"},
            {"family", "any"},
            {"flows", flows},
            {"size_bytes", 64},
            {"rate_msgs_per_s", 0},
            {"outstanding", 1},
            {"threads", 1},
            {"batch", 1},
            {"busy_poll", false},
            {"gso", false},
            {"stats", "full"},
            {"coalesce_ns", 0}}},
          {"complete", true},
          {"receiver", {{"messages_per_s", msgs_per_s}, {"loss", {{"ratio", 0.0}}}}},
          {"latency", {{"from_intended_send", {{"p99_ns", p99_ns}}}}}};
}

/// A sweep document whose point (model, flows) has one repetition per value.
json sweep(const std::vector<std::pair<std::string, std::vector<double>>>& points) {
  json runs = json::array();
  std::size_t i = 0;
  for (const auto& [model, values] : points) {
    json reps = json::array();
    for (double v : values) {
      reps.push_back(run(model, 16, v, 1e9 / v));
    }
    runs.push_back({{"point", i++}, {"repeated", {{"repetitions", reps}}}});
  }
  return {{"schema", "netbench/1"}, {"sweep", json::object()}, {"runs", runs}};
}

const std::vector<double> kBase = {100, 101, 99, 100.5, 99.5, 100.2, 99.8, 100.1, 99.9};

std::vector<double> scaled(double f) {
  std::vector<double> v;
  for (double x : kBase) {
    v.push_back(x * f);
  }
  return v;
}

const CompareRow& row(const CompareReport& r, const std::string& metric) {
  for (const CompareRow& x : r.rows) {
    if (x.metric->name == metric) {
      return x;
    }
  }
  throw std::runtime_error("no row " + metric);
}

TEST(CompareTest, HigherThroughputIsBetterAndLowerLatencyToo) {
  const CompareReport r =
      compare_inputs(read_compare_input(sweep({{"poll", kBase}}), "base"),
                     read_compare_input(sweep({{"poll", scaled(1.2)}}), "new"), {});
  EXPECT_EQ(row(r, "receiver_messages_per_s").verdict, stats::Verdict::kBetter);
  EXPECT_EQ(row(r, "latency_p99_ns").verdict, stats::Verdict::kBetter);
  EXPECT_FALSE(r.worse);
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();  // 9 repetitions each
  ASSERT_FALSE(r.geomean.empty());
  EXPECT_NEAR(r.geomean.front().ratio.value, 1.2, 1e-9);
}

TEST(CompareTest, LowerThroughputIsWorse) {
  const CompareReport r =
      compare_inputs(read_compare_input(sweep({{"poll", kBase}}), "base"),
                     read_compare_input(sweep({{"poll", scaled(0.8)}}), "new"), {});
  EXPECT_EQ(row(r, "receiver_messages_per_s").verdict, stats::Verdict::kWorse);
  EXPECT_EQ(row(r, "latency_p99_ns").verdict, stats::Verdict::kWorse);
  EXPECT_TRUE(r.worse);
}

TEST(CompareTest, TheSameDistributionIsNoSignificantDifference) {
  const std::vector<double> shuffled = {99.9, 100.1, 99.8, 100.2, 99.5, 100.5, 99, 101, 100};
  const CompareReport r =
      compare_inputs(read_compare_input(sweep({{"poll", kBase}}), "base"),
                     read_compare_input(sweep({{"poll", shuffled}}), "new"), {});
  EXPECT_EQ(row(r, "receiver_messages_per_s").verdict, stats::Verdict::kNotSignificant);
  EXPECT_FALSE(r.worse);
}

TEST(CompareTest, ASignificantChangeBelowTheThresholdDoesNotCount) {
  const CompareReport r =
      compare_inputs(read_compare_input(sweep({{"poll", kBase}}), "base"),
                     read_compare_input(sweep({{"poll", scaled(0.97)}}), "new"), {0.05, 0.05});
  EXPECT_EQ(row(r, "receiver_messages_per_s").verdict, stats::Verdict::kBelowThreshold);
  EXPECT_FALSE(r.worse);
}

TEST(CompareTest, UnmatchedPointsAreListedNotDropped) {
  const CompareReport r =
      compare_inputs(read_compare_input(sweep({{"poll", kBase}, {"select", kBase}}), "base"),
                     read_compare_input(sweep({{"poll", kBase}, {"epoll", kBase}}), "new"), {});
  ASSERT_EQ(r.only_in_base.size(), 1U);
  EXPECT_NE(r.only_in_base[0].find("select"), std::string::npos);
  ASSERT_EQ(r.only_in_new.size(), 1U);
  EXPECT_NE(r.only_in_new[0].find("epoll"), std::string::npos);
}

TEST(CompareTest, FiltersCompareTwoModelsOfOneSweepLoadByLoad) {
  const json doc = sweep({{"select", kBase}, {"epoll", scaled(1.3)}, {"poll", kBase}});
  std::string why;
  const auto select = PointFilter::parse("model=select", why);
  const auto epoll = PointFilter::parse("model=epoll", why);
  ASSERT_TRUE(select && epoll) << why;
  const CompareReport r = compare_inputs(read_compare_input(doc, "sweep.json", *select),
                                         read_compare_input(doc, "sweep.json", *epoll), {});
  EXPECT_EQ(r.base_name, "sweep.json [model=select]");
  EXPECT_EQ(r.new_name, "sweep.json [model=epoll]");
  EXPECT_TRUE(r.only_in_base.empty());
  EXPECT_TRUE(r.only_in_new.empty());
  const CompareRow& msgs = row(r, "receiver_messages_per_s");
  EXPECT_EQ(msgs.verdict, stats::Verdict::kBetter);
  EXPECT_EQ(msgs.point.find("select"), std::string::npos) << msgs.point;
}

TEST(CompareTest, FilterTextIsCheckedKeyByKey) {
  std::string why;
  EXPECT_TRUE(PointFilter::parse("", why));
  const auto two = PointFilter::parse("model=poll,flows=16", why);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->equals.size(), 2U);
  EXPECT_EQ(two->text(), "model=poll,flows=16");
  EXPECT_FALSE(PointFilter::parse("model", why));
  EXPECT_NE(why.find("KEY=VALUE"), std::string::npos) << why;
  EXPECT_FALSE(PointFilter::parse("colour=red", why));
  EXPECT_NE(why.find("not a configuration key"), std::string::npos) << why;
  EXPECT_FALSE(PointFilter::parse("model=poll,", why));
}

TEST(CompareTest, SingleRunsAreNEqualsOneAndNoTestIsPossible) {
  const json a = {{"schema", "netbench/1"}, {"run", run("poll", 1, 100, 1000)}};
  const json b = {{"schema", "netbench/1"}, {"run", run("poll", 1, 50, 2000)}};
  const CompareReport r =
      compare_inputs(read_compare_input(a, "a"), read_compare_input(b, "b"), {});
  const CompareRow& x = row(r, "receiver_messages_per_s");
  EXPECT_FALSE(x.testable);
  EXPECT_EQ(x.verdict, stats::Verdict::kNotSignificant);
  EXPECT_FALSE(r.worse);
  EXPECT_FALSE(r.warnings.empty());  // fewer than 9 repetitions
}

TEST(CompareTest, SmallestPValueOfTheExactTest) {
  EXPECT_DOUBLE_EQ(smallest_p_value(1, 1), 1.0);
  EXPECT_NEAR(smallest_p_value(3, 3), 0.1, 1e-12);  // 2 / C(6,3) = 2/20
  EXPECT_NEAR(smallest_p_value(4, 4), 2.0 / 70, 1e-12);
}

TEST(CompareTest, ADocumentThatIsNotNetbenchIsRefused) {
  EXPECT_THROW((void)read_compare_input(json{{"a", 1}}, "x"), std::runtime_error);
  EXPECT_THROW((void)read_compare_input(json{{"schema", "netbench/1"}, {"error", "boom"}}, "x"),
               std::runtime_error);
}

int compare_exit_code(const json& base, const json& candidate, const std::string& extra = "") {
  const std::string dir = ::testing::TempDir();
  const std::string tag = std::to_string(::getpid());
  const std::string a = dir + "compare_base_" + tag + ".json";
  const std::string b = dir + "compare_new_" + tag + ".json";
  std::ofstream(a) << base.dump();
  std::ofstream(b) << candidate.dump();
  const std::string cmd = std::string("timeout 30 ") + NETBENCH_BINARY + " compare " + a + " " + b +
                          " " + extra + " >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(CompareTest, TheBinaryExitsSixOnlyWhenSomethingGotWorse) {
  EXPECT_EQ(compare_exit_code(sweep({{"poll", kBase}}), sweep({{"poll", scaled(0.8)}})),
            kExitWorse);
  EXPECT_EQ(compare_exit_code(sweep({{"poll", kBase}}), sweep({{"poll", scaled(1.2)}})), kExitOk);
  EXPECT_EQ(compare_exit_code(sweep({{"poll", kBase}}), sweep({{"poll", scaled(0.8)}}), "--json"),
            kExitWorse);
  // A threshold above the change: not worse.
  EXPECT_EQ(compare_exit_code(sweep({{"poll", kBase}}), sweep({{"poll", scaled(0.8)}}),
                              "--threshold 50%"),
            kExitOk);
  EXPECT_EQ(compare_exit_code(sweep({{"poll", kBase}}), sweep({{"poll", kBase}}), "--alpha 2"),
            kExitUsage);
  EXPECT_EQ(compare_exit_code(json{{"x", 1}}, sweep({{"poll", kBase}})), kExitUsage);
}

}  // namespace
}  // namespace netbench::app
