// netbench merge on documents written by the real JSON writer (run_json):
// exact histogram merging, summed counts, the spread and Jain's index over
// the runs, refusals by name and --force, and the binary's exit codes.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/control/base64.hpp"
#include "app/merge/fleet.hpp"
#include "app/merge/fleet_report.hpp"
#include "app/report/json_report.hpp"
#include "netbench/flow_summary.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;

/// A complete one-flow UDP stream run: `messages` sent, `received` of them
/// arrived (`bytes` each), its delays `delays_ns`, over 1 s measured.
RunResult make_run(std::uint64_t messages, std::uint64_t received,
                   const std::vector<std::uint64_t>& delays_ns, std::uint32_t size = 1000) {
  RunResult r;
  r.spec.proto = Proto::kUdp;
  r.spec.size_bytes = size;
  r.spec.duration_ns = 1'000'000'000;
  r.measured_ns = 1'000'000'000;
  r.message_bytes = size;
  FlowSendStats s;
  s.messages = messages;
  s.bytes = messages * size;
  r.sender_flows.push_back(s);
  FlowRecvStats f;
  f.messages = received;
  f.unique = received;
  f.bytes = received * size;
  f.loss.lost = messages - received;
  f.first_arrival_ns = 1;
  f.last_arrival_ns = 1'000'000'001;
  r.receiver_flows.push_back(f);
  for (const std::uint64_t d : delays_ns) {
    r.latency.record(d);
    r.latency_from_actual.record(d);
    r.delay_variation.record(d / 2);
  }
  return r;
}

FleetInput input(const std::string& name, const RunResult& r) { return {name, run_document(r)}; }

std::vector<std::uint64_t> delays(std::uint64_t from, std::uint64_t step, std::size_t n) {
  std::vector<std::uint64_t> v;
  for (std::size_t i = 0; i < n; ++i) {
    v.push_back(from + step * i);
  }
  return v;
}

TEST(MergeTest, PooledHistogramIsTheUnionOfTheSamples) {
  const auto a = delays(1'000, 7, 500);         // 1 us .. 4.5 us
  const auto b = delays(90'000, 1'013, 300);    // 90 us .. 393 us
  const auto c = delays(2'000'000, 99'991, 7);  // a few ms: the tail
  const Fleet f =
      merge_fleet({input("a.json", make_run(500, 500, a)), input("b.json", make_run(300, 300, b)),
                   input("c.json", make_run(7, 7, c))},
                  false);
  LatencyHistogram all;
  for (const auto* v : {&a, &b, &c}) {
    for (const std::uint64_t d : *v) {
      all.record(d);
    }
  }
  ASSERT_TRUE(f.latency_measured);
  EXPECT_EQ(f.latency, all);
  EXPECT_EQ(f.latency.count(), 807U);
  EXPECT_EQ(f.latency.percentile(99), all.percentile(99));
  EXPECT_EQ(f.latency.max(), c.back());
  EXPECT_EQ(f.latency.min(), a.front());
  ASSERT_TRUE(f.delay_variation);
  EXPECT_EQ(f.delay_variation->count(), 807U);
  // The document's pooled object holds the same histogram.
  const json doc = fleet_document(f);
  const json& pooled = doc["fleet"]["latency"]["from_intended_send"];
  EXPECT_EQ(pooled["count"], 807U);
  EXPECT_EQ(pooled["p99_ns"], all.percentile(99));
  const auto bytes = unbase64(pooled["histogram_base64"].get<std::string>());
  ASSERT_TRUE(bytes);
  EXPECT_EQ(LatencyHistogram::deserialize(*bytes), all);
  // Not the mean of the runs' p99s: those are in the spread.
  ASSERT_TRUE(f.p99_spread);
  EXPECT_DOUBLE_EQ(f.p99_spread->max,
                   static_cast<double>(make_run(7, 7, c).latency.percentile(99)));
}

TEST(MergeTest, CountsAndBytesAreSummed) {
  const Fleet f = merge_fleet({input("a.json", make_run(1'000, 990, {5'000})),
                               input("b.json", make_run(2'000, 2'000, {6'000})),
                               input("c.json", make_run(3'000, 2'900, {7'000}))},
                              false);
  EXPECT_EQ(f.totals.sent_messages, 6'000U);
  EXPECT_EQ(f.totals.sent_bytes, 6'000'000U);
  EXPECT_EQ(f.totals.received_messages, 5'890U);
  EXPECT_EQ(f.totals.received_bytes, 5'890'000U);
  EXPECT_EQ(f.totals.unique, 5'890U);
  ASSERT_TRUE(f.totals.lost);
  EXPECT_EQ(*f.totals.lost, 110U);
  EXPECT_DOUBLE_EQ(f.totals.loss_ratio(), 110.0 / 6'000.0);
  const json j = fleet_json(f);
  EXPECT_EQ(j["sender"]["messages"], 6'000U);
  EXPECT_EQ(j["receiver"]["messages"], 5'890U);
  EXPECT_EQ(j["receiver"]["lost"], 110U);
  EXPECT_EQ(j["runs"], 3U);
  EXPECT_EQ(j["per_run"].size(), 3U);
  EXPECT_EQ(j["per_run"][1]["run"]["sender"]["messages"], 2'000U);  // each run kept whole
}

TEST(MergeTest, SpreadAndJainAreOverTheRunsThroughputs) {
  const std::vector<FleetInput> in{input("a.json", make_run(1'000, 1'000, {1'000})),
                                   input("b.json", make_run(3'000, 3'000, {1'000})),
                                   input("c.json", make_run(4'000, 4'000, {1'000}))};
  std::vector<double> x;
  for (const FleetInput& i : in) {
    x.push_back(i.doc["run"]["receiver"]["throughput_bps"].get<double>());
  }
  ASSERT_NE(x[0], x[2]);
  const Fleet f = merge_fleet(in, false);
  double sum = 0;
  double squares = 0;
  for (const double v : x) {
    sum += v;
    squares += v * v;
  }
  EXPECT_NEAR(f.jain_fairness, sum * sum / (3 * squares), 1e-12);
  EXPECT_LT(f.jain_fairness, 0.9);
  EXPECT_DOUBLE_EQ(f.throughput_spread.min, x[0]);
  EXPECT_DOUBLE_EQ(f.throughput_spread.median, x[1]);
  EXPECT_DOUBLE_EQ(f.throughput_spread.max, x[2]);
  EXPECT_DOUBLE_EQ(f.totals.received_bps, sum);
}

TEST(MergeTest, MismatchedConfigurationIsRefusedByName) {
  RunResult other = make_run(100, 100, {1'000});
  other.spec.flows = 2;
  try {
    static_cast<void>(
        merge_fleet({input("a.json", make_run(100, 100, {1'000})), input("b.json", other)}, false));
    FAIL() << "merged a 1-flow and a 2-flow run";
  } catch (const MergeError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("flows: a.json has 1, b.json has 2"), std::string::npos) << what;
    EXPECT_NE(what.find("--force"), std::string::npos) << what;
  }
}

TEST(MergeTest, ForceMergesMismatchesAndRecordsThem) {
  RunResult other = make_run(100, 100, {1'000}, 1400);
  const Fleet f =
      merge_fleet({input("a.json", make_run(100, 100, {1'000})), input("b.json", other)}, true);
  EXPECT_TRUE(f.forced);
  ASSERT_EQ(f.mismatches.size(), 1U);
  EXPECT_EQ(f.mismatches[0], "size_bytes: a.json has 1000, b.json has 1400");
  EXPECT_EQ(f.totals.sent_messages, 200U);
  const json j = fleet_json(f);
  EXPECT_TRUE(j["forced"].get<bool>());
  EXPECT_EQ(j["mismatches"].size(), 1U);
  ASSERT_FALSE(f.warnings.empty());
  EXPECT_NE(f.warnings[0].find("size_bytes"), std::string::npos);
}

TEST(MergeTest, WhereEachReceiverListensMayDiffer) {
  RunResult a = make_run(100, 100, {1'000});
  RunResult b = make_run(100, 100, {1'000});
  a.spec.port = 5201;
  b.spec.port = 5301;
  b.spec.bind_address = "10.0.0.2";
  b.spec.receiver_cpus = {3};
  const Fleet f = merge_fleet({input("a.json", a), input("b.json", b)}, false);
  EXPECT_TRUE(f.mismatches.empty());
}

TEST(MergeTest, DifferentOneWayClocksAreAMismatch) {
  RunResult b = make_run(100, 100, {1'000});
  b.clock = "separate clocks (delay variation)";
  EXPECT_THROW(static_cast<void>(merge_fleet(
                   {input("a.json", make_run(100, 100, {1'000})), input("b.json", b)}, false)),
               MergeError);
}

TEST(MergeTest, IncompleteRunIsRefusedUnlessForced) {
  RunResult b = make_run(100, 50, {1'000});
  b.complete = false;
  b.error = "receiver: peer closed";
  const std::vector<FleetInput> in{input("a.json", make_run(100, 100, {1'000})),
                                   input("b.json", b)};
  try {
    static_cast<void>(merge_fleet(in, false));
    FAIL() << "merged an incomplete run";
  } catch (const MergeError& e) {
    EXPECT_NE(std::string(e.what()).find("b.json is an incomplete run (receiver: peer closed)"),
              std::string::npos)
        << e.what();
  }
  const Fleet f = merge_fleet(in, true);
  EXPECT_EQ(f.totals.received_messages, 150U);
}

TEST(MergeTest, DocumentsWithoutOneRunAreRefused) {
  const FleetInput a = input("a.json", make_run(100, 100, {1'000}));
  const FleetInput sweep{
      "s.json", {{"schema", "netbench/1"}, {"sweep", json::object()}, {"runs", json::array()}}};
  const FleetInput failed{"e.json", {{"schema", "netbench/1"}, {"error", "port in use"}}};
  const FleetInput foreign{"x.json", {{"iperf", 3}}};
  for (const FleetInput& bad : {sweep, failed, foreign}) {
    try {
      static_cast<void>(merge_fleet({a, bad}, true));
      FAIL() << bad.name;
    } catch (const MergeError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(bad.name, 0), 0U) << e.what();
    }
  }
  EXPECT_THROW(static_cast<void>(merge_fleet({a}, false)), MergeError);
}

TEST(MergeTest, StartSkewsAreKept) {
  RunResult a = make_run(100, 100, {1'000});
  RunResult b = make_run(100, 100, {1'000});
  a.start = {1'764'498'600'000'000'000ULL, 1'764'498'600'000'250'000ULL};
  b.start = {1'764'498'600'000'000'000ULL, 1'764'498'600'001'000'000ULL};
  const Fleet f = merge_fleet({input("a.json", a), input("b.json", b)}, false);
  ASSERT_TRUE(f.skew_spread);
  EXPECT_DOUBLE_EQ(f.skew_spread->min, 250'000);
  EXPECT_DOUBLE_EQ(f.skew_spread->max, 1'000'000);
  const json j = fleet_json(f);
  EXPECT_EQ(j["start"]["requested_unix_ns"], 1'764'498'600'000'000'000ULL);
  EXPECT_EQ(j["per_run"][1]["start_skew_ns"], 1'000'000U);
}

/// Runs the netbench binary with `args` (shell words); returns its exit code.
int run_binary(const std::string& args) {
  const int status = std::system((std::string(NETBENCH_BINARY) + " " + args).c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(MergeTest, BinaryMergesFilesAndRefusesMismatchWithExitCode2) {
  const std::string dir = ::testing::TempDir();
  const auto write = [&dir](const std::string& name, const RunResult& r) {
    std::ofstream(dir + name) << run_document(r).dump();
    return dir + name;
  };
  const std::string a = write("merge_a.json", make_run(100, 100, {1'000}));
  const std::string b = write("merge_b.json", make_run(200, 200, {2'000}));
  RunResult other = make_run(100, 100, {1'000});
  other.spec.mode = Mode::kEcho;
  const std::string c = write("merge_c.json", other);
  const std::string out = dir + "merge_fleet.json";
  ASSERT_EQ(run_binary("merge -q " + a + " " + b + " -o " + out), 0);
  std::ifstream in(out);
  const json doc = json::parse(in);
  EXPECT_EQ(doc["fleet"]["sender"]["messages"], 300U);
  EXPECT_EQ(run_binary("merge -q " + a + " " + c + " 2>/dev/null"), 2);
  EXPECT_EQ(run_binary("merge -q --force " + a + " " + c + " 2>/dev/null"), 0);
  EXPECT_EQ(run_binary("merge -q " + a + " " + dir + "no_such.json 2>/dev/null"), 2);
}

}  // namespace
}  // namespace netbench::app
