// --repeat on the real binary: the document's structure and aggregates,
// exact counts in every repetition, the sweep's interleaved order from
// --seed, and bad values refused. No timing is asserted.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/cli/exit_codes.hpp"
#include "netbench/interleave.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;

struct Outcome {
  int code = -1;
  std::string out;
};

Outcome run_netbench(const std::string& args) {
  const std::string cmd =
      std::string("timeout 60 ") + NETBENCH_BINARY + " " + args + " 2>/dev/null";
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
  return o;
}

TEST(RepeatTest, ThreeRepetitionsOfACountedRunWithAggregates) {
  const Outcome o = run_netbench("--proto tcp --count 500 --repeat 3 --seed 7 --json -q");
  ASSERT_EQ(o.code, kExitOk);
  const json doc = json::parse(o.out);
  EXPECT_EQ(doc["schema"], "netbench/1");
  EXPECT_FALSE(doc.contains("run"));  // old consumers find no single "run" to misread
  const json& r = doc["repeated"];
  EXPECT_EQ(r["repeat"], 3);
  EXPECT_EQ(r["seed"], 7);
  EXPECT_EQ(r["sequence"], json::array({0, 1, 2}));
  ASSERT_EQ(r["repetitions"].size(), 3U);
  for (const json& rep : r["repetitions"]) {
    EXPECT_EQ(rep["sender"]["messages"], 500);
    EXPECT_EQ(rep["receiver"]["messages"], 500);
    EXPECT_TRUE(rep["warnings"].is_array());
  }
  const json& a = r["aggregates"]["receiver_messages_per_s"];
  EXPECT_EQ(a["n"], 3);
  EXPECT_LE(a["min"].get<double>(), a["median"].get<double>());
  EXPECT_LE(a["median"].get<double>(), a["max"].get<double>());
  EXPECT_LE(a["mean_ci"]["lower"].get<double>(), a["mean"].get<double>());
  EXPECT_GE(a["mean_ci"]["upper"].get<double>(), a["mean"].get<double>());
  EXPECT_FALSE(a["median_ci"]["attained"].get<bool>());  // 95% needs n >= 6
  EXPECT_TRUE(a["mean_ci"]["attained"].get<bool>());
  for (const char* m :
       {"receiver_throughput_bps", "sender_messages_per_s", "loss_ratio", "latency_p50_ns",
        "latency_p99_ns", "receiver_cpu_per_message_ns", "receiver_wakeups"}) {
    EXPECT_TRUE(r["aggregates"].contains(m)) << m;
  }
  EXPECT_EQ(r["aggregates"]["loss_ratio"]["max"], 0.0);  // TCP: exact, nothing lost
  // Pooled latency: the three histograms merged exactly.
  EXPECT_EQ(r["pooled_latency"]["from_intended_send"]["count"], 1500);
  EXPECT_EQ(r["pooled_latency"]["repetition_p99_ns"].size(), 3U);
  EXPECT_TRUE(r["warnings"].is_array());
}

TEST(RepeatTest, AutoStopsBetweenThreeAndThirtyAndSaysWhetherTheWidthWasReached) {
  const Outcome o = run_netbench("--proto tcp --count 300 --repeat auto --ci-width 50% --json -q");
  ASSERT_EQ(o.code, kExitOk);
  const json r = json::parse(o.out)["repeated"];
  EXPECT_EQ(r["repeat"], "auto");
  EXPECT_DOUBLE_EQ(r["ci_width_target"].get<double>(), 0.5);
  const std::size_t n = r["repetitions"].size();
  EXPECT_GE(n, 3U);
  EXPECT_LE(n, 30U);
  if (r["ci_width_reached"].get<bool>()) {
    EXPECT_LE(r["ci_width"].get<double>(), 0.5);
  } else {
    EXPECT_EQ(n, 30U);
    EXPECT_NE(r["warnings"].dump().find("--repeat auto"), std::string::npos);
  }
}

TEST(RepeatTest, SweepRepetitionsRunInTheInterleavedOrderOfTheSeed) {
  const Outcome o = run_netbench(
      "sweep --proto udp --model poll,epoll --flows 1,2 --count 200 --repeat 3 --seed 11 --json "
      "-q");
  ASSERT_EQ(o.code, kExitOk);
  const json doc = json::parse(o.out);
  EXPECT_EQ(doc["sweep"]["repeat"]["seed"], 11);
  EXPECT_EQ(doc["sweep"]["repeat"]["repeat"], 3);
  const std::vector<Slot> order = interleave(4, 3, 11);
  ASSERT_EQ(doc["runs"].size(), 4U);
  for (const json& entry : doc["runs"]) {
    const std::size_t point = entry["point"];
    std::vector<std::size_t> expected;
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (order[i].point == point) {
        expected.push_back(i);
      }
    }
    EXPECT_EQ(entry["repeated"]["sequence"].get<std::vector<std::size_t>>(), expected);
    for (const json& rep : entry["repeated"]["repetitions"]) {
      EXPECT_EQ(rep["sender"]["messages"], 200);  // UDP may lose some on a loaded host
    }
  }
}

TEST(RepeatTest, BadRepeatValuesAreUsageErrors) {
  for (const char* args :
       {"--repeat 0", "--repeat 1", "--repeat many", "--repeat 1001", "--repeat auto --ci-width 0",
        "--repeat auto --ci-width 100%", "--repeat 3 --ci-width 2%", "--repeat 3 --seed -1",
        "--seed 5", "--cooldown 1s", "--repeat 3 --cooldown soon", "sweep --repeat 0"}) {
    EXPECT_EQ(run_netbench(std::string(args) + " --count 10").code, kExitUsage) << args;
  }
}

}  // namespace
}  // namespace netbench::app
