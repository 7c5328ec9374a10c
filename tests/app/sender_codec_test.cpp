// Sender results over the wire (a remote run where `netbench serve` sends):
// sender_part_to_json() and back must give identical structs, any malformed
// part must be refused with an error naming the field and leave the result
// as it was, and bounds must be checked before anything is allocated.
#include "app/control/sender_codec.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/control/result_codec.hpp"
#include "netbench/sequence_tracker.hpp"
#include "same_sender_part.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;

/// Echo replies 0..n-1 arriving with `missing` lost and each seq in
/// `late` arriving only after seq + 10: a genuine loss report and reorder
/// distribution from SequenceTracker.
SequenceTracker replies(std::uint64_t n, const std::vector<std::uint64_t>& missing,
                        const std::vector<std::uint64_t>& late) {
  SequenceTracker t;
  auto in = [](const std::vector<std::uint64_t>& v, std::uint64_t s) {
    for (const std::uint64_t x : v) {
      if (x == s) {
        return true;
      }
    }
    return false;
  };
  for (std::uint64_t s = 0; s < n; ++s) {
    if (!in(missing, s) && !in(late, s)) {
      t.on_arrival(s);
    }
    if (s >= 10 && in(late, s - 10)) {
      t.on_arrival(s - 10);
    }
  }
  t.on_arrival(n / 2);  // one duplicate
  return t;
}

FlowSendStats sample_flow(std::uint32_t id) {
  const std::uint64_t k = id + 1;
  SequenceTracker t = replies(200 * k, {3, 4, 5, 90 + k, 150}, {20, 60 + k, 61 + k});
  FlowSendStats f;
  f.flow_id = id;
  f.messages = 200 * k;
  f.bytes = 200 * k * 1400;
  f.warmup_messages = 11 * k;
  f.send_failures = 13 * k;
  f.would_block = 17 * k;
  f.replies = t.received();
  f.reply_bytes = t.received() * 1400 + 1;
  f.replies_malformed = 19 * k;
  f.reply_reordered = t.reordered();
  f.reply_duplicates = t.duplicates();
  f.reply_loss = t.finalize(200 * k);
  f.reply_reorder_extents = t.reorder_extents();
  f.tcp = {true, 23 * k, 29 * static_cast<std::uint32_t>(k), 31, 37, 1448, UINT64_MAX - k, 41 * k};
  f.zerocopy = {43 * k, 47, 53, 59, 61, 67, 71, 73, 79, 83 * k};
  f.closed_by_peer = id % 2 == 1;
  return f;
}

LatencyHistogram histogram(std::uint64_t first, std::uint64_t step, std::uint64_t n) {
  LatencyHistogram h;
  for (std::uint64_t i = 0; i < n; ++i) {
    h.record(first + step * i * i);
  }
  return h;
}

/// Every sender field non-default and distinct.
RunResult sample_result() {
  RunResult r;
  r.message_bytes = 1400;
  r.measured_ns = 5'000'000'123;
  for (std::uint32_t id : {0U, 1U, 7U}) {
    r.sender_flows.push_back(sample_flow(id));
  }
  r.sender.cpu = {0.123456789012345, 1e-7, 12, 345, 2};
  r.sender.loop = {98'765, 1'234'567};
  r.sender.tcp_congestion = "cubic";
  r.sender.uring = UringPath{"plain", true, true, true, {"nodrop"}};
  r.send_loops.push_back({-1, 2, 400, {0.25, 0.5, 3, 4, 1}});
  r.send_loops.push_back({3, 1, 1600, {1.0 / 3, 2.5e-3, 5, 6, 1}});
  r.pacing.target_msgs_per_s = 12'345.678;
  r.pacing.lateness = histogram(100, 7, 3'000);
  r.pacing.first_send_ns = 1'000'000'007;
  r.pacing.last_send_ns = 6'000'000'011;
  r.pacing.sends = 2'000;
  r.zerocopy = ZeroCopyStats{101, 103, 107, 109, 113, 127, 131, 137, 139, 149};
  r.latency = histogram(20'000, 13, 5'000);
  r.latency_from_actual = histogram(15'000, 11, 4'000);
  r.start = {1'790'000'000'000'000'000, 1'790'000'000'000'250'000};
  for (std::uint64_t i = 0; i < 4; ++i) {
    r.intervals.push_back({i * 1'000'000'000, (i + 1) * 1'000'000'000 + i, 500 + i, 700'000 + i,
                           490 + i, 686'000 + i, 3 + i, 2 + i, 480 + i, 20'000 + i, 90'000 + i,
                           i == 0});
  }
  r.complete = false;
  r.error = "peer reset the control connection";
  r.warnings = {"pacing fell behind schedule", "host CPU steal 4.2%"};
  return r;
}

/// Through text, as over the control connection.
json over_the_wire(const json& j) { return json::parse(j.dump()); }

TEST(SenderCodecTest, SampleHasNonTrivialValues) {
  // Guards the round-trip test against testing only zeros.
  const RunResult r = sample_result();
  const FlowSendStats& f = r.sender_flows[1];
  EXPECT_GT(f.reply_loss.lost, 0U);
  EXPECT_GE(f.reply_loss.bursts, 2U);
  EXPECT_GE(f.reply_loss.burst_lengths.max(), 3U);
  EXPECT_GE(f.reply_reordered, 3U);
  EXPECT_GE(f.reply_reorder_extents.max(), 10U);
  EXPECT_EQ(f.reply_duplicates, 1U);
  EXPECT_GT(r.pacing.lateness.count(), 1'000U);
  EXPECT_GT(r.latency.count(), 1'000U);
  EXPECT_FALSE(r.latency == r.latency_from_actual);
}

TEST(SenderCodecTest, SenderPartRoundTripsToIdenticalStructs) {
  const RunResult sent = sample_result();
  const json wire = over_the_wire(sender_part_to_json(sent));
  RunResult got;
  std::string error = "stale";
  ASSERT_TRUE(sender_part_from_json(wire, got, error)) << error;
  EXPECT_EQ(error, "");
  expect_same_sender_part(sent, got);
  // Spot checks of what is easy to get wrong: a signed CPU and the options.
  EXPECT_EQ(got.send_loops[0].cpu, -1);
  EXPECT_EQ(got.send_loops[1].cpu, 3);
  ASSERT_TRUE(got.zerocopy.has_value());
  EXPECT_EQ(got.zerocopy->outstanding_at_end, 149U);
  EXPECT_EQ(got.sender_flows[2].tcp.segments_out, UINT64_MAX - 8);
  // And the rebuilt part encodes to the very same document.
  EXPECT_EQ(sender_part_to_json(got), wire);
}

TEST(SenderCodecTest, AbsentZeroCopyDecodesAsNoneAndClearsAStaleOne) {
  RunResult sent = sample_result();
  sent.zerocopy.reset();
  const json wire = over_the_wire(sender_part_to_json(sent));
  EXPECT_FALSE(wire.contains("zerocopy"));
  RunResult got;
  got.zerocopy = ZeroCopyStats{1, 1, 1, 1, 0, 0, 0, 0, 0, 0};
  std::string error;
  ASSERT_TRUE(sender_part_from_json(wire, got, error)) << error;
  EXPECT_FALSE(got.zerocopy.has_value());
  expect_same_sender_part(sent, got);
}

TEST(SenderCodecTest, EmptySenderPartRoundTrips) {
  const RunResult sent;
  RunResult got = sample_result();
  std::string error;
  ASSERT_TRUE(sender_part_from_json(over_the_wire(sender_part_to_json(sent)), got, error)) << error;
  expect_same_sender_part(sent, got);
}

/// A result whose receiver part is filled (and whose sender part is not).
RunResult with_receiver_part() {
  RunResult r;
  FlowRecvStats f;
  f.flow_id = 5;
  f.messages = 77;
  f.jitter_ns = 12.5;
  r.receiver_flows.push_back(f);
  r.receiver.cpu.user_s = 0.75;
  r.receiver.loop.wakeups = 99;
  r.receiver.tcp_congestion = "bbr";
  r.delay_variation = histogram(5, 3, 100);
  r.connect.server_accepts = 8;
  r.clock = "variation only";
  r.peer.address = "[::1]:5201";
  return r;
}

TEST(SenderCodecTest, DecodingFillsOnlyTheSenderPart) {
  RunResult got = with_receiver_part();
  const json receiver_before = receiver_part_to_json(got);
  std::string error;
  ASSERT_TRUE(sender_part_from_json(sender_part_to_json(sample_result()), got, error)) << error;
  // The receiver part but for the two histograms both parts carry.
  json receiver_after = receiver_part_to_json(got);
  EXPECT_EQ(receiver_after["receiver_flows"], receiver_before["receiver_flows"]);
  EXPECT_EQ(receiver_after["receiver"], receiver_before["receiver"]);
  EXPECT_EQ(receiver_after["delay_variation"], receiver_before["delay_variation"]);
  EXPECT_EQ(got.connect.server_accepts, 8U);
  EXPECT_EQ(got.clock, "variation only");
  EXPECT_EQ(got.peer.address, "[::1]:5201");
  EXPECT_EQ(got.sender_flows.size(), 3U);
}

/// How a field is broken.
enum class Kind : std::uint8_t { kU64, kU32, kCpu, kDouble, kBool, kString, kObject };

struct Field {
  const char* pointer;  ///< JSON pointer into sender_part_to_json(sample_result())
  const char* path;     ///< the path the error must name
  Kind kind;
};

/// A representative field of each kind and each nesting.
const std::vector<Field>& fields() {
  static const std::vector<Field> f = {
      {"/message_bytes", "message_bytes", Kind::kU32},
      {"/measured_ns", "measured_ns", Kind::kU64},
      {"/sender_flows/2/flow_id", "sender_flows[2].flow_id", Kind::kU32},
      {"/sender_flows/1/would_block", "sender_flows[1].would_block", Kind::kU64},
      {"/sender_flows/2/reply_loss/lost", "sender_flows[2].reply_loss.lost", Kind::kU64},
      {"/sender_flows/0/reply_reorder_extents/sum", "sender_flows[0].reply_reorder_extents.sum",
       Kind::kU64},
      {"/sender_flows/0/tcp/srtt_us", "sender_flows[0].tcp.srtt_us", Kind::kU32},
      {"/sender_flows/0/tcp/valid", "sender_flows[0].tcp.valid", Kind::kBool},
      {"/sender_flows/1/zerocopy/copied", "sender_flows[1].zerocopy.copied", Kind::kU64},
      {"/sender_flows/1/zerocopy", "sender_flows[1].zerocopy", Kind::kObject},
      {"/sender_flows/2/closed_by_peer", "sender_flows[2].closed_by_peer", Kind::kBool},
      {"/sender/cpu/user_s", "sender.cpu.user_s", Kind::kDouble},
      {"/sender/loop/ready_events", "sender.loop.ready_events", Kind::kU64},
      {"/send_loops/0/cpu", "send_loops[0].cpu", Kind::kCpu},
      {"/send_loops/1/flows", "send_loops[1].flows", Kind::kU32},
      {"/send_loops/1/cpu_usage/sys_s", "send_loops[1].cpu_usage.sys_s", Kind::kDouble},
      {"/pacing/target_msgs_per_s", "pacing.target_msgs_per_s", Kind::kDouble},
      {"/pacing/lateness", "pacing.lateness", Kind::kString},
      {"/pacing/sends", "pacing.sends", Kind::kU64},
      {"/zerocopy/sends", "zerocopy.sends", Kind::kU64},
      {"/latency_from_actual", "latency_from_actual", Kind::kString},
      {"/start/actual_unix_ns", "start.actual_unix_ns", Kind::kU64},
      {"/intervals/2/latency_p99_ns", "intervals[2].latency_p99_ns", Kind::kU64},
      {"/intervals/0/warmup", "intervals[0].warmup", Kind::kBool},
      {"/complete", "complete", Kind::kBool},
      {"/error", "error", Kind::kString},
      {"/warnings/1", "warnings[1]", Kind::kString},
  };
  return f;
}

/// Values of the wrong type or range for a field of kind `k`.
std::vector<json> wrong_values(Kind k) {
  switch (k) {
    case Kind::kU64:
      return {-1, 1.5, "7", nullptr, true};
    case Kind::kU32:
      return {-1, 2.5, std::uint64_t{UINT32_MAX} + 1, "7"};
    case Kind::kCpu:
      return {-2, 0.5, std::int64_t{INT32_MAX} + 1, "3", nullptr};
    case Kind::kDouble:
      return {-0.5, "1.0", nullptr, false};
    case Kind::kBool:
      return {1, "true", nullptr};
    case Kind::kString:
      return {7, nullptr, json::array()};
    case Kind::kObject:
      return {nullptr, 3, json::array()};
  }
  return {};
}

/// Decodes `bad` into a filled result; expects a refusal naming `path`
/// that leaves the result exactly as it was.
void expect_refused(const json& bad, const std::string& path) {
  RunResult out = sample_result();
  out.send_loops[0].cpu = 9;  // distinct from what is decoded
  out.receiver_flows.resize(2);
  const json before = sender_part_to_json(out);
  std::string error;
  bool ok = true;
  ASSERT_NO_THROW(ok = sender_part_from_json(bad, out, error));
  EXPECT_FALSE(ok);
  EXPECT_EQ(error.rfind(path + ": ", 0), 0U) << "error: " << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << "error: " << error;
  EXPECT_EQ(sender_part_to_json(out), before);
  EXPECT_EQ(out.receiver_flows.size(), 2U);
}

TEST(SenderCodecTest, EachMissingOrMistypedFieldIsRefusedNamingItsPath) {
  const json good = over_the_wire(sender_part_to_json(sample_result()));
  for (const Field& f : fields()) {
    const json::json_pointer p(f.pointer);
    ASSERT_TRUE(good.contains(p)) << f.pointer;
    {
      SCOPED_TRACE(std::string(f.pointer) + " removed");
      json bad = good;
      if (bad[p.parent_pointer()].is_array()) {
        continue;  // an element cannot be missing, only mistyped
      }
      bad[p.parent_pointer()].erase(p.back());
      expect_refused(bad, f.path);
    }
    for (const json& v : wrong_values(f.kind)) {
      SCOPED_TRACE(std::string(f.pointer) + " = " + v.dump());
      json bad = good;
      bad[p] = v;
      expect_refused(bad, f.path);
    }
  }
}

TEST(SenderCodecTest, UnpinnedAndPinnedLoopsDecodeButNoOtherNegative) {
  json j = sender_part_to_json(sample_result());
  j["send_loops"][0]["cpu"] = -1;
  j["send_loops"][1]["cpu"] = INT32_MAX;
  RunResult got;
  std::string error;
  ASSERT_TRUE(sender_part_from_json(over_the_wire(j), got, error)) << error;
  EXPECT_EQ(got.send_loops[0].cpu, -1);
  EXPECT_EQ(got.send_loops[1].cpu, INT32_MAX);
  j["send_loops"][1]["messages"] = -1;
  expect_refused(j, "send_loops[1].messages");
}

TEST(SenderCodecTest, InconsistentReplyLossIsRefused) {
  const json good = sender_part_to_json(sample_result());
  json bad = good;
  bad["sender_flows"][2]["reply_loss"]["lost"] =
      bad["sender_flows"][2]["reply_loss"]["lost"].get<std::uint64_t>() + 1;
  expect_refused(bad, "sender_flows[2].reply_loss.lost");
  bad = good;
  bad["sender_flows"][0]["reply_loss"]["bursts"] = 0;
  expect_refused(bad, "sender_flows[0].reply_loss.bursts");
  bad = good;
  bad["sender_flows"][1]["reply_reorder_extents"]["count"] = 0;
  expect_refused(bad, "sender_flows[1].reply_reorder_extents");
}

TEST(SenderCodecTest, AnIntervalEndingBeforeItStartsIsRefused) {
  json bad = sender_part_to_json(sample_result());
  bad["intervals"][3]["end_ns"] = bad["intervals"][3]["start_ns"].get<std::uint64_t>() - 1;
  expect_refused(bad, "intervals[3].end_ns");
}

TEST(SenderCodecTest, AnythingButAnObjectIsRefused) {
  for (const json& v : {json(nullptr), json(3), json::array(), json("sender")}) {
    expect_refused(v, "sender part");
  }
}

TEST(SenderCodecTest, OversizedListsAreRefusedBeforeTheirElementsAreRead) {
  // The elements are nulls: had they been read, the error would name the
  // first of them ("sender_flows[0]: expected an object"), not the bound.
  const json good = sender_part_to_json(sample_result());
  json bad = good;
  bad["sender_flows"] = json::array();
  bad["sender_flows"].get_ref<json::array_t&>().resize(kMaxSenderFlows + 1);
  expect_refused(bad, "sender_flows");
  RunResult out;
  std::string error;
  EXPECT_FALSE(sender_part_from_json(bad, out, error));
  EXPECT_EQ(error, "sender_flows: more than 65536 flows (65537)");

  bad = good;
  bad["send_loops"].get_ref<json::array_t&>().resize(kMaxSenderFlows + 1);
  expect_refused(bad, "send_loops");

  bad = good;
  bad["intervals"].get_ref<json::array_t&>().resize(kMaxIntervals + 1);
  expect_refused(bad, "intervals");
  EXPECT_FALSE(sender_part_from_json(bad, out, error));
  EXPECT_EQ(error, "intervals: more than 1000000 intervals (1000001)");

  bad = good;
  bad["warnings"] = json::array();
  bad["warnings"].get_ref<json::array_t&>().resize(kMaxWarnings + 1);
  expect_refused(bad, "warnings");

  // At the bound itself, lists are accepted.
  RunResult at_bound = sample_result();
  at_bound.warnings.assign(kMaxWarnings, std::string(kMaxWarningChars, 'w'));
  at_bound.error.assign(kMaxErrorChars, 'e');
  ASSERT_TRUE(sender_part_from_json(sender_part_to_json(at_bound), out, error)) << error;
  EXPECT_EQ(out.warnings.size(), kMaxWarnings);
}

TEST(SenderCodecTest, OverlongErrorAndWarningsAreRefused) {
  const json good = sender_part_to_json(sample_result());
  json bad = good;
  bad["error"] = std::string(kMaxErrorChars + 1, 'e');
  expect_refused(bad, "error");
  RunResult out;
  std::string error;
  EXPECT_FALSE(sender_part_from_json(bad, out, error));
  EXPECT_EQ(error, "error: longer than 4096 bytes");
  bad = good;
  bad["warnings"][1] = std::string(kMaxWarningChars + 1, 'w');
  expect_refused(bad, "warnings[1]");
  EXPECT_FALSE(sender_part_from_json(bad, out, error));
  EXPECT_EQ(error, "warnings[1]: longer than 1000 bytes");
}

TEST(SenderCodecTest, UnknownKeysAreIgnored) {
  json j = sender_part_to_json(sample_result());
  j["future"] = {{"x", 1}};
  j["sender_flows"][0]["future"] = "y";
  j["intervals"][1]["future"] = nullptr;
  RunResult got;
  std::string error;
  ASSERT_TRUE(sender_part_from_json(j, got, error)) << error;
  expect_same_sender_part(sample_result(), got);
}

TEST(SenderCodecTest, AnyLeafReplacedByAnyTypeIsHandledWithoutThrowing) {
  RunResult small = sample_result();
  small.sender_flows.resize(1);
  small.intervals.resize(1);
  const json good = sender_part_to_json(small);
  const json flat = good.flatten();
  const std::vector<json> replacements = {nullptr, -1, 1.5, 1e300, "x", true, json::object()};
  std::size_t refused = 0;
  for (const auto& [pointer, value] : flat.items()) {
    for (const json& r : replacements) {
      json bad = good;
      bad[json::json_pointer(pointer)] = r;
      RunResult out;
      std::string error;
      bool ok = false;
      ASSERT_NO_THROW(ok = sender_part_from_json(bad, out, error)) << pointer;
      if (!ok) {
        ++refused;
        EXPECT_FALSE(error.empty()) << pointer;
      } else {
        EXPECT_TRUE(error.empty()) << pointer;
      }
    }
  }
  // Nearly every replacement breaks a type or a consistency rule.
  EXPECT_GT(refused, flat.size() * replacements.size() * 3 / 4);
}

// ---- one interval record ----

IntervalRecord sample_interval() {
  return {1'000'000'000, 2'000'000'003, 11, 13, 17, 19, 23, 29, 31, 37, UINT64_MAX, true};
}

TEST(IntervalCodecTest, RoundTripsEveryMemberExactly) {
  const IntervalRecord sent = sample_interval();
  const json wire = over_the_wire(interval_to_json(sent));
  EXPECT_EQ(wire.size(), 12U);
  IntervalRecord got;
  std::string error = "stale";
  ASSERT_TRUE(interval_from_json(wire, got, error)) << error;
  EXPECT_EQ(error, "");
  expect_same_interval(sent, got);
  EXPECT_EQ(interval_to_json(got), wire);
}

TEST(IntervalCodecTest, AZeroLengthIntervalIsAccepted) {
  IntervalRecord sent;
  sent.start_ns = sent.end_ns = 42;
  IntervalRecord got;
  std::string error;
  ASSERT_TRUE(interval_from_json(interval_to_json(sent), got, error)) << error;
  EXPECT_EQ(got.end_ns, 42U);
}

TEST(IntervalCodecTest, MalformedIntervalsAreRefusedNamingTheField) {
  const json good = interval_to_json(sample_interval());
  struct Case {
    json j;
    std::string error;
  };
  std::vector<Case> cases;
  for (const auto& [key, value] : good.items()) {
    json missing = good;
    missing.erase(key);
    cases.push_back({missing, key + ": missing"});
    json mistyped = good;
    mistyped[key] = key == "warmup" ? json(1) : json(-1);
    cases.push_back({mistyped, key + ": expected "});
    mistyped[key] = "1";
    cases.push_back({mistyped, key + ": expected "});
  }
  json backwards = good;
  backwards["end_ns"] = 999'999'999;
  cases.push_back({backwards, "end_ns: before start_ns"});
  cases.push_back({json::array(), "interval: expected an object"});
  ASSERT_EQ(cases.size(), 12U * 3 + 2);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.j.dump());
    IntervalRecord out;
    out.sent_messages = 99;  // must survive a failed decode
    std::string error;
    bool ok = true;
    ASSERT_NO_THROW(ok = interval_from_json(c.j, out, error));
    EXPECT_FALSE(ok);
    EXPECT_EQ(error.rfind(c.error, 0), 0U) << "error: " << error;
    EXPECT_EQ(out.sent_messages, 99U);
    EXPECT_EQ(out.start_ns, 0U);
  }
}

}  // namespace
}  // namespace netbench::app
