// The control protocol's messages (app/control/messages.hpp): every one
// encodes and decodes back to what was sent, the bytes of version 1 stay as
// they were, and malformed messages are refused with an error naming the
// field, never an exception.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/control/messages.hpp"
#include "app/control/result_codec.hpp"
#include "app/control/spec_codec.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;
/// The "test" message (inside a TEST body, plain `Test` is GoogleTest's class).
using TestMessage = netbench::app::Test;

/// A spec with every field away from its default.
TestSpec busy_spec() {
  TestSpec t;
  t.proto = Proto::kUdp;
  t.mode = Mode::kEcho;
  t.flows = 16;
  t.size_bytes = 1400;
  t.rate_msgs_per_s = 12345.5;
  t.count = 1000;
  t.sender_cpus = {0, 2};
  t.receiver_cpus = {1};
  t.coalesce_ns = 5000;
  t.bind_address = "127.0.0.1";
  t.port = 5202;
  t.gso = true;
  return t;
}

RegistrationToken some_token() {
  RegistrationToken t{};
  for (std::size_t i = 0; i < t.size(); ++i) {
    t[i] = static_cast<std::byte>(0xF0 + i);
  }
  return t;
}

/// decode(encode(m)) as M; fails the test if it does not decode.
template <typename M>
M round_trip(const M& m) {
  M back;
  std::string error = "not cleared";
  EXPECT_TRUE(decode(encode(m), back, error)) << error;
  EXPECT_EQ(error, "");
  return back;
}

// The bytes a netbench 1 client and server exchange: recorded from the
// encoders before the protocol had its own (the report's config_json() then).
TEST(ControlMessagesTest, TestMessageBytesAreThoseOfProtocolVersionOne) {
  EXPECT_EQ(
      encode(TestMessage{TestSpec{}, 42, "", 0, {}, {}}).dump(),
      R"({"clock_ns":42,"config":{"batch":1,"bind":"","busy_poll":false,"coalesce_ns":0,)"
      R"("count_messages":0,"duration_ns":5000000000,"family":"any","flows":1,"gso":false,)"
      R"("interval_ns":1000000000,"mode":"stream","model":"epoll","outstanding":1,)"
      R"("pattern":"constant","port":0,"proto":"tcp","rate_msgs_per_s":0.0,"receiver_cpus":[],)"
      R"("sender_cpus":[],"size_bytes":131072,"socket_buffer_bytes":0,"stats":"full",)"
      R"("tcp_nodelay":false,"threads":1,"warmup_ns":0},"type":"test"})");
  EXPECT_EQ(encode(TestMessage{busy_spec(), std::nullopt, "", 0, {}, {}}).dump(),
            R"({"config":{"batch":1,"bind":"127.0.0.1","busy_poll":false,"coalesce_ns":5000,)"
            R"("count_messages":1000,"duration_ns":0,"family":"any","flows":16,"gso":true,)"
            R"("interval_ns":1000000000,"mode":"echo","model":"epoll","outstanding":1,)"
            R"("pattern":"constant","port":5202,"proto":"udp","rate_msgs_per_s":12345.5,)"
            R"("receiver_cpus":[1],"sender_cpus":[0,2],"size_bytes":1400,"socket_buffer_bytes":0,)"
            R"("stats":"full","tcp_nodelay":true,"threads":1,"warmup_ns":0},"type":"test"})");
}

TEST(ControlMessagesTest, SmallMessagesKeepTheirBytes) {
  EXPECT_EQ(encode(Hello{}).dump(), R"({"type":"hello","version":1})");
  Hello client;
  client.token = "s3cret";
  EXPECT_EQ(encode(client).dump(), R"({"token":"s3cret","type":"hello","version":1})");
  EXPECT_EQ(encode(Registered{}).dump(), R"({"type":"registered"})");
  EXPECT_EQ(encode(Poll{}).dump(), R"({"type":"poll"})");
  EXPECT_EQ(encode(Done{{3, 4}}).dump(), R"({"sent_by_flow":[3,4],"type":"done"})");
  EXPECT_EQ(encode(Error{"busy"}).dump(), R"({"error":"busy","type":"error"})");
  Ready ready;
  ready.ports = {5000, 5001};
  ready.clock = "c";
  ready.token = some_token();
  EXPECT_EQ(encode(ready).dump(),
            R"({"clock":"c","ports":[5000,5001],"token":"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",)"
            R"("type":"ready"})");
}

TEST(ControlMessagesTest, EveryMessageRoundTrips) {
  Hello hello;
  hello.token = "t";
  hello.server = "netbench x";
  const Hello h = round_trip(hello);
  EXPECT_EQ(h.version, kControlVersion);
  EXPECT_EQ(h.token, hello.token);
  EXPECT_EQ(h.server, hello.server);

  const TestMessage t = round_trip(TestMessage{busy_spec(), 7, "", 0, {}, {}});
  // Everything but the address, which the server picks for itself.
  TestSpec sent = busy_spec();
  sent.bind_address.clear();
  EXPECT_EQ(spec_to_json(t.spec), spec_to_json(sent));
  EXPECT_EQ(t.clock_ns, 7U);
  EXPECT_FALSE(
      round_trip(TestMessage{TestSpec{}, std::nullopt, "", 0, {}, {}}).clock_ns.has_value());
  // Issue 14: the client's boot id and hello round trip reach the server.
  const TestMessage e = round_trip(TestMessage{TestSpec{}, 9, "boot-id-1", 80'000, {}, {}});
  EXPECT_EQ(e.boot_id, "boot-id-1");
  EXPECT_EQ(e.rtt_ns, 80'000U);

  Ready ready;
  ready.ports = {1, 65535};
  ready.token = some_token();
  ready.clock = "shared";
  const Ready r = round_trip(ready);
  EXPECT_EQ(r.ports, ready.ports);
  EXPECT_EQ(r.token, ready.token);
  EXPECT_EQ(r.clock, "shared");
  EXPECT_FALSE(round_trip(Ready{{9}, std::nullopt, "x", {}}).token.has_value());
  // --bidir: the forward half's ready gives a pair token, the reverse
  // half's test names it.
  Ready forward_half = ready;
  forward_half.pair = some_token();
  EXPECT_EQ(round_trip(forward_half).pair, some_token());
  EXPECT_FALSE(r.pair.has_value());
  TestMessage reverse_half{busy_spec(), 7, "", 0, some_token(), {}};
  reverse_half.spec.direction = Direction::kReverse;
  reverse_half.spec.sender_threads = 2;
  reverse_half.spec.zerocopy = true;
  const TestMessage rh = round_trip(reverse_half);
  EXPECT_EQ(rh.pair, some_token());
  EXPECT_EQ(rh.spec.direction, Direction::kReverse);
  EXPECT_EQ(rh.spec.sender_threads, 2U);
  EXPECT_TRUE(rh.spec.zerocopy);
  EXPECT_FALSE(t.pair.has_value());
  EXPECT_EQ(t.spec.direction, Direction::kForward);

  // --reverse: the server's messages once the test runs.
  round_trip(Go{});
  round_trip(Stop{});
  Interval in;
  in.record = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, false};
  EXPECT_EQ(encode(round_trip(in)), encode(in));
  Report report;
  report.sender.message_bytes = 1400;
  report.sender.measured_ns = 99;
  report.sender.sender_flows.resize(2);
  report.sender.sender_flows[1].flow_id = 1;
  report.sender.sender_flows[1].messages = 5;
  const Report reported = round_trip(report);
  EXPECT_EQ(reported.sender.sender_flows.size(), 2U);
  EXPECT_EQ(reported.sender.sender_flows[1].messages, 5U);
  EXPECT_EQ(reported.sender.measured_ns, 99U);

  round_trip(Registered{});
  round_trip(Poll{});

  Live live;
  live.totals = {1, 2, 3, 4, 5, 6};
  live.latency.record(1'000);
  live.latency.record(2'000'000, 3);
  const Live l = round_trip(live);
  EXPECT_EQ(l.totals.messages, 1U);
  EXPECT_EQ(l.totals.bytes, 2U);
  EXPECT_EQ(l.totals.reordered, 3U);
  EXPECT_EQ(l.totals.duplicates, 4U);
  EXPECT_EQ(l.totals.flows, 5U);
  EXPECT_EQ(l.totals.finished_flows, 6U);
  EXPECT_TRUE(l.latency == live.latency);

  EXPECT_EQ(round_trip(Done{{0, UINT64_MAX}}).sent_by_flow,
            (std::vector<std::uint64_t>{0, UINT64_MAX}));

  Result result;
  result.receiver.receiver_flows.resize(2);
  result.receiver.receiver_flows[1].flow_id = 1;
  result.receiver.receiver_flows[1].messages = 99;
  result.receiver.latency.record(5'000);
  result.error = "stream error";
  const Result back = round_trip(result);
  EXPECT_EQ(receiver_part_to_json(back.receiver), receiver_part_to_json(result.receiver));
  EXPECT_EQ(back.error, "stream error");

  EXPECT_EQ(round_trip(Error{"no"}).error, "no");
}

/// One malformed message and the field its refusal must name.
struct Bad {
  const char* name;
  std::function<bool(const json&, std::string&)> decoder;
  json message;
  const char* field;
};

template <typename M>
std::function<bool(const json&, std::string&)> decoder_of() {
  return [](const json& j, std::string& error) {
    M m;
    return decode(j, m, error);
  };
}

json with(json j, const char* key, json value) {
  j[key] = std::move(value);
  return j;
}

// Remote fan-out: the group (or broadcast), the receiver count and the
// ports every server after the first must bind reach the server.
TEST(ControlMessagesTest, FanOutSpecAndItsPortsRoundTrip) {
  TestSpec spec;
  spec.proto = Proto::kUdp;
  spec.flows = 2;
  spec.count = 10;
  spec.receivers = 3;
  spec.multicast_group = "239.1.2.3";
  const TestMessage t = round_trip(TestMessage{spec, 1, "", 0, {}, {5001, 6002}});
  EXPECT_EQ(t.spec.multicast_group, "239.1.2.3");
  EXPECT_FALSE(t.spec.broadcast);
  EXPECT_EQ(t.spec.receivers, 3U);
  EXPECT_EQ(t.fanout_ports, (std::vector<std::uint16_t>{5001, 6002}));
  spec.multicast_group.clear();
  spec.broadcast = true;
  const TestMessage b = round_trip(TestMessage{spec, 1, "", 0, {}, {}});
  EXPECT_TRUE(b.spec.broadcast);
  EXPECT_TRUE(b.spec.multicast_group.empty());
  EXPECT_TRUE(b.fanout_ports.empty());
  // Without fan-out the keys are absent and decode to no fan-out.
  EXPECT_FALSE(round_trip(TestMessage{TestSpec{}, 1, "", 0, {}, {}}).spec.fanout());
}

TEST(ControlMessagesTest, FanOutPortsOnlyWithFanOutAndOnePerFlow) {
  TestSpec spec;
  spec.proto = Proto::kUdp;
  spec.flows = 2;
  spec.count = 10;
  spec.broadcast = true;
  spec.receivers = 2;
  std::string err;
  TestMessage out;
  json j = encode(TestMessage{spec, 1, "", 0, {}, {}});
  j["fanout_ports"] = {5001};
  EXPECT_FALSE(decode(j, out, err));
  EXPECT_NE(err.find("test.fanout_ports"), std::string::npos) << err;
  j["fanout_ports"] = {5001, 0};
  EXPECT_FALSE(decode(j, out, err));
  EXPECT_NE(err.find("test.fanout_ports[1]"), std::string::npos) << err;
  json unicast = encode(TestMessage{TestSpec{}, 1, "", 0, {}, {}});
  unicast["fanout_ports"] = {5001};
  EXPECT_FALSE(decode(unicast, out, err));
  EXPECT_NE(err.find("only with a fan-out config"), std::string::npos) << err;
  json bad_group = encode(TestMessage{spec, 1, "", 0, {}, {}});
  bad_group["config"]["broadcast"] = false;
  bad_group["config"]["multicast_group"] = "10.0.0.1";
  EXPECT_FALSE(decode(bad_group, out, err));
  EXPECT_NE(err.find("not an IPv4 multicast address"), std::string::npos) << err;
}

json without(json j, const char* key) {
  j.erase(key);
  return j;
}

TEST(ControlMessagesTest, MalformedMessagesAreRefusedNamingTheField) {
  const json hello = encode(Hello{});
  const json test = encode(TestMessage{TestSpec{}, 1, "", 0, {}, {}});
  Ready good_ready;
  good_ready.ports = {5000};
  const json ready = encode(good_ready);
  Live good_live;
  const json live = encode(good_live);
  const json done = encode(Done{{1, 2}});
  const json result = encode(Result{});
  const std::vector<Bad> cases = {
      {"hello of another type", decoder_of<Hello>(), encode(Poll{}), "type"},
      {"not an object", decoder_of<Hello>(), json::array({1}), "type"},
      {"null", decoder_of<Live>(), json(), "type"},
      {"type not a string", decoder_of<Poll>(), json{{"type", 1}}, "type"},
      {"version missing", decoder_of<Hello>(), without(hello, "version"), "hello.version"},
      {"version a float", decoder_of<Hello>(), with(hello, "version", 1.0), "hello.version"},
      {"version a string", decoder_of<Hello>(), with(hello, "version", "1"), "hello.version"},
      {"version beyond int", decoder_of<Hello>(), with(hello, "version", 1ULL << 40),
       "hello.version"},
      {"token a number", decoder_of<Hello>(), with(hello, "token", 12), "hello.token"},
      {"config missing", decoder_of<TestMessage>(), without(test, "config"), "test.config"},
      {"config proto unknown", decoder_of<TestMessage>(),
       with(test, "config", with(test["config"], "proto", "sctp")), "config.proto"},
      {"clock negative", decoder_of<TestMessage>(), with(test, "clock_ns", -1), "test.clock_ns"},
      {"ports missing", decoder_of<Ready>(), without(ready, "ports"), "ready.ports"},
      {"ports empty", decoder_of<Ready>(), with(ready, "ports", json::array()), "ready.ports"},
      {"port too high", decoder_of<Ready>(), with(ready, "ports", json::array({1, 65536})),
       "ready.ports[1]"},
      {"token short", decoder_of<Ready>(), with(ready, "token", "abcd"), "ready.token"},
      {"token upper case", decoder_of<Ready>(),
       with(ready, "token", "F0F1F2F3F4F5F6F7F8F9FAFBFCFDFEFF"), "ready.token"},
      {"clock a number", decoder_of<Ready>(), with(ready, "clock", 3), "ready.clock"},
      {"pair short", decoder_of<Ready>(), with(ready, "pair", "abcd"), "ready.pair"},
      {"test pair a number", decoder_of<TestMessage>(), with(test, "pair", 5), "test.pair"},
      {"interval record missing", decoder_of<Interval>(), json{{"type", "interval"}},
       "interval.record"},
      {"report sender missing", decoder_of<Report>(), json{{"type", "report"}}, "report.sender"},
      {"messages missing", decoder_of<Live>(), without(live, "messages"), "live.messages"},
      {"bytes negative", decoder_of<Live>(), with(live, "bytes", -5), "live.bytes"},
      {"flows beyond 32 bits", decoder_of<Live>(), with(live, "flows", 1ULL << 32), "live.flows"},
      {"finished a string", decoder_of<Live>(), with(live, "finished_flows", "2"),
       "live.finished_flows"},
      {"latency not base64", decoder_of<Live>(), with(live, "latency", "*"), "live.latency"},
      {"latency not a histogram", decoder_of<Live>(), with(live, "latency", "AAAA"),
       "live.latency"},
      {"counts missing", decoder_of<Done>(), without(done, "sent_by_flow"), "done.sent_by_flow"},
      {"count negative", decoder_of<Done>(), with(done, "sent_by_flow", json::array({1, -2})),
       "done.sent_by_flow[1]"},
      {"receiver missing", decoder_of<Result>(), without(result, "receiver"), "result.receiver"},
      {"receiver flows wrong", decoder_of<Result>(),
       with(result, "receiver", with(result["receiver"], "receiver_flows", 3)), "receiver_flows"},
      {"result error a number", decoder_of<Result>(), with(result, "error", 1), "result.error"},
      {"error text missing", decoder_of<Error>(), json{{"type", "error"}}, "error.error"},
  };
  for (const Bad& c : cases) {
    std::string error;
    bool ok = true;
    EXPECT_NO_THROW(ok = c.decoder(c.message, error)) << c.name;
    EXPECT_FALSE(ok) << c.name;
    EXPECT_EQ(error.rfind(c.field, 0), 0U) << c.name << ": " << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << c.name << ": " << error;
  }
}

TEST(ControlMessagesTest, OptionalFieldsMayBeAbsent) {
  Ready r;
  std::string error;
  ASSERT_TRUE(decode(json{{"type", "ready"}, {"ports", {5000}}}, r, error)) << error;
  EXPECT_EQ(r.clock, "unknown");
  EXPECT_FALSE(r.token.has_value());
  Result res;
  json part = encode(Result{});
  part.erase("error");
  ASSERT_TRUE(decode(part, res, error)) << error;
  EXPECT_EQ(res.error, "");
}

// Issue 19: the socket knobs reach the server only when given, and a bad one
// is refused naming its field.
TEST(ControlMessagesTest, SkipRxCopyGoesToTheServerOnlyWhenAsked) {
  TestSpec spec;
  spec.count = 100;
  spec.skip_rx_copy = true;
  spec.zerocopy = true;  // the sender's own: the server is not told
  const nlohmann::json j = spec_to_json(spec);
  EXPECT_EQ(j["skip_rx_copy"], true);
  EXPECT_FALSE(j.contains("zerocopy"));
  TestSpec back;
  std::string error;
  ASSERT_TRUE(spec_from_json(j, back, error)) << error;
  EXPECT_TRUE(back.skip_rx_copy);
  EXPECT_FALSE(back.zerocopy);
  // Unless the server sends (--reverse): then the sender's settings are its.
  spec.direction = Direction::kReverse;
  spec.sender_threads = 3;
  spec.flows = 3;
  ASSERT_TRUE(spec_from_json(spec_to_json(spec), back, error)) << error;
  EXPECT_TRUE(back.zerocopy);
  EXPECT_EQ(back.sender_threads, 3U);
  spec.direction = Direction::kForward;
  spec.sender_threads = 1;
  spec.flows = 1;
  // An older client's config has no key: payloads are read as before.
  EXPECT_FALSE(spec_to_json(TestSpec{}).contains("skip_rx_copy"));
  nlohmann::json echo = j;
  echo["mode"] = "echo";
  EXPECT_FALSE(spec_from_json(echo, back, error));
  EXPECT_NE(error.find("--skip-rx-copy"), std::string::npos) << error;
  nlohmann::json bad = j;
  bad["skip_rx_copy"] = 1;
  EXPECT_FALSE(spec_from_json(bad, back, error));
  EXPECT_NE(error.find("config.skip_rx_copy"), std::string::npos) << error;
}

TEST(ControlMessagesTest, SocketKnobsRoundTripAndAreCheckedServerSide) {
  TestSpec knobs;
  knobs.count = 100;
  knobs.size_bytes = 1000;
  knobs.congestion = "reno";
  knobs.tos = 0x20;
  knobs.mss_bytes = 1000;
  knobs.fq_rate_bps = 1'000'000'000;
  const nlohmann::json j = spec_to_json(knobs);
  EXPECT_EQ(j["congestion"], "reno");
  EXPECT_EQ(j["tos"], 0x20);
  EXPECT_EQ(j["mss_bytes"], 1000);
  EXPECT_EQ(j["fq_rate_bps"], 1'000'000'000U);
  TestSpec back;
  std::string error;
  ASSERT_TRUE(spec_from_json(j, back, error)) << error;
  EXPECT_EQ(back.congestion, "reno");
  EXPECT_EQ(back.tos, 0x20);
  EXPECT_EQ(back.mss_bytes, 1000U);
  EXPECT_EQ(back.fq_rate_bps, 1'000'000'000U);

  const nlohmann::json plain = spec_to_json(TestSpec{});
  for (const char* key : {"congestion", "tos", "mss_bytes", "fq_rate_bps"}) {
    EXPECT_FALSE(plain.contains(key)) << key;
  }

  const auto refused = [&j](const char* key, const nlohmann::json& value) {
    nlohmann::json bad = j;
    bad[key] = value;
    TestSpec s;
    std::string why;
    EXPECT_FALSE(spec_from_json(bad, s, why)) << key << " " << value.dump();
    return why;
  };
  EXPECT_NE(refused("congestion", 5).find("config.congestion"), std::string::npos);
  EXPECT_NE(refused("congestion", "a b").find("--congestion"), std::string::npos);
  EXPECT_NE(refused("tos", 256U).find("config.tos"), std::string::npos);
  const std::string mss = refused("mss_bytes", 10U);
  EXPECT_NE(mss.find("--mss"), std::string::npos) << mss;
  EXPECT_NE(refused("fq_rate_bps", -1).find("config.fq_rate_bps"), std::string::npos);
  nlohmann::json udp = j;
  udp["proto"] = "udp";
  TestSpec s;
  EXPECT_FALSE(spec_from_json(udp, s, error));
  EXPECT_NE(error.find("UDP has none"), std::string::npos) << error;
}

TEST(ControlMessagesTest, HasTypeLooksOnlyAtAStringType) {
  EXPECT_TRUE(has_type(encode(Poll{}), "poll"));
  EXPECT_FALSE(has_type(encode(Poll{}), "live"));
  EXPECT_FALSE(has_type(json{{"type", 3}}, "3"));
  EXPECT_FALSE(has_type(json::array(), "poll"));
  EXPECT_FALSE(has_type(json(), "poll"));
}

}  // namespace
}  // namespace netbench::app
