// netbench sweep: the matrix expansion as a pure function, the ETA, and the
// binary run as a user runs it — complete sweeps, a failing point, SIGINT.
#include "app/sweep/sweep.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/cli/exit_codes.hpp"
#include "app/cli/run_args.hpp"
#include "app/sweep/sweep_report.hpp"
#include "netbench/model_info.hpp"

namespace netbench::app {
namespace {

RunArgs lists(const std::string& proto, const std::string& model, const std::string& flows) {
  RunArgs a;
  a.proto = proto;
  a.model = model;
  a.flows = flows;
  return a;
}

std::vector<SweepPoint> expand(const RunArgs& a) { return expand_matrix(split_matrix(a), a); }

TEST(SweepMatrixTest, ExpandsEveryCombinationWithTheLastListVaryingFastest) {
  const auto points = expand(lists("tcp,udp", "poll,epoll", "1,4"));
  ASSERT_EQ(points.size(), 8U);
  const std::vector<std::string> want = {
      "tcp poll stream flows=1 size=131072",  "tcp poll stream flows=4 size=131072",
      "tcp epoll stream flows=1 size=131072", "tcp epoll stream flows=4 size=131072",
      "udp poll stream flows=1 size=1400",    "udp poll stream flows=4 size=1400",
      "udp epoll stream flows=1 size=1400",   "udp epoll stream flows=4 size=1400"};
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(points[i].label, want[i]) << i;
  }
  EXPECT_EQ(points[0].spec.proto, Proto::kTcp);
  EXPECT_EQ(points[2].spec.model, ModelKind::kEpoll);
  EXPECT_EQ(points[5].spec.flows, 4U);
  EXPECT_EQ(points[7].spec.proto, Proto::kUdp);
}

TEST(SweepMatrixTest, PointCountIsTheProductOfTheListLengths) {
  // Every model (kModels), thread first.
  RunArgs a = lists("tcp,udp", model_names(","), "1,16,256");
  a.size = "64,1400";
  a.rate = "0,100k";
  a.mode = "stream,echo";
  const auto points = expand(a);
  EXPECT_EQ(points.size(), 2U * kModels.size() * 2U * 3U * 2U * 2U);
  // Nesting: proto > model > mode > flows > size > rate.
  EXPECT_EQ(points[1].label, "tcp thread stream flows=1 size=64 rate=100k");
  EXPECT_EQ(points[2].label, "tcp thread stream flows=1 size=1400 rate=0");
  EXPECT_EQ(points[4].label, "tcp thread stream flows=16 size=64 rate=0");
  EXPECT_EQ(points[12].label, "tcp thread echo flows=1 size=64 rate=0");
  EXPECT_EQ(points.back().label,
            "udp " + std::string(kModels.back().name) + " echo flows=256 size=1400 rate=100k");
}

TEST(SweepMatrixTest, ZeroRateMeansUnlimited) {
  RunArgs a = lists("udp", "epoll", "2");
  a.rate = "0,100k";
  const auto points = expand(a);
  ASSERT_EQ(points.size(), 2U);
  EXPECT_EQ(points[0].spec.rate_msgs_per_s, 0.0);
  EXPECT_EQ(points[1].spec.rate_msgs_per_s, 100'000.0);
}

TEST(SweepMatrixTest, BitrateBecomesAMessageRateForEachSize) {
  RunArgs a = lists("udp", "epoll", "1");
  a.size = "100,1000";
  a.bitrate = "1M,8M";
  const auto points = expand(a);
  ASSERT_EQ(points.size(), 4U);
  EXPECT_DOUBLE_EQ(points[0].spec.rate_msgs_per_s, 1250.0);  // 1 Mbit/s / 800 bits
  EXPECT_DOUBLE_EQ(points[1].spec.rate_msgs_per_s, 10'000.0);
  EXPECT_DOUBLE_EQ(points[2].spec.rate_msgs_per_s, 125.0);  // 1 Mbit/s / 8000 bits
  EXPECT_DOUBLE_EQ(points[3].spec.rate_msgs_per_s, 1000.0);
  EXPECT_EQ(points[0].label, "udp epoll stream flows=1 size=100 bitrate=1M");
}

TEST(SweepMatrixTest, EveryOtherFlagAppliesToEveryPoint) {
  RunArgs a = lists("tcp,udp", "poll", "1,2");
  a.count = 300;
  a.buffer = "4MiB";
  a.threads = 2;
  a.warmup = "10ms";
  a.v6 = true;
  for (const SweepPoint& p : expand(a)) {
    EXPECT_EQ(p.spec.count, 300U);
    EXPECT_EQ(p.spec.socket_buffer_bytes, 4U << 20);
    EXPECT_EQ(p.spec.threads, 2U);
    EXPECT_EQ(p.spec.warmup_ns, 10'000'000U);
    EXPECT_EQ(p.spec.family, Family::kV6);
  }
}

TEST(SweepMatrixTest, BlanksAroundElementsAreDropped) {
  const SweepMatrix m = split_matrix(lists("tcp, udp", " poll ,epoll", "1"));
  EXPECT_EQ(m.proto, (std::vector<std::string>{"tcp", "udp"}));
  EXPECT_EQ(m.model, (std::vector<std::string>{"poll", "epoll"}));
}

TEST(SweepMatrixTest, BadListsAreUsageErrors) {
  RunArgs a = lists("tcp", "poll", "1,,4");
  EXPECT_THROW((void)split_matrix(a), UsageError);
  EXPECT_THROW((void)split_matrix(lists("tcp,", "poll", "1")), UsageError);
  EXPECT_THROW((void)split_matrix(lists("tcp", "poll", "")), UsageError);
  a = lists("tcp", "poll", "1");
  a.rate = "1k";
  a.bitrate = "1M";
  EXPECT_THROW((void)split_matrix(a), UsageError);
}

TEST(SweepMatrixTest, APointThatCannotRunNamesItselfBeforeAnythingRuns) {
  RunArgs a = lists("tcp,udp", "poll", "1");
  a.size = "70000";
  try {
    (void)expand(a);
    FAIL() << "a UDP size above 65507 was accepted";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("largest UDP payload"), std::string::npos) << what;
    EXPECT_NE(what.find("sweep point 2 of 2: udp poll stream flows=1"), std::string::npos) << what;
  }
  EXPECT_THROW((void)expand(lists("tcp,sctp", "poll", "1")), UsageError);
  EXPECT_THROW((void)expand(lists("tcp", "poll", "1,x")), UsageError);
}

TEST(SweepMatrixTest, MatrixJsonResolvesUnits) {
  RunArgs a = lists("tcp,udp", "epoll", "1,16");
  a.size = "64,1KiB";
  a.rate = "0,1.5k";
  const auto j = matrix_json(split_matrix(a));
  EXPECT_EQ(j["proto"], nlohmann::json::array({"tcp", "udp"}));
  EXPECT_EQ(j["flows"], nlohmann::json::array({1, 16}));
  EXPECT_EQ(j["size_bytes"], nlohmann::json::array({64, 1024}));
  EXPECT_EQ(j["rate_msgs_per_s"], nlohmann::json::array({0.0, 1500.0}));
  EXPECT_TRUE(j["bitrate_bps"].empty());
}

TEST(SweepMatrixTest, OutstandingIsAListForEchoAndConnectAndStreamRunsOnce) {
  RunArgs a = lists("tcp", "epoll,thread", "1,8");
  a.mode = "stream,connect";
  a.outstanding_list = "1,16";
  const auto points = expand(a);
  // Per model: stream x 2 flows, connect x 2 flows x 2 outstanding.
  ASSERT_EQ(points.size(), 2U * (2U + 4U));
  EXPECT_EQ(points[0].label, "tcp epoll stream flows=1 size=131072");
  EXPECT_EQ(points[0].spec.outstanding, 1U);
  EXPECT_EQ(points[2].label, "tcp epoll connect flows=1 outstanding=1 size=64");
  EXPECT_EQ(points[3].label, "tcp epoll connect flows=1 outstanding=16 size=64");
  EXPECT_EQ(points[3].spec.outstanding, 16U);
  EXPECT_EQ(points[5].spec.flows, 8U);
  EXPECT_EQ(points[5].spec.outstanding, 16U);
  EXPECT_EQ(points[6].spec.model, ModelKind::kThread);
  const auto j = matrix_json(split_matrix(a));
  EXPECT_EQ(j["outstanding"], nlohmann::json::array({1, 16}));
  EXPECT_EQ(j["mode"], nlohmann::json::array({"stream", "connect"}));
  // Not given: an empty list and one point per load, as before.
  EXPECT_TRUE(matrix_json(split_matrix(lists("tcp", "poll", "1")))["outstanding"].empty());
  for (const char* bad : {"0", "x", "4,", "1.5", "-2"}) {
    a.outstanding_list = bad;
    EXPECT_THROW((void)expand(a), UsageError) << bad;
  }
}

TEST(SweepMatrixTest, DirectionIsAListBetweenSizeAndRate) {
  RunArgs a = lists("tcp", "epoll", "2");
  a.direction = "forward,reverse,bidir";
  a.rate = "1k,2k";
  const auto points = expand(a);
  ASSERT_EQ(points.size(), 6U);
  const std::vector<std::string> want = {"tcp epoll stream flows=2 size=131072 rate=1k",
                                         "tcp epoll stream flows=2 size=131072 rate=2k",
                                         "tcp epoll stream flows=2 size=131072 reverse rate=1k",
                                         "tcp epoll stream flows=2 size=131072 reverse rate=2k",
                                         "tcp epoll stream flows=2 size=131072 bidir rate=1k",
                                         "tcp epoll stream flows=2 size=131072 bidir rate=2k"};
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(points[i].label, want[i]) << i;
  }
  EXPECT_EQ(points[0].spec.direction, Direction::kForward);
  EXPECT_EQ(points[2].spec.direction, Direction::kReverse);
  EXPECT_EQ(points[5].spec.direction, Direction::kBidir);
  EXPECT_EQ(matrix_json(split_matrix(a))["direction"],
            nlohmann::json::array({"forward", "reverse", "bidir"}));
  a.direction = "forward,up";
  EXPECT_THROW(split_matrix(a), UsageError);
}

TEST(SweepEtaTest, RemainingTimeIsNominalTimePlusTheMeasuredOverhead) {
  RunArgs a = lists("tcp", "poll,epoll,select", "1");
  a.duration = "2s";
  a.warmup = "1s";
  const auto points = expand(a);
  // One point of 3 s nominal took 3.5 s: 0.5 s overhead per point.
  EXPECT_EQ(estimate_remaining_ns(points, 1, 3'500'000'000), 2 * 3'500'000'000ULL);
  // Faster than nominal: no negative overhead.
  EXPECT_EQ(estimate_remaining_ns(points, 2, 5'000'000'000), 3'000'000'000ULL);
  EXPECT_EQ(estimate_remaining_ns(points, 3, 9'000'000'000), 0U);
}

TEST(SweepEtaTest, FormatsMinutesAndHours) {
  EXPECT_EQ(format_eta(0), "<1s");
  EXPECT_EQ(format_eta(45'000'000'000), "45s");
  EXPECT_EQ(format_eta(72'000'000'000), "1m12s");
  EXPECT_EQ(format_eta(7'380'000'000'000), "2h03m");
}

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
};

std::string read_file(const std::string& path) {
  std::string text;
  if (std::FILE* f = std::fopen(path.c_str(), "r")) {
    std::array<char, 4096> buf{};
    while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), f)) {
      text.append(buf.data(), n);
    }
    std::fclose(f);
  }
  return text;
}

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "netbench_sweep_" + name + "_" + std::to_string(::getpid());
}

/// Runs `shell` (a /bin/sh command line) with a time limit so that a hang
/// fails the test instead of stalling it; stdout and exit code back.
Outcome run_shell(const std::string& shell) {
  const std::string errfile = temp_path("stderr") + ".txt";
  const std::string cmd = "timeout 60 sh -c '" + shell + "' 2>" + errfile;
  Outcome o;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return o;
  }
  std::array<char, 4096> buf{};
  while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) {
    o.out.append(buf.data(), n);
  }
  const int status = ::pclose(p);
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.err = read_file(errfile);
  return o;
}

Outcome run_netbench(const std::string& args) {
  return run_shell(std::string(NETBENCH_BINARY) + " " + args);
}

TEST(SweepBinaryTest, EveryPointRunsToCompletionWithExactCounts) {
  const Outcome o = run_netbench(
      "sweep --proto tcp,udp --model poll,epoll --flows 1,4 --count 300 --rate 20k "
      "--buffer 4MiB --json");
  ASSERT_EQ(o.code, kExitOk) << o.err;
  const auto doc = nlohmann::json::parse(o.out);
  EXPECT_EQ(doc["schema"], "netbench/1");
  EXPECT_FALSE(doc.contains("run"));
  const auto& sweep = doc["sweep"];
  EXPECT_EQ(sweep["points"], 8);
  EXPECT_EQ(sweep["completed"], 8);
  EXPECT_EQ(sweep["failed"], 0);
  EXPECT_FALSE(sweep["interrupted"].get<bool>());
  EXPECT_EQ(sweep["matrix"]["model"], nlohmann::json::array({"poll", "epoll"}));
  ASSERT_EQ(doc["runs"].size(), 8U);
  for (std::size_t i = 0; i < 8; ++i) {
    const auto& entry = doc["runs"][i];
    EXPECT_EQ(entry["point"], i);
    const auto& run = entry["run"];
    EXPECT_TRUE(run["complete"].get<bool>()) << i;
    EXPECT_EQ(run["config"]["proto"], i < 4 ? "tcp" : "udp") << i;
    EXPECT_EQ(run["config"]["model"], (i / 2) % 2 == 0 ? "poll" : "epoll") << i;
    EXPECT_EQ(run["config"]["flows"], i % 2 == 0 ? 1 : 4) << i;
    EXPECT_EQ(run["sender"]["messages"], 300) << i;
    EXPECT_EQ(run["receiver"]["messages"], 300) << i;
    EXPECT_EQ(run["receiver"]["loss"]["lost"], 0) << i;
  }
  // Progress on stderr, one line per point.
  EXPECT_NE(o.err.find("[1/8] tcp poll stream flows=1 size=131072 rate=20k: "), std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("[8/8] udp epoll stream flows=4 size=1400 rate=20k: "), std::string::npos)
      << o.err;
}

TEST(SweepBinaryTest, AFailingPointIsRecordedAndTheOthersStillRun) {
  const std::string file = temp_path("failing") + ".json";
  const Outcome o =
      run_netbench("sweep --proto tcp --model select --flows 2,2000,3 --count 3000 -o " + file);
  EXPECT_EQ(o.code, kExitIncomplete) << o.err;
  const auto doc = nlohmann::json::parse(read_file(file));
  EXPECT_EQ(doc["sweep"]["points"], 3);
  EXPECT_EQ(doc["sweep"]["completed"], 2);
  EXPECT_EQ(doc["sweep"]["failed"], 1);
  ASSERT_EQ(doc["runs"].size(), 3U);
  EXPECT_TRUE(doc["runs"][0]["run"]["complete"].get<bool>());
  const auto& failed = doc["runs"][1];
  EXPECT_EQ(failed["point"], 1);
  EXPECT_FALSE(failed.contains("run"));
  EXPECT_EQ(failed["config"]["flows"], 2000);
  EXPECT_NE(failed["error"].get<std::string>().find("FD_SETSIZE"), std::string::npos);
  EXPECT_EQ(doc["runs"][2]["run"]["receiver"]["messages"], 3000);
  // The human table names the failure.
  EXPECT_NE(o.out.find("failed"), std::string::npos) << o.out;
}

TEST(SweepBinaryTest, SigintLeavesAValidDocumentOfThePointsDone) {
  const std::string file = temp_path("sigint") + ".json";
  const Outcome o = run_shell(std::string(NETBENCH_BINARY) +
                              " sweep --proto tcp --model poll,epoll --flows 1,2 --duration 1s -q "
                              "-o " +
                              file + " & pid=$!; sleep 1.5; kill -INT $pid; wait $pid; echo $?");
  EXPECT_EQ(std::stoi(o.out), kExitInterrupted) << o.err;
  const auto doc = nlohmann::json::parse(read_file(file));
  const auto& sweep = doc["sweep"];
  EXPECT_TRUE(sweep["interrupted"].get<bool>());
  EXPECT_EQ(sweep["points"], 4);
  EXPECT_LT(sweep["completed"].get<int>(), 4);
  EXPECT_EQ(sweep["failed"], 0);
  EXPECT_LT(doc["runs"].size(), 4U);
  EXPECT_NE(doc["error"].get<std::string>().find("SIGINT"), std::string::npos);
  for (const auto& entry : doc["runs"]) {
    EXPECT_TRUE(entry.contains("run"));
  }
}

TEST(SweepBinaryTest, BadListIsAUsageErrorWithADocument) {
  const Outcome o = run_netbench("sweep --proto tcp,sctp --json");
  EXPECT_EQ(o.code, kExitUsage);
  const auto doc = nlohmann::json::parse(o.out);
  EXPECT_NE(doc["error"].get<std::string>().find("sctp"), std::string::npos);
  EXPECT_NE(o.err.find("--proto 'sctp' is not one of tcp, udp"), std::string::npos) << o.err;
}

}  // namespace
}  // namespace netbench::app
