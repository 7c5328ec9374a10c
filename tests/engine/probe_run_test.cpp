// --probe: the probe's test spec, and a paired run with its probe beside it —
// both phases run, every request answered, the bulk test's counts exact.

#include "netbench/probe_run.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "netbench/error.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"

namespace netbench {
namespace {

TestSpec bulk_spec() {
  TestSpec s;
  s.proto = Proto::kTcp;
  s.model = ModelKind::kPoll;
  s.flows = 2;
  s.duration_ns = 1'000'000'000;
  s.warmup_ns = 100'000'000;
  s.interval_ns = 500'000'000;
  s.family = Family::kV4;
  s.tos = 0x20;
  s.probe_rate_msgs_per_s = 50;
  return s;
}

TEST(ProbeRun, ProbeSpecIsOneUdpEchoFlowAtTheRateOnTheSameModel) {
  const TestSpec bulk = bulk_spec();
  const TestSpec idle = probe_spec(bulk, false);
  EXPECT_EQ(idle.proto, Proto::kUdp);
  EXPECT_EQ(idle.mode, Mode::kEcho);
  EXPECT_EQ(idle.model, ModelKind::kPoll);
  EXPECT_EQ(idle.flows, 1U);
  EXPECT_EQ(idle.message_bytes(), 64U);
  EXPECT_DOUBLE_EQ(idle.rate_msgs_per_s, 50.0);
  EXPECT_EQ(idle.tos, 0x20);  // the same marking: the same queues
  EXPECT_EQ(idle.warmup_ns, 0U);
  EXPECT_EQ(idle.duration_ns, 1'000'000'000U);  // 20 requests take 0.4 s: at least 1 s
  const TestSpec loaded = probe_spec(bulk, true);
  // The bulk flows' ramp (a fifth of 1 s) is the loaded phase's warm-up.
  EXPECT_EQ(loaded.warmup_ns, 300'000'000U);
  EXPECT_EQ(loaded.duration_ns, 800'000'000U);
  EXPECT_NO_THROW(validate(idle));
  EXPECT_NO_THROW(validate(loaded));
  TestSpec slow = bulk;
  slow.probe_rate_msgs_per_s = 1;  // 20 requests: 20 s, held to 5 s
  EXPECT_EQ(probe_spec(slow, false).duration_ns, 5'000'000'000U);
}

TEST(ProbeRun, ValidateRefusesAProbeWithCountOrBeyondItsRate) {
  TestSpec s = bulk_spec();
  s.count = 1000;
  EXPECT_THROW(validate(s), ConfigError);
  s = bulk_spec();
  s.probe_rate_msgs_per_s = 20'000;
  EXPECT_THROW(validate(s), ConfigError);
}

TEST(ProbeRun, PairedRunWithProbeRunsBothPhasesAndTheBulkTestExactly) {
  const TestSpec spec = bulk_spec();
  std::atomic<int> starts{0};
  RunHooks hooks;
  hooks.on_start = [&starts] { ++starts; };
  std::vector<std::string> phases;
  const TestRunner run = [&phases](const TestSpec& s, const RunHooks& h, std::stop_token st) {
    phases.push_back(s.proto == Proto::kUdp ? "probe" : "bulk");
    return run_paired(s, h, st);
  };
  const RunResult r = run_with_probe(spec, run, hooks, {});
  ASSERT_TRUE(r.complete) << r.error;
  EXPECT_EQ(starts.load(), 1);  // the caller's hook, once: for the bulk test
  ASSERT_EQ(phases.size(), 3U);
  EXPECT_EQ(phases[0], "probe");  // idle, before the bulk test
  ASSERT_TRUE(r.probe);
  const ProbeResult& p = *r.probe;
  EXPECT_DOUBLE_EQ(p.rate_msgs_per_s, 50.0);
  // Paced at 50/s: 50 requests in the idle second, 40 in the loaded 0.8 s,
  // each answered over loopback.
  for (const auto& [phase, expected] :
       {std::pair<const ProbePhase*, std::uint64_t>{&p.idle, 50}, {&p.loaded, 40}}) {
    EXPECT_TRUE(phase->complete) << phase->error;
    EXPECT_EQ(phase->sent, expected);
    EXPECT_EQ(phase->replies, phase->sent);
    EXPECT_EQ(phase->lost, 0U);
    EXPECT_EQ(phase->rtt.count(), phase->replies);
  }
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  for (const FlowSendStats& f : r.sender_flows) {
    sent += f.messages;
  }
  for (const FlowRecvStats& f : r.receiver_flows) {
    received += f.messages;
  }
  EXPECT_GT(sent, 0U);
  EXPECT_EQ(received, sent);  // the bulk test is itself, whole
  EXPECT_EQ(r.spec.proto, Proto::kTcp);
}

TEST(ProbeRun, WithoutARateItIsJustTheTest) {
  TestSpec spec = bulk_spec();
  spec.probe_rate_msgs_per_s = 0;
  spec.duration_ns = 0;
  spec.count = 200;
  int runs = 0;
  const TestRunner run = [&runs](const TestSpec& s, const RunHooks& h, std::stop_token st) {
    ++runs;
    return run_paired(s, h, st);
  };
  const RunResult r = run_with_probe(spec, run, {}, {});
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(r.probe);
  ASSERT_TRUE(r.complete) << r.error;
}

TEST(ProbeRun, AFailedLoadedPhaseIsAWarningNotAFailedTest) {
  const TestSpec spec = bulk_spec();
  int probes = 0;
  const TestRunner run = [&probes](const TestSpec& s, const RunHooks& h, std::stop_token st) {
    if (s.proto == Proto::kUdp && ++probes == 2) {
      throw SystemError("connect", "busy: another test is running", 0);
    }
    return run_paired(s, h, st);
  };
  const RunResult r = run_with_probe(spec, run, {}, {});
  ASSERT_TRUE(r.complete) << r.error;
  ASSERT_TRUE(r.probe);
  EXPECT_TRUE(r.probe->idle.complete);
  EXPECT_FALSE(r.probe->loaded.complete);
  EXPECT_NE(r.probe->loaded.error.find("busy"), std::string::npos) << r.probe->loaded.error;
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_NE(r.warnings.back().find("the latency probe's loaded phase did not complete"),
            std::string::npos);
}

}  // namespace
}  // namespace netbench
