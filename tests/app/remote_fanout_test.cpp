// Remote fan-out (`--connect A,B,C` with --multicast or --broadcast): three
// `netbench serve` processes on loopback, each a member of the group, each
// reporting its own exact counts; a server that dies mid-test leaves the
// others' figures standing; the command line's refusals.
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/cli/exit_codes.hpp"
#include "app/cli/run_args.hpp"
#include "netbench/model_info.hpp"
#include "serve_process.hpp"

namespace {

using netbench::test::Outcome;
using netbench::test::run_client;
using netbench::test::Server;

constexpr std::uint64_t kCount = 3000;
constexpr std::uint64_t kFlows = 2;

/// "127.0.0.1:P1,127.0.0.1:P2,..." of `servers`.
std::string connect_list(const std::vector<const Server*>& servers) {
  std::string out;
  for (const Server* s : servers) {
    out += (out.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(s->port());
  }
  return out;
}

class RemoteFanoutTest : public ::testing::TestWithParam<std::tuple<const char*, std::string>> {};

/// Every model's name (kModels): a new model is a fan-out member too.
std::vector<std::string> model_names() {
  std::vector<std::string> out;
  for (const netbench::ModelInfo& m : netbench::kModels) {
    out.emplace_back(m.name);
  }
  return out;
}

// Every server gets every message of every flow once; the aggregate counts
// each delivery (messages × 3) against a sender that sent each once.
TEST_P(RemoteFanoutTest, EveryServerGetsEveryMessageOfEveryFlow) {
  const auto [how, model] = GetParam();
  const Server a;
  const Server b;
  const Server c;
  ASSERT_TRUE(a.listening() && b.listening() && c.listening());
  const std::string list = connect_list({&a, &b, &c});
  // 4 MiB buffers hold a whole flow's test, however late a server reads.
  const Outcome o = run_client("--connect " + list + " --proto udp " + how + " --model " + model +
                               " --flows 2 --size 64 --count " + std::to_string(kCount) +
                               " --buffer 4MiB --json");
  ASSERT_EQ(o.code, 0) << o.out;
  const auto run = nlohmann::json::parse(o.out)["run"];
  ASSERT_TRUE(run["complete"].get<bool>()) << run["error"];
  EXPECT_EQ(run["config"]["fanout"]["receivers"], 3);
  EXPECT_EQ(run["sender"]["messages"], kCount);
  EXPECT_EQ(run["receiver"]["messages"], 3 * kCount);
  EXPECT_EQ(run["receiver"]["unique"], 3 * kCount);
  EXPECT_EQ(run["receiver"]["loss"]["lost"], 0);
  const auto& rxs = run["fanout"]["receivers"];
  ASSERT_EQ(rxs.size(), 3U);
  const std::vector<std::string> hosts = {"127.0.0.1:" + std::to_string(a.port()),
                                          "127.0.0.1:" + std::to_string(b.port()),
                                          "127.0.0.1:" + std::to_string(c.port())};
  for (std::size_t k = 0; k < rxs.size(); ++k) {
    EXPECT_EQ(rxs[k]["index"], k);
    EXPECT_EQ(rxs[k]["host"], hosts[k]);
    EXPECT_EQ(rxs[k]["error"], "");
    EXPECT_EQ(rxs[k]["receiver"]["messages"], kCount);
    EXPECT_EQ(rxs[k]["receiver"]["unique"], kCount);
    EXPECT_EQ(rxs[k]["receiver"]["duplicates"], 0);
    EXPECT_EQ(rxs[k]["receiver"]["malformed"], 0);
    EXPECT_EQ(rxs[k]["receiver"]["loss"]["lost"], 0);
    const auto& flows = rxs[k]["receiver"]["flows"];
    ASSERT_EQ(flows.size(), kFlows);
    for (const auto& f : flows) {
      EXPECT_EQ(f["messages"], kCount / kFlows) << "receiver " << k;
    }
  }
  EXPECT_TRUE(a.alive() && b.alive() && c.alive());
}

INSTANTIATE_TEST_SUITE_P(HowModel, RemoteFanoutTest,
                         ::testing::Combine(::testing::Values("--multicast 239.77.1.1",
                                                              "--broadcast"),
                                            ::testing::ValuesIn(model_names())),
                         [](const ::testing::TestParamInfo<RemoteFanoutTest::ParamType>& p) {
                           return std::string(std::get<0>(p.param)[2] == 'm' ? "Multicast_"
                                                                             : "Broadcast_") +
                                  std::get<1>(p.param);
                         });

// The second server dies mid-test: the run is incomplete naming it, and the
// first and third servers' figures stand.
TEST(RemoteFanoutFailureTest, ServerKilledMidTestIsNamedAndTheOthersFiguresStand) {
  Server a;
  Server b;
  Server c;
  ASSERT_TRUE(a.listening() && b.listening() && c.listening());
  const std::string list = connect_list({&a, &b, &c});
  std::thread killer([&b] {
    if (b.wait_log("test: udp stream", 10'000)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      b.kill_now();
    }
  });
  const Outcome o = run_client("--connect " + list +
                               " --proto udp --multicast 239.77.1.2 --rate 2k --duration 2s "
                               "--interval 500ms --json");
  killer.join();
  EXPECT_EQ(o.code, netbench::app::kExitIncomplete) << o.out;
  const auto run = nlohmann::json::parse(o.out)["run"];
  EXPECT_FALSE(run["complete"].get<bool>());
  const std::string b_host = "127.0.0.1:" + std::to_string(b.port());
  EXPECT_NE(run["error"].get<std::string>().find(b_host), std::string::npos) << run["error"];
  const auto& rxs = run["fanout"]["receivers"];
  ASSERT_EQ(rxs.size(), 3U);
  EXPECT_NE(rxs[1]["error"], "");
  EXPECT_EQ(rxs[1]["receiver"]["messages"], 0);
  const std::uint64_t sent = run["sender"]["messages"].get<std::uint64_t>();
  for (const std::size_t k : {0U, 2U}) {
    EXPECT_EQ(rxs[k]["error"], "");
    EXPECT_EQ(rxs[k]["receiver"]["messages"], sent) << "receiver " << k;
  }
  EXPECT_EQ(run["receiver"]["messages"], 2 * sent);
}

TEST(RemoteFanoutCliTest, AListWithoutFanOutIsRefusedSayingWhatToAdd) {
  const Outcome o = run_client("--connect 127.0.0.1:1,127.0.0.1:2 --proto udp --count 10 --json");
  EXPECT_EQ(o.code, netbench::app::kExitUsage);
  const std::string err = nlohmann::json::parse(o.out)["error"];
  EXPECT_NE(err.find("add --multicast GROUP or --broadcast"), std::string::npos) << err;
}

TEST(RemoteFanoutCliTest, ReceiversThatDisagreeWithTheListAreRefused) {
  const Outcome o = run_client(
      "--connect 127.0.0.1:1,127.0.0.1:2 --proto udp --broadcast --receivers 3 --count 10 --json");
  EXPECT_EQ(o.code, netbench::app::kExitUsage);
  const std::string err = nlohmann::json::parse(o.out)["error"];
  EXPECT_NE(err.find("--receivers 3 but --connect lists 2 servers"), std::string::npos) << err;
}

TEST(RemoteFanoutCliTest, FanOutWithReverseStaysRefused) {
  const Outcome o = run_client(
      "--connect 127.0.0.1:1,127.0.0.1:2 --proto udp --broadcast --reverse --count 10 --json");
  EXPECT_EQ(o.code, netbench::app::kExitUsage);
  const std::string err = nlohmann::json::parse(o.out)["error"];
  EXPECT_NE(err.find("--reverse"), std::string::npos) << err;
}

TEST(ConnectTargetsTest, AListGivesEveryServerInOrderWithDashPAsTheDefaultPort) {
  netbench::app::RunArgs a;
  a.connect = "10.0.0.1,10.0.0.2:6000,[::1]:7000";
  using Target = std::pair<std::string, std::uint16_t>;
  EXPECT_EQ(netbench::app::connect_targets(a, 5201),
            (std::vector<Target>{{"10.0.0.1", 5201}, {"10.0.0.2", 6000}, {"::1", 7000}}));
  a.short_port = 5999;
  EXPECT_EQ(netbench::app::connect_targets(a, 5201),
            (std::vector<Target>{{"10.0.0.1", 5999}, {"10.0.0.2", 6000}, {"::1", 7000}}));
  a.short_port = -1;
  a.connect = "10.0.0.1";
  EXPECT_EQ(netbench::app::connect_targets(a, 5201), (std::vector<Target>{{"10.0.0.1", 5201}}));
  a.connect = "10.0.0.1,,10.0.0.2";
  EXPECT_THROW(static_cast<void>(netbench::app::connect_targets(a, 5201)),
               netbench::app::UsageError);
  a.connect = "10.0.0.1,10.0.0.2:0";
  EXPECT_THROW(static_cast<void>(netbench::app::connect_targets(a, 5201)),
               netbench::app::UsageError);
}

}  // namespace
