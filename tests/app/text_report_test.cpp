// What the text summary says, and what it must not (issue 14, item 7): the
// configuration line names what shapes the figures, TCP runs carry no
// UDP-only rows, a plain echo server's unknowns read "not measured", counts
// are grouped, and the JSON names the peer. Runs of several flows get the
// per-flow spread and fairness rows, and the JSON lists every flow or a
// summary of them (--per-flow, issue 14, item 9).
#include "app/report/text_report.hpp"

#include <cstdint>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/report/json_report.hpp"

namespace netbench::app {
namespace {

/// What `print` wrote, as a string.
template <typename Print>
std::string printed(Print print) {
  std::FILE* f = std::tmpfile();
  print(f);
  std::fflush(f);
  std::rewind(f);
  std::string out;
  for (int c = std::fgetc(f); c != EOF; c = std::fgetc(f)) {
    out += static_cast<char>(c);
  }
  std::fclose(f);
  return out;
}

RunResult run_of(Proto proto, Mode mode, PeerKind peer) {
  RunResult r;
  r.spec.proto = proto;
  r.spec.mode = mode;
  r.peer = {peer, "127.0.0.1:5201", false};
  r.measured_ns = 1'000'000'000;
  FlowSendStats s;
  s.messages = 1'234'567;
  s.replies = mode == Mode::kEcho ? 1'234'000 : 0;
  r.sender_flows.push_back(s);
  return r;
}

bool has(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

/// A UDP stream run over 1 s of `n` flows: flow i received `bytes(i)` bytes
/// and lost `lost(i)` of its 1,000 messages.
template <typename Bytes, typename Lost>
RunResult flows_run(std::uint32_t n, Bytes bytes, Lost lost) {
  RunResult r;
  r.spec.proto = Proto::kUdp;
  r.spec.flows = n;
  r.measured_ns = 1'000'000'000;
  for (std::uint32_t i = 0; i < n; ++i) {
    FlowSendStats s;
    s.flow_id = i;
    s.messages = 1000;
    r.sender_flows.push_back(s);
    FlowRecvStats f;
    f.flow_id = i;
    f.bytes = bytes(i);
    f.messages = 1000 - lost(i);
    f.loss.sent = 1000;
    f.loss.unique = f.messages;
    f.loss.lost = lost(i);
    f.jitter_ns = 1000.0 * (i + 1);
    r.receiver_flows.push_back(f);
  }
  return r;
}

/// The line of `text` that starts with `start` after its indent, or "".
std::string line_of(const std::string& text, const std::string& start) {
  const std::size_t at = text.find("  " + start);
  return at == std::string::npos ? "" : text.substr(at, text.find('\n', at) - at);
}

TEST(TextReportTest, ConfigLineNamesFamilyBatchBufferAndServer) {
  TestSpec s;
  s.proto = Proto::kUdp;
  s.family = Family::kV6;
  s.batch = 8;
  s.socket_buffer_bytes = 4U << 20;
  const std::string line =
      printed([&](std::FILE* f) { print_config(f, s, "netbench serve at [::1]:5201"); });
  EXPECT_TRUE(has(line, ", netbench serve at [::1]:5201")) << line;
  EXPECT_TRUE(has(line, ", IPv6")) << line;
  EXPECT_TRUE(has(line, ", batch 8")) << line;
  EXPECT_TRUE(has(line, ", buffer 4 MiB")) << line;
  // Defaults stay quiet.
  const std::string plain = printed([&](std::FILE* f) { print_config(f, TestSpec{}); });
  EXPECT_FALSE(has(plain, "IPv")) << plain;
  EXPECT_FALSE(has(plain, "batch")) << plain;
  EXPECT_FALSE(has(plain, "buffer")) << plain;
  EXPECT_FALSE(has(plain, " at ")) << plain;
}

TEST(TextReportTest, TcpHasNoLossAttributionOrBurstRows) {
  const std::string tcp = printed([](std::FILE* f) {
    print_summary(f, run_of(Proto::kTcp, Mode::kStream, PeerKind::kInProcess));
  });
  EXPECT_TRUE(has(tcp, "lost ")) << tcp;
  EXPECT_FALSE(has(tcp, "receiver socket")) << tcp;
  EXPECT_FALSE(has(tcp, "loss bursts")) << tcp;
  const std::string udp = printed([](std::FILE* f) {
    print_summary(f, run_of(Proto::kUdp, Mode::kStream, PeerKind::kInProcess));
  });
  EXPECT_TRUE(has(udp, "receiver socket")) << udp;
  EXPECT_TRUE(has(udp, "loss bursts")) << udp;
}

TEST(TextReportTest, ZeroCopyRowsOnlyWithTheFlag) {
  RunResult r = run_of(Proto::kTcp, Mode::kStream, PeerKind::kInProcess);
  const std::string off = printed([&](std::FILE* f) { print_summary(f, r); });
  EXPECT_FALSE(has(off, "zerocopy")) << off;
  r.spec.zerocopy = true;
  r.spec.skip_rx_copy = true;
  r.zerocopy = ZeroCopyStats{};
  r.zerocopy->sends = 12'000;
  r.zerocopy->completions = 12'000;
  r.zerocopy->copied = 12'000;
  r.zerocopy->buffer_waits = 3;
  const std::string on = printed([&](std::FILE* f) { print_summary(f, r); });
  EXPECT_TRUE(has(line_of(on, "zerocopy"),
                  "12,000 sends, 12,000 completed: 0 zero-copy, 12,000 copied by the kernel"))
      << on;
  EXPECT_TRUE(has(on, "3 waits for a free buffer, 0 on ENOBUFS")) << on;
  const std::string config = printed([&](std::FILE* f) { print_config(f, r.spec); });
  EXPECT_TRUE(has(config, ", zerocopy, skip-rx-copy")) << config;
}

TEST(TextReportTest, CountsAreGrouped) {
  const std::string text = printed([](std::FILE* f) {
    print_summary(f, run_of(Proto::kUdp, Mode::kStream, PeerKind::kInProcess));
  });
  EXPECT_TRUE(has(text, "1,234,567")) << text;
}

TEST(TextReportTest, PlainEchoSaysNotMeasuredAndItsJsonHasNulls) {
  const RunResult r = run_of(Proto::kUdp, Mode::kEcho, PeerKind::kPlainEcho);
  const std::string text = printed([&](std::FILE* f) { print_summary(f, r); });
  EXPECT_TRUE(has(text, "CPU user+sys")) << text;
  EXPECT_TRUE(has(text, "not measured")) << text;
  EXPECT_FALSE(has(text, "receiver socket")) << text;
  const nlohmann::json j = run_json(r);
  EXPECT_TRUE(j["receiver"]["cost"].is_null());
  EXPECT_TRUE(j["receiver"]["active_ns"].is_null());
  EXPECT_TRUE(j["receiver"]["loss"]["at_receiver_socket"].is_null());
  EXPECT_TRUE(j["receiver"]["loss"]["in_network"].is_null());
  EXPECT_EQ(j["peer"]["kind"], "plain_echo");
  // A netbench receiver's costs are measured, zero or not.
  const nlohmann::json own = run_json(run_of(Proto::kUdp, Mode::kEcho, PeerKind::kNetbenchServe));
  EXPECT_TRUE(own["receiver"]["cost"].is_object());
  EXPECT_EQ(own["peer"]["kind"], "netbench_serve");
  EXPECT_EQ(own["peer"]["address"], "127.0.0.1:5201");
  EXPECT_EQ(own["peer"]["family"], "ipv4");
}

TEST(TextReportTest, ManyFlowsGetThePerFlowSpreadAndJain) {
  // 100 flows: flow i got (i + 1) · 125 kB (1, 2, ..., 100 Mbit/s); flows 7
  // and 42 lost 10 and 20 of 1,000 messages.
  const RunResult r = flows_run(
      100, [](std::uint32_t i) { return (i + 1) * 125'000ULL; },
      [](std::uint32_t i) { return i == 7    ? 10U
                                   : i == 42 ? 20U
                                             : 0U; });
  const std::string text = printed([&](std::FILE* f) { print_summary(f, r); });
  // p5: rank 5 (5 Mbit/s), median (50 + 51) / 2, p95: rank 95. Jain:
  // (Σi)² / (n · Σi²) = 5050² / (100 · 338,350) = 0.754.
  EXPECT_EQ(line_of(text, "per-flow throughput"),
            "  per-flow throughput    min 1.00 Mbit/s  p5 5.00 Mbit/s  median 50.5 Mbit/s  "
            "p95 95.0 Mbit/s  max 100 Mbit/s  Jain 0.754")
      << text;
  EXPECT_EQ(line_of(text, "slowest flows"),
            "  slowest flows          0, 1, 2, 3, 4 (Jain 0.754 < 0.9: throughput unevenly "
            "shared)")
      << text;
  EXPECT_EQ(line_of(text, "per-flow loss"),
            "  per-flow loss          min 0.0000%  p5 0.0000%  median 0.0000%  p95 0.0000%  "
            "max 2.0000%  (2 of 100 flows lost; worst 42, 7)")
      << text;
  // 100 flows' jitter is a spread, not 100 lines.
  EXPECT_EQ(line_of(text, "per-flow jitter"),
            "  per-flow jitter        min 1.00 us  p5 5.00 us  median 50.5 us  p95 95.0 us  "
            "max 100 us (RFC 3550)")
      << text;
  EXPECT_FALSE(has(text, "jitter flow")) << text;
}

TEST(TextReportTest, FairLosslessFlowsGetOnlyTheThroughputRow) {
  const RunResult r = flows_run(
      3, [](std::uint32_t) { return 125'000ULL; }, [](std::uint32_t) { return 0U; });
  const std::string text = printed([&](std::FILE* f) { print_summary(f, r); });
  EXPECT_TRUE(has(text, "per-flow throughput    min 1.00 Mbit/s")) << text;
  EXPECT_TRUE(has(text, "Jain 1.000")) << text;
  EXPECT_FALSE(has(text, "slowest flows")) << text;
  EXPECT_FALSE(has(text, "per-flow loss")) << text;
  EXPECT_TRUE(has(text, "jitter flow 2")) << text;  // few flows: each one's jitter
  // One flow: nothing to compare.
  const std::string one = printed([](std::FILE* f) {
    print_summary(f, run_of(Proto::kUdp, Mode::kStream, PeerKind::kInProcess));
  });
  EXPECT_FALSE(has(one, "per-flow")) << one;
}

TEST(TextReportTest, CountsOnlyRunsKeepTheThroughputRow) {
  RunResult r = flows_run(
      2, [](std::uint32_t i) { return (i + 1) * 125'000ULL; }, [](std::uint32_t) { return 0U; });
  r.spec.stats = StatsLevel::kCounts;
  const std::string text = printed([&](std::FILE* f) { print_summary(f, r); });
  EXPECT_TRUE(has(text, "per-flow throughput")) << text;
  EXPECT_FALSE(has(text, "per-flow loss")) << text;
}

TEST(TextReportTest, JsonListsEveryFlowUpTo64AndASummaryAbove) {
  const auto run = [](std::uint32_t n, PerFlowOutput per_flow) {
    RunResult r = flows_run(
        n, [](std::uint32_t i) { return (i + 1) * 125'000ULL; },
        [](std::uint32_t i) { return i == 3 ? 1U : 0U; });
    r.spec.per_flow = per_flow;
    return run_json(r);
  };
  const nlohmann::json few = run(64, PerFlowOutput::kAuto);
  EXPECT_EQ(few["config"]["per_flow"], "auto");
  EXPECT_EQ(few["sender"]["flows"].size(), 64U);
  EXPECT_EQ(few["receiver"]["flows"].size(), 64U);
  EXPECT_EQ(few["flow_summary"]["listed"], true);
  EXPECT_EQ(few["flow_summary"]["flows"], 64);

  const nlohmann::json many = run(65, PerFlowOutput::kAuto);
  EXPECT_TRUE(many["sender"]["flows"].is_array());
  EXPECT_TRUE(many["sender"]["flows"].empty());
  EXPECT_TRUE(many["receiver"]["flows"].empty());
  const nlohmann::json& fs = many["flow_summary"];
  EXPECT_EQ(fs["flows"], 65);
  EXPECT_EQ(fs["listed"], false);
  EXPECT_DOUBLE_EQ(fs["throughput_bps"]["min"].get<double>(), 1e6);
  EXPECT_DOUBLE_EQ(fs["throughput_bps"]["median"].get<double>(), 33e6);
  EXPECT_DOUBLE_EQ(fs["throughput_bps"]["max"].get<double>(), 65e6);
  EXPECT_GT(fs["jain_fairness"].get<double>(), 0.7);
  EXPECT_LT(fs["jain_fairness"].get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(fs["loss_ratio"]["max"].get<double>(), 0.001);
  EXPECT_TRUE(fs["jitter_ns"].is_object());
  EXPECT_EQ(fs["slowest_flows"], nlohmann::json::array({0, 1, 2, 3, 4}));
  EXPECT_EQ(fs["lossiest_flows"], nlohmann::json::array({3}));

  const nlohmann::json full = run(65, PerFlowOutput::kFull);
  EXPECT_EQ(full["receiver"]["flows"].size(), 65U);
  EXPECT_EQ(full["flow_summary"]["listed"], true);
  const nlohmann::json summary = run(2, PerFlowOutput::kSummary);
  EXPECT_TRUE(summary["receiver"]["flows"].empty());
  EXPECT_EQ(summary["flow_summary"]["flows"], 2);
  const nlohmann::json none = run(2, PerFlowOutput::kNone);
  EXPECT_EQ(none["config"]["per_flow"], "none");
  EXPECT_TRUE(none["sender"]["flows"].empty());
  EXPECT_TRUE(none["flow_summary"].is_null());
}

TEST(TextReportTest, JsonFlowSummaryOfACountsOnlyRunHasNoLossOrJitter) {
  RunResult r = flows_run(
      2, [](std::uint32_t) { return 125'000ULL; }, [](std::uint32_t) { return 0U; });
  r.spec.stats = StatsLevel::kCounts;
  const nlohmann::json j = run_json(r);
  EXPECT_TRUE(j["flow_summary"]["throughput_bps"].is_object());
  EXPECT_TRUE(j["flow_summary"]["loss_ratio"].is_null());
  EXPECT_TRUE(j["flow_summary"]["jitter_ns"].is_null());
  EXPECT_EQ(j["flow_summary"]["lossiest_flows"], nlohmann::json::array());
}

}  // namespace
}  // namespace netbench::app
