// What the text summary says, and what it must not (issue 14, item 7): the
// configuration line names what shapes the figures, TCP runs carry no
// UDP-only rows, a plain echo server's unknowns read "not measured", counts
// are grouped, and the JSON names the peer.
#include "app/report/text_report.hpp"

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

}  // namespace
}  // namespace netbench::app
