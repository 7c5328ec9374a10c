// Receiver results over the wire: receiver_part_to_json() and back must give
// identical structs, and any malformed part must be refused with an error
// naming the field, never a crash or an exception.
#include "app/control/result_codec.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/control/base64.hpp"
#include "app/control/spec_codec.hpp"
#include "app/report/json_report.hpp"
#include "netbench/sequence_tracker.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;

/// One flow's receiver figures from a real SequenceTracker fed a shuffled,
/// lossy, duplicating arrival order, so distributions and bursts are genuine.
FlowRecvStats tracked_flow(std::mt19937_64& rng, std::uint32_t id, std::uint64_t sent,
                           std::size_t max_gaps) {
  SequenceTracker t(max_gaps);
  std::vector<std::uint64_t> order;
  for (std::uint64_t s = 0; s < sent; ++s) {
    if (rng() % 13 != 0) {  // about 8% lost
      order.push_back(s);
    }
    if (rng() % 29 == 0) {
      order.push_back(s);  // a duplicate
    }
  }
  // Local displacement: reordering with extents of 1 to a few hundred.
  for (std::size_t i = 0; i + 1 < order.size(); ++i) {
    if (rng() % 7 == 0) {
      const std::size_t j = std::min(order.size() - 1, i + 1 + rng() % 300);
      std::swap(order[i], order[j]);
    }
  }
  for (const std::uint64_t s : order) {
    t.on_arrival(s);
  }
  FlowRecvStats f;
  f.flow_id = id;
  f.messages = t.received();
  f.bytes = t.received() * 1400;
  f.warmup_messages = 17 + id;
  f.malformed = id % 3;
  f.unique = t.unique();
  f.duplicates = t.duplicates();
  f.reordered = t.reordered();
  f.beyond_window = t.beyond_window();
  f.reorder_extents = t.reorder_extents();
  f.loss = t.finalize(sent);
  f.jitter_ns = 1234.5678901234567 * (id + 1) + 1e-9;
  f.socket_drops = 3 * id;
  f.first_arrival_ns = 1'000'000'007ULL * (id + 1);
  f.last_arrival_ns = UINT64_MAX - 11 * id;
  f.echoed_messages = 40'000'000'000ULL + id;
  f.echoed_bytes = UINT64_MAX - id;
  f.echo_failures = id;
  f.peer_closed = id % 2 == 0;
  f.stream_error = id % 2 == 1;
  return f;
}

LatencyHistogram random_histogram(std::mt19937_64& rng, std::size_t n, std::uint64_t scale) {
  LatencyHistogram h;
  std::lognormal_distribution<double> dist(0.0, 1.5);
  for (std::size_t i = 0; i < n; ++i) {
    h.record(static_cast<std::uint64_t>(dist(rng) * static_cast<double>(scale)));
  }
  h.record(LatencyHistogram::kHighestTrackableNs * 2);  // one saturated sample
  h.record(0);
  return h;
}

RunResult sample_result() {
  std::mt19937_64 rng(20240601);
  RunResult r;
  r.receiver_flows.push_back(tracked_flow(rng, 0, 20'000, SequenceTracker::kDefaultMaxOpenGaps));
  r.receiver_flows.push_back(tracked_flow(rng, 1, 5'000, 8));  // small window: beyond_window
  r.receiver_flows.push_back(tracked_flow(rng, 7, 1, 4));
  r.receiver_flows.push_back(FlowRecvStats{});  // all zero
  FlowRecvStats big;
  big.flow_id = UINT32_MAX;
  big.reorder_extents.record(UINT64_MAX);
  big.reorder_extents.record(UINT64_MAX - 5);  // saturated sum
  big.loss.sent = UINT64_MAX;
  big.loss.unique = 1;
  big.loss.lost = UINT64_MAX - 1;
  big.loss.burst_lengths.record(UINT64_MAX - 1);
  big.loss.bursts = 1;
  big.jitter_ns = 0.1;
  r.receiver_flows.push_back(big);
  r.receiver.cpu = {0.123456789012345, 1e-7, 12, 345, 4};
  r.receiver.loop = {98'765, 1'234'567};
  r.receiver.uring = UringPath{"coop_taskrun", true, false, true, {"single_mmap", "ext_arg"}};
  r.latency = random_histogram(rng, 5'000, 20'000);
  r.latency_from_actual = random_histogram(rng, 7'000, 15'000);
  r.delay_variation = random_histogram(rng, 3'000, 900);
  return r;
}

void expect_same_loss(const LossReport& a, const LossReport& b) {
  EXPECT_EQ(a.sent, b.sent);
  EXPECT_EQ(a.unique, b.unique);
  EXPECT_EQ(a.lost, b.lost);
  EXPECT_EQ(a.bursts, b.bursts);
  EXPECT_EQ(a.burst_lengths, b.burst_lengths);
}

void expect_same_flow(const FlowRecvStats& a, const FlowRecvStats& b) {
  SCOPED_TRACE("flow " + std::to_string(a.flow_id));
  EXPECT_EQ(a.flow_id, b.flow_id);
  EXPECT_EQ(a.messages, b.messages);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_EQ(a.warmup_messages, b.warmup_messages);
  EXPECT_EQ(a.malformed, b.malformed);
  EXPECT_EQ(a.unique, b.unique);
  EXPECT_EQ(a.duplicates, b.duplicates);
  EXPECT_EQ(a.reordered, b.reordered);
  EXPECT_EQ(a.beyond_window, b.beyond_window);
  EXPECT_EQ(a.reorder_extents, b.reorder_extents);
  expect_same_loss(a.loss, b.loss);
  EXPECT_EQ(a.jitter_ns, b.jitter_ns);  // exactly: doubles are written in full
  EXPECT_EQ(a.socket_drops, b.socket_drops);
  EXPECT_EQ(a.first_arrival_ns, b.first_arrival_ns);
  EXPECT_EQ(a.last_arrival_ns, b.last_arrival_ns);
  EXPECT_EQ(a.echoed_messages, b.echoed_messages);
  EXPECT_EQ(a.echoed_bytes, b.echoed_bytes);
  EXPECT_EQ(a.echo_failures, b.echo_failures);
  EXPECT_EQ(a.peer_closed, b.peer_closed);
  EXPECT_EQ(a.stream_error, b.stream_error);
}

void expect_same_receiver_part(const RunResult& a, const RunResult& b) {
  ASSERT_EQ(a.receiver_flows.size(), b.receiver_flows.size());
  for (std::size_t i = 0; i < a.receiver_flows.size(); ++i) {
    expect_same_flow(a.receiver_flows[i], b.receiver_flows[i]);
  }
  EXPECT_EQ(a.receiver.cpu.user_s, b.receiver.cpu.user_s);
  EXPECT_EQ(a.receiver.cpu.sys_s, b.receiver.cpu.sys_s);
  EXPECT_EQ(a.receiver.cpu.voluntary_switches, b.receiver.cpu.voluntary_switches);
  EXPECT_EQ(a.receiver.cpu.involuntary_switches, b.receiver.cpu.involuntary_switches);
  EXPECT_EQ(a.receiver.cpu.threads, b.receiver.cpu.threads);
  EXPECT_EQ(a.receiver.loop.wakeups, b.receiver.loop.wakeups);
  EXPECT_EQ(a.receiver.loop.ready_events, b.receiver.loop.ready_events);
  ASSERT_EQ(a.receiver.uring.has_value(), b.receiver.uring.has_value());
  if (a.receiver.uring) {
    EXPECT_EQ(a.receiver.uring->setup, b.receiver.uring->setup);
    EXPECT_EQ(a.receiver.uring->multishot_accept, b.receiver.uring->multishot_accept);
    EXPECT_EQ(a.receiver.uring->multishot_receive, b.receiver.uring->multishot_receive);
    EXPECT_EQ(a.receiver.uring->forced, b.receiver.uring->forced);
    EXPECT_EQ(a.receiver.uring->features, b.receiver.uring->features);
  }
  EXPECT_EQ(a.latency, b.latency);
  EXPECT_EQ(a.latency_from_actual, b.latency_from_actual);
  EXPECT_EQ(a.delay_variation, b.delay_variation);
}

/// Through text, as over the control connection.
json over_the_wire(const json& j) { return json::parse(j.dump()); }

TEST(ResultCodecTest, SampleHasNonTrivialValues) {
  // Guards the round-trip test against testing only zeros.
  const RunResult r = sample_result();
  EXPECT_GT(r.receiver_flows[0].reordered, 100U);
  EXPECT_GT(r.receiver_flows[0].reorder_extents.max(), 50U);
  EXPECT_GT(r.receiver_flows[0].duplicates, 100U);
  EXPECT_GT(r.receiver_flows[0].loss.bursts, 100U);
  EXPECT_GT(r.receiver_flows[0].loss.burst_lengths.max(), 1U);
  EXPECT_GT(r.receiver_flows[1].beyond_window, 0U);
  EXPECT_GT(r.latency.count(), 5'000U);
  EXPECT_EQ(r.latency.saturated(), 1U);
}

TEST(ResultCodecTest, ReceiverPartRoundTripsToIdenticalStructs) {
  const RunResult sent = sample_result();
  const json wire = over_the_wire(receiver_part_to_json(sent));
  RunResult got;
  std::string error = "stale";
  ASSERT_TRUE(receiver_part_from_json(wire, got, error)) << error;
  EXPECT_EQ(error, "");
  expect_same_receiver_part(sent, got);
  // And the rebuilt part encodes to the very same document.
  EXPECT_EQ(receiver_part_to_json(got), wire);
}

TEST(ResultCodecTest, EmptyReceiverPartRoundTrips) {
  const RunResult sent;
  RunResult got = sample_result();
  std::string error;
  ASSERT_TRUE(receiver_part_from_json(over_the_wire(receiver_part_to_json(sent)), got, error))
      << error;
  expect_same_receiver_part(sent, got);
}

TEST(ResultCodecTest, DecodingFillsOnlyTheReceiverPart) {
  RunResult got;
  got.measured_ns = 42;
  got.sender_flows.resize(3);
  got.error = "kept";
  std::string error;
  ASSERT_TRUE(receiver_part_from_json(receiver_part_to_json(sample_result()), got, error));
  EXPECT_EQ(got.measured_ns, 42U);
  EXPECT_EQ(got.sender_flows.size(), 3U);
  EXPECT_EQ(got.error, "kept");
}

TEST(ResultCodecTest, ArrivalTimesAreOptionalSoEarlierServersStillWork) {
  json j = receiver_part_to_json(sample_result());
  for (json& f : j["receiver_flows"]) {
    f.erase("first_arrival_ns");
    f.erase("last_arrival_ns");
  }
  RunResult got;
  std::string error;
  ASSERT_TRUE(receiver_part_from_json(j, got, error)) << error;
  ASSERT_FALSE(got.receiver_flows.empty());
  EXPECT_EQ(got.receiver_flows[0].first_arrival_ns, 0U);
  EXPECT_EQ(got.receiver_flows[0].last_arrival_ns, 0U);
}

TEST(ResultCodecTest, UringPathIsOptionalSoOtherModelsAndEarlierServersStillWork) {
  json j = receiver_part_to_json(sample_result());
  ASSERT_TRUE(j["receiver"].contains("uring"));
  j["receiver"].erase("uring");
  RunResult got;
  got.receiver.uring = UringPath{};  // stale: must be cleared
  std::string error;
  ASSERT_TRUE(receiver_part_from_json(j, got, error)) << error;
  EXPECT_FALSE(got.receiver.uring.has_value());
}

TEST(ResultCodecTest, ConnectModeCarriesTheServersAcceptsThreadsAndListenQueue) {
  RunResult sent = sample_result();
  sent.spec.mode = Mode::kConnect;
  sent.connect.server_accepts = 1234;
  sent.connect.server_threads_started = 1200;
  sent.connect.kernel = {true, 7, 9, 11};
  const json wire = over_the_wire(receiver_part_to_json(sent));
  RunResult got;
  std::string error;
  ASSERT_TRUE(receiver_part_from_json(wire, got, error)) << error;
  EXPECT_EQ(got.connect.server_accepts, 1234U);
  EXPECT_EQ(got.connect.server_threads_started, 1200U);
  EXPECT_TRUE(got.connect.kernel.valid);
  EXPECT_EQ(got.connect.kernel.listen_overflows, 7U);
  EXPECT_EQ(got.connect.kernel.listen_drops, 9U);
  EXPECT_EQ(got.connect.kernel.syn_retransmits, 11U);
  // Without its counters (unreadable on the server) the kernel part is invalid.
  json no_kernel = wire;
  no_kernel["connect"].erase("kernel");
  got = RunResult{};
  ASSERT_TRUE(receiver_part_from_json(no_kernel, got, error)) << error;
  EXPECT_FALSE(got.connect.kernel.valid);
  // A wrong type is refused by name.
  json bad = wire;
  bad["connect"]["server_accepts"] = "many";
  EXPECT_FALSE(receiver_part_from_json(bad, got, error));
  EXPECT_NE(error.find("connect.server_accepts"), std::string::npos) << error;
}

TEST(ResultCodecTest, SignedIntegersBuiltInCodeAreAccepted) {
  json j = receiver_part_to_json(RunResult{});
  j["receiver"]["loop"]["wakeups"] = 5;  // int, stored signed
  RunResult got;
  std::string error;
  ASSERT_TRUE(receiver_part_from_json(j, got, error)) << error;
  EXPECT_EQ(got.receiver.loop.wakeups, 5U);
}

/// A malformed variant of the sample part and the text its error must hold.
struct Malformed {
  const char* name;
  std::function<void(json&)> mutate;
  const char* field;  // must appear in the error
};

std::string truncated_histogram(const LatencyHistogram& h, std::size_t drop) {
  auto bytes = h.serialize();
  bytes.resize(bytes.size() - drop);
  return base64(bytes);
}

std::vector<Malformed> malformed_cases() {
  const RunResult sample = sample_result();
  return {
      {"not an object", [](json& j) { j = json::array(); }, "receiver part"},
      {"no flows", [](json& j) { j.erase("receiver_flows"); }, "receiver_flows: missing"},
      {"flows not an array", [](json& j) { j["receiver_flows"] = json::object(); },
       "receiver_flows: expected an array"},
      {"too many flows",
       [](json& j) {
         j["receiver_flows"] = json::array();
         for (std::size_t i = 0; i <= kMaxReceiverFlows; ++i) {
           j["receiver_flows"].push_back(nullptr);
         }
       },
       "receiver_flows: more than 65536 flows (65537)"},
      {"flow not an object", [](json& j) { j["receiver_flows"][2] = 7; },
       "receiver_flows[2]: expected an object"},
      {"missing flow field", [](json& j) { j["receiver_flows"][1].erase("bytes"); },
       "receiver_flows[1].bytes: missing"},
      {"string for a count", [](json& j) { j["receiver_flows"][0]["messages"] = "12"; },
       "receiver_flows[0].messages: expected an integer"},
      {"negative count", [](json& j) { j["receiver_flows"][0]["socket_drops"] = -1; },
       "receiver_flows[0].socket_drops: expected an integer"},
      {"fraction for a count", [](json& j) { j["receiver_flows"][0]["unique"] = 1.5; },
       "receiver_flows[0].unique: expected an integer"},
      {"count above 2^64", [](json& j) { j["receiver_flows"][0]["bytes"] = 1e30; },
       "receiver_flows[0].bytes: expected an integer"},
      {"null for a count", [](json& j) { j["receiver_flows"][0]["reordered"] = nullptr; },
       "receiver_flows[0].reordered: expected an integer"},
      {"flow id above 32 bits", [](json& j) { j["receiver_flows"][0]["flow_id"] = 1ULL << 32; },
       "receiver_flows[0].flow_id: expected an integer in [0, 2^32 - 1]"},
      {"negative jitter", [](json& j) { j["receiver_flows"][3]["jitter_ns"] = -0.5; },
       "receiver_flows[3].jitter_ns: expected a finite number"},
      {"jitter as text", [](json& j) { j["receiver_flows"][3]["jitter_ns"] = "1.5"; },
       "receiver_flows[3].jitter_ns: expected a finite number"},
      {"number for a bool", [](json& j) { j["receiver_flows"][0]["peer_closed"] = 1; },
       "receiver_flows[0].peer_closed: expected true or false"},
      {"distribution not an object", [](json& j) { j["receiver_flows"][0]["reorder_extents"] = 3; },
       "receiver_flows[0].reorder_extents: expected an object"},
      {"distribution without max",
       [](json& j) { j["receiver_flows"][0]["reorder_extents"].erase("max"); },
       "receiver_flows[0].reorder_extents.max: missing"},
      {"distribution count disagrees",
       [](json& j) {
         auto& c = j["receiver_flows"][0]["reorder_extents"]["count"];
         c = c.get<std::uint64_t>() + 1;
       },
       "receiver_flows[0].reorder_extents: count, max, sum and buckets disagree"},
      {"distribution sum impossible",
       [](json& j) { j["receiver_flows"][0]["reorder_extents"]["sum"] = 0; },
       "receiver_flows[0].reorder_extents: count, max, sum and buckets disagree"},
      {"bucket index above 64",
       [](json& j) {
         j["receiver_flows"][0]["reorder_extents"]["buckets"][0] = {65, 1};
       },
       "receiver_flows[0].reorder_extents.buckets[0]: bucket index"},
      {"bucket listed twice",
       [](json& j) {
         auto& b = j["receiver_flows"][0]["loss"]["burst_lengths"]["buckets"];
         b[1] = b[0];
       },
       "receiver_flows[0].loss.burst_lengths.buckets[1]: bucket index not rising"},
      {"empty bucket listed",
       [](json& j) { j["receiver_flows"][0]["reorder_extents"]["buckets"][0][1] = 0; },
       "receiver_flows[0].reorder_extents.buckets[0]: bucket count"},
      {"bucket not a pair",
       [](json& j) { j["receiver_flows"][0]["reorder_extents"]["buckets"][1] = json::array({1}); },
       "receiver_flows[0].reorder_extents.buckets[1]: expected an [index, count] pair"},
      {"buckets not an array",
       [](json& j) { j["receiver_flows"][0]["reorder_extents"]["buckets"] = "all"; },
       "receiver_flows[0].reorder_extents.buckets: expected an array"},
      {"too many buckets",
       [](json& j) {
         auto& b = j["receiver_flows"][0]["reorder_extents"]["buckets"];
         b = json::array();
         for (int k = 0; k < 66; ++k) {
           b.push_back(json::array({k, 1}));
         }
       },
       "receiver_flows[0].reorder_extents.buckets: more than 65 buckets"},
      {"loss missing", [](json& j) { j["receiver_flows"][1].erase("loss"); },
       "receiver_flows[1].loss: missing"},
      {"loss burst lengths missing",
       [](json& j) { j["receiver_flows"][1]["loss"].erase("burst_lengths"); },
       "receiver_flows[1].loss.burst_lengths: missing"},
      {"lost is not sent minus unique",
       [](json& j) {
         auto& l = j["receiver_flows"][0]["loss"]["lost"];
         l = l.get<std::uint64_t>() + 1;
       },
       "receiver_flows[0].loss.lost: not sent - unique"},
      {"unique above sent", [](json& j) { j["receiver_flows"][2]["loss"]["unique"] = 2; },
       "receiver_flows[2].loss.unique: more than sent"},
      {"bursts disagree", [](json& j) { j["receiver_flows"][0]["loss"]["bursts"] = 1; },
       "receiver_flows[0].loss.bursts: not the count of burst_lengths"},
      {"no receiver", [](json& j) { j.erase("receiver"); }, "receiver: missing"},
      {"receiver not an object", [](json& j) { j["receiver"] = true; },
       "receiver: expected an object"},
      {"no cpu", [](json& j) { j["receiver"].erase("cpu"); }, "receiver.cpu: missing"},
      {"no user time", [](json& j) { j["receiver"]["cpu"].erase("user_s"); },
       "receiver.cpu.user_s: missing"},
      {"null sys time", [](json& j) { j["receiver"]["cpu"]["sys_s"] = nullptr; },
       "receiver.cpu.sys_s: expected a finite number"},
      {"no loop", [](json& j) { j["receiver"].erase("loop"); }, "receiver.loop: missing"},
      {"wakeups as text", [](json& j) { j["receiver"]["loop"]["wakeups"] = "many"; },
       "receiver.loop.wakeups: expected an integer"},
      {"no latency", [](json& j) { j.erase("latency"); }, "latency: missing"},
      {"latency not a string", [](json& j) { j["latency"] = 5; },
       "latency: expected a base64 string"},
      {"bad base64 character",
       [](json& j) {
         auto s = j["latency"].get<std::string>();
         s[5] = '*';
         j["latency"] = s;
       },
       "latency: not canonical base64"},
      {"bad base64 padding",
       [](json& j) { j["delay_variation"] = j["delay_variation"].get<std::string>() + "=="; },
       "delay_variation: not canonical base64"},
      {"truncated histogram",
       [h = sample.latency_from_actual](json& j) {
         j["latency_from_actual"] = truncated_histogram(h, 3);
       },
       "latency_from_actual: not a serialized histogram"},
      {"corrupt histogram",
       [h = sample.delay_variation](json& j) {
         auto bytes = h.serialize();
         bytes[0] = std::byte{'X'};  // tag
         j["delay_variation"] = base64(bytes);
       },
       "delay_variation: not a serialized histogram"},
      {"histogram of nothing", [](json& j) { j["latency"] = ""; },
       "latency: not a serialized histogram"},
      {"no delay variation", [](json& j) { j.erase("delay_variation"); },
       "delay_variation: missing"},
      {"uring not an object", [](json& j) { j["receiver"]["uring"] = 1; },
       "receiver.uring: expected an object"},
      {"uring without setup", [](json& j) { j["receiver"]["uring"].erase("setup"); },
       "receiver.uring.setup: missing"},
      {"uring setup too long",
       [](json& j) { j["receiver"]["uring"]["setup"] = std::string(65, 'x'); },
       "receiver.uring.setup: expected a short string"},
      {"uring flag not a bool", [](json& j) { j["receiver"]["uring"]["forced"] = "yes"; },
       "receiver.uring.forced: expected true or false"},
      {"uring features not an array", [](json& j) { j["receiver"]["uring"]["features"] = "x"; },
       "receiver.uring.features: expected an array"},
      {"uring feature not a string", [](json& j) { j["receiver"]["uring"]["features"][0] = 3; },
       "receiver.uring.features: expected a short string"},
  };
}

TEST(ResultCodecTest, EachMalformedPartIsRefusedNamingTheField) {
  const RunResult sample = sample_result();
  const json good = over_the_wire(receiver_part_to_json(sample));
  ASSERT_GE(good["receiver_flows"][0]["reorder_extents"]["buckets"].size(), 2U);
  ASSERT_GE(good["receiver_flows"][0]["loss"]["burst_lengths"]["buckets"].size(), 2U);
  for (const Malformed& m : malformed_cases()) {
    SCOPED_TRACE(m.name);
    json bad = good;
    m.mutate(bad);
    RunResult out;
    out.receiver.loop.wakeups = 99;  // must survive a failed decode
    std::string error;
    EXPECT_FALSE(receiver_part_from_json(bad, out, error));
    EXPECT_NE(error.find(m.field), std::string::npos) << "error: " << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << "error: " << error;
    EXPECT_EQ(out.receiver.loop.wakeups, 99U);
    EXPECT_TRUE(out.receiver_flows.empty());
  }
}

/// Every leaf and every container of `j`, as JSON pointers.
void collect_pointers(const json& j, const json::json_pointer& at,
                      std::vector<json::json_pointer>& out) {
  out.push_back(at);
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      collect_pointers(value, at / key, out);
    }
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) {
      collect_pointers(j[i], at / i, out);
    }
  }
}

TEST(ResultCodecTest, AnyValueReplacedByAnyTypeIsHandledWithoutThrowing) {
  RunResult small = sample_result();
  small.receiver_flows.resize(2);
  const json good = receiver_part_to_json(small);
  std::vector<json::json_pointer> pointers;
  collect_pointers(good, json::json_pointer(), pointers);
  const std::vector<json> replacements = {
      nullptr, -1, 1.5, 1e300, "x", true, json::array(), json::object(), UINT64_MAX};
  std::size_t refused = 0;
  for (const auto& p : pointers) {
    for (const json& r : replacements) {
      json bad = good;
      bad[p] = r;
      RunResult out;
      std::string error;
      bool ok = false;
      ASSERT_NO_THROW(ok = receiver_part_from_json(bad, out, error)) << p.to_string();
      if (!ok) {
        ++refused;
        EXPECT_FALSE(error.empty()) << p.to_string();
      }
    }
  }
  // Nearly every replacement breaks a type or a consistency rule.
  EXPECT_GT(refused, pointers.size() * replacements.size() * 3 / 4);
}

TEST(ResultCodecTest, RandomBytesAsHistogramAreRefused) {
  std::mt19937_64 rng(7);
  json j = receiver_part_to_json(RunResult{});
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::byte> bytes(rng() % 64);
    for (auto& b : bytes) {
      b = static_cast<std::byte>(rng() & 0xFF);
    }
    if (i % 2 == 0 && bytes.size() >= 5) {  // a valid tag, so the parser goes deeper
      bytes[0] = std::byte{'N'};
      bytes[1] = std::byte{'B'};
      bytes[2] = std::byte{'L'};
      bytes[3] = std::byte{'H'};
      bytes[4] = std::byte{1};
    }
    j["latency"] = base64(bytes);
    RunResult out;
    std::string error;
    // Random bytes may, very rarely, be a valid histogram; never a crash.
    if (!receiver_part_from_json(j, out, error)) {
      EXPECT_NE(error.find("latency"), std::string::npos);
    }
  }
}

TEST(Base64Test, DecodesWhatItEncodesForEveryLength) {
  std::mt19937_64 rng(11);
  for (std::size_t n = 0; n < 40; ++n) {
    std::vector<std::byte> bytes(n);
    for (auto& b : bytes) {
      b = static_cast<std::byte>(rng() & 0xFF);
    }
    const auto back = unbase64(base64(bytes));
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, bytes) << n;
  }
  EXPECT_EQ(unbase64("TWFu"),
            (std::vector<std::byte>{std::byte{'M'}, std::byte{'a'}, std::byte{'n'}}));
  EXPECT_EQ(unbase64("TWE="), (std::vector<std::byte>{std::byte{'M'}, std::byte{'a'}}));
  EXPECT_EQ(unbase64("TQ=="), (std::vector<std::byte>{std::byte{'M'}}));
}

TEST(Base64Test, RejectsAnythingButCanonicalBase64) {
  for (const char* bad : {"TWF", "TWFuT", "TW=u", "T===", "====", "TQ=A", "TWFu====", "TR==",
                          "TWF=", "TWE=TWFu", "TW-u", "TW_u", "TWF\n", " TWF", "TWFu\n"}) {
    EXPECT_FALSE(unbase64(bad).has_value()) << bad;
  }
  // An embedded NUL is a foreign character too.
  EXPECT_FALSE(unbase64(std::string_view("TW\0u", 4)).has_value());
  EXPECT_TRUE(unbase64("").has_value());
}

}  // namespace
}  // namespace netbench::app

namespace netbench::app {
namespace {

// A remote server gets the fast-path settings through the config: every
// one of them survives spec_to_json -> spec_from_json.
TEST(SpecCodecTest, FastPathSettingsRoundTripToTheServer) {
  TestSpec s;
  s.proto = Proto::kTcp;
  s.mode = Mode::kStream;
  s.nodelay = Toggle::kOn;
  s.stats = StatsLevel::kCounts;
  s.coalesce_ns = 100'000;
  s.sender_cpus = {0};
  s.receiver_cpus = {1, 3};
  s.busy_poll = false;
  TestSpec back;
  std::string error;
  ASSERT_TRUE(spec_from_json(spec_to_json(s), back, error)) << error;
  EXPECT_TRUE(back.tcp_nodelay());
  EXPECT_EQ(back.stats, StatsLevel::kCounts);
  EXPECT_EQ(back.coalesce_ns, 100'000U);
  EXPECT_EQ(back.sender_cpus, s.sender_cpus);
  EXPECT_EQ(back.receiver_cpus, s.receiver_cpus);
}

TEST(SpecCodecTest, AnOlderClientsConfigWithoutTheNewKeysKeepsTheDefaults) {
  nlohmann::json j = spec_to_json(TestSpec{});
  for (const char* key : {"tcp_nodelay", "stats", "coalesce_ns", "sender_cpus", "receiver_cpus"}) {
    j.erase(key);
  }
  TestSpec back;
  std::string error;
  ASSERT_TRUE(spec_from_json(j, back, error)) << error;
  EXPECT_EQ(back.nodelay, Toggle::kAuto);
  EXPECT_EQ(back.stats, StatsLevel::kFull);
  EXPECT_EQ(back.coalesce_ns, 0U);
  EXPECT_TRUE(back.receiver_cpus.empty());
}

TEST(SpecCodecTest, BadFastPathValuesAreRefusedNamingTheField) {
  for (const auto& [key, value] : {std::pair<const char*, nlohmann::json>{"stats", "some"},
                                   {"tcp_nodelay", 1},
                                   {"coalesce_ns", 20'000'000},
                                   {"receiver_cpus", nlohmann::json::array({-1})},
                                   {"sender_cpus", "0"}}) {
    nlohmann::json j = spec_to_json(TestSpec{});
    j[key] = value;
    TestSpec back;
    std::string error;
    EXPECT_FALSE(spec_from_json(j, back, error)) << key;
    EXPECT_NE(error.find(key), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace netbench::app
