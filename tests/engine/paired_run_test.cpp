#include "netbench/paired_run.hpp"

#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <ostream>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>

#include "exact_counts.hpp"
#include "netbench/endpoint.hpp"
#include "netbench/error.hpp"
#include "netbench/fd.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"
#include "sys/open_fds.hpp"
#include "sys/socket_ops.hpp"
#include "sys/uring.hpp"
#include "uring_fallback.hpp"
#include "watchdog.hpp"

namespace netbench {

namespace {

using test_support::expect_exact;
using test_support::kUdpRate;
using test_support::make_spec;
using test_support::run;
using test_support::totals;
using test_support::Totals;

// ---------------------------------------------------------------------------
// Every protocol × server model × mode. A new model joins by being listed here.

using RunParams = std::tuple<Proto, ModelKind, Mode>;

class PairedRunTest : public ::testing::TestWithParam<RunParams> {};

TEST_P(PairedRunTest, MovesExactlyKMessages) {
  const auto [proto, model, mode] = GetParam();
  const TestSpec spec = make_spec(proto, model, mode);
  const RunResult r = run(spec);
  expect_exact(r, spec);
  // The uring model says which io_uring path it took: the newest this
  // kernel has; the other models say nothing of io_uring.
  ASSERT_EQ(r.receiver.uring.has_value(), model == ModelKind::kUring);
  if (r.receiver.uring) {
    const UringPath& u = *r.receiver.uring;
    EXPECT_FALSE(u.forced);
    EXPECT_EQ(u.multishot_accept, sys::kernel_at_least(5, 19));
    EXPECT_EQ(u.multishot_receive, sys::kernel_at_least(6, 0));
    EXPECT_EQ(u.setup, sys::kernel_at_least(6, 1) ? "single_issuer+defer_taskrun" : "coop_taskrun");
    EXPECT_NE(std::find(u.features.begin(), u.features.end(), "ext_arg"), u.features.end());
  }
}

std::string title_case(std::string_view name) {
  std::string out(name);
  if (!out.empty()) {
    out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  }
  return out;
}

/// Every protocol × model × mode: a model added to kModels is tested here.
auto all_runs() {
  return ::testing::Combine(::testing::Values(Proto::kTcp, Proto::kUdp),
                            ::testing::ValuesIn(kModelKinds),
                            ::testing::Values(Mode::kStream, Mode::kEcho));
}

std::string run_name(const ::testing::TestParamInfo<RunParams>& p) {
  return title_case(to_string(std::get<0>(p.param))) + "_" +
         title_case(to_string(std::get<1>(p.param))) + "_" +
         title_case(to_string(std::get<2>(p.param)));
}

INSTANTIATE_TEST_SUITE_P(AllModels, PairedRunTest, all_runs(), run_name);

// ---------------------------------------------------------------------------
// --model uring on its single-shot path (kernels before 5.19/6.0: one accept
// and one receive per socket at a time, each re-armed as it completes, into
// per-connection buffers; UDP echoes as sendmsg), forced by the test hook
// on a kernel that has the multishot path: the same exact counts.

using FallbackParams = std::tuple<Proto, Mode>;

/// Runs `spec` on the forced single-shot path and checks every count and
/// that the result says which path served.
void expect_exact_on_fallback(const TestSpec& spec) {
  const test::ScopedUringFallback fallback;
  const RunResult r = run(spec);
  expect_exact(r, spec);
  ASSERT_TRUE(r.receiver.uring.has_value());
  EXPECT_TRUE(r.receiver.uring->forced);
  EXPECT_FALSE(r.receiver.uring->multishot_accept);
  EXPECT_FALSE(r.receiver.uring->multishot_receive);
}

class UringFallbackTest : public ::testing::TestWithParam<FallbackParams> {};

TEST_P(UringFallbackTest, MovesExactlyKMessages) {
  const auto [proto, mode] = GetParam();
  expect_exact_on_fallback(make_spec(proto, ModelKind::kUring, mode));
}

TEST_P(UringFallbackTest, MovesExactlyKMessagesOverTwoRings) {
  const auto [proto, mode] = GetParam();
  TestSpec spec = make_spec(proto, ModelKind::kUring, mode);
  spec.threads = 2;
  expect_exact_on_fallback(spec);
}

TEST_P(UringFallbackTest, MovesExactlyKMessagesWhileBusyPolling) {
  const auto [proto, mode] = GetParam();
  TestSpec spec = make_spec(proto, ModelKind::kUring, mode);
  spec.count = 400;
  spec.busy_poll = true;
  expect_exact_on_fallback(spec);
}

INSTANTIATE_TEST_SUITE_P(SingleShot, UringFallbackTest,
                         ::testing::Combine(::testing::Values(Proto::kTcp, Proto::kUdp),
                                            ::testing::Values(Mode::kStream, Mode::kEcho)),
                         [](const ::testing::TestParamInfo<FallbackParams>& p) {
                           return title_case(to_string(std::get<0>(p.param))) + "_" +
                                  title_case(to_string(std::get<1>(p.param)));
                         });

TEST(UringFallbackScenarioTest, GroEchoOfManyDatagramsPerReadComesBackExactly) {
  // One single-shot read holds a GRO buffer of many datagrams: each is
  // echoed from the connection's buffer, and the next read waits for all.
  TestSpec spec = make_spec(Proto::kUdp, ModelKind::kUring, Mode::kEcho);
  spec.rate_msgs_per_s = 0;
  spec.outstanding = 16;
  spec.count = 800;
  spec.gso = true;
  expect_exact_on_fallback(spec);
}

TEST(UringFallbackScenarioTest, OneMebibyteTcpEchoComesBackWhole) {
  // Larger than the connection's 16 KiB buffer: many reads, echoes resumed.
  TestSpec spec = make_spec(Proto::kTcp, ModelKind::kUring, Mode::kEcho);
  spec.flows = 2;
  spec.count = 4;
  spec.size_bytes = 1U << 20;
  expect_exact_on_fallback(spec);
}

// ---------------------------------------------------------------------------
// --sender-threads: the same exact counts with the flows dealt to K send
// loops — 4 flows over 2 loops, 3 over 2 (uneven) and 2 over 3 (more loops
// asked than flows: 2 run) — and the loops' messages add up.

class SenderThreadsTest : public ::testing::TestWithParam<RunParams> {};

TEST_P(SenderThreadsTest, MovesExactlyKMessagesOverSeveralSendLoops) {
  const auto [proto, model, mode] = GetParam();
  struct Shape {
    std::uint32_t flows;
    std::uint32_t loops;
  };
  for (const Shape shape : {Shape{4, 2}, Shape{3, 2}, Shape{2, 3}}) {
    TestSpec spec = make_spec(proto, model, mode);
    spec.flows = shape.flows;
    spec.count = 600;
    spec.sender_threads = shape.loops;
    const RunResult r = run(spec);
    SCOPED_TRACE(std::to_string(shape.flows) + " flows, " + std::to_string(shape.loops) +
                 " sender threads");
    expect_exact(r, spec);
    ASSERT_EQ(r.send_loops.size(), std::min(shape.flows, shape.loops));
    std::uint64_t sent = 0;
    std::uint32_t flows = 0;
    for (const SendLoopStats& l : r.send_loops) {
      sent += l.messages;
      flows += l.flows;
    }
    EXPECT_EQ(sent, spec.count);
    EXPECT_EQ(flows, spec.flows);
  }
}

INSTANTIATE_TEST_SUITE_P(AllModels, SenderThreadsTest, all_runs(), run_name);

// ---------------------------------------------------------------------------
// --busy-poll: the same exact counts when every wait spins instead of sleeping.

class BusyPollTest : public ::testing::TestWithParam<RunParams> {};

TEST_P(BusyPollTest, MovesExactlyKMessagesWithoutSleeping) {
  const auto [proto, model, mode] = GetParam();
  TestSpec spec = make_spec(proto, model, mode);
  spec.count = 400;  // small: every engine thread spins for the whole run
  spec.busy_poll = true;
  expect_exact(run(spec), spec);
}

INSTANTIATE_TEST_SUITE_P(AllModels, BusyPollTest, all_runs(), run_name);

// ---------------------------------------------------------------------------
// --gso: datagrams sent in UDP_SEGMENT batches and read as GRO buffers are
// each counted once, whatever model splits them.

class GsoTest : public ::testing::TestWithParam<ModelKind> {};

TEST_P(GsoTest, UnpacedStreamOfWholeBatchesArrivesExactly) {
  TestSpec spec = make_spec(Proto::kUdp, GetParam(), Mode::kStream);
  // Unpaced, so that each send carries 64 datagrams; few enough (128 per
  // flow) that even unsegmented they fit the default receive buffer.
  spec.rate_msgs_per_s = 0;
  spec.size_bytes = 64;
  spec.count = 512;
  spec.gso = true;
  expect_exact(run(spec), spec);
}

TEST_P(GsoTest, PacedStreamArrivesExactly) {
  TestSpec spec = make_spec(Proto::kUdp, GetParam(), Mode::kStream);
  // A gentle rate: under TSan on a loaded machine the kernel's loopback
  // backlog (net.core.netdev_max_backlog) dropped datagrams at 20k/s.
  spec.rate_msgs_per_s = 5000;
  spec.count = 1000;
  spec.gso = true;
  expect_exact(run(spec), spec);
}

TEST_P(GsoTest, EchoWithManyOutstandingComesBackExactly) {
  TestSpec spec = make_spec(Proto::kUdp, GetParam(), Mode::kEcho);
  // Closed loop, 16 in flight: each refill goes out as one segmented send.
  spec.rate_msgs_per_s = 0;
  spec.outstanding = 16;
  spec.count = 800;
  spec.gso = true;
  expect_exact(run(spec), spec);
}

INSTANTIATE_TEST_SUITE_P(AllModels, GsoTest, ::testing::ValuesIn(kModelKinds),
                         [](const ::testing::TestParamInfo<ModelKind>& p) {
                           return title_case(to_string(p.param));
                         });

TEST(GsoSpecTest, GsoIsRefusedForTcpAndBesideBatch) {
  TestSpec spec = make_spec(Proto::kTcp, ModelKind::kEpoll, Mode::kStream);
  spec.gso = true;
  EXPECT_THROW(validate(spec), ConfigError);
  spec.proto = Proto::kUdp;
  EXPECT_NO_THROW(validate(spec));
  spec.batch = 8;
  EXPECT_THROW(validate(spec), ConfigError);
}

// ---------------------------------------------------------------------------
// Single scenarios.

TEST(PairedRunScenarioTest, WarmupMessagesAreCountedApartFromTheMeasuredOnes) {
  for (const Proto proto : {Proto::kTcp, Proto::kUdp}) {
    for (const Mode mode : {Mode::kStream, Mode::kEcho}) {
      SCOPED_TRACE(std::string(to_string(proto)) + " " + std::string(to_string(mode)));
      TestSpec spec = make_spec(proto, ModelKind::kEpoll, mode);
      spec.count = 400;
      spec.rate_msgs_per_s = kUdpRate;
      spec.warmup_ns = 20'000'000;  // 20 ms at 20k msg/s: about 400 warm-up messages
      const RunResult r = run(spec);
      expect_exact(r, spec);
      const Totals t = totals(r);
      // Warm-up messages that arrive are counted apart, never as measured
      // (expect_exact saw exactly K measured messages and latency samples).
      EXPECT_GT(t.sent_warmup, 0U);
      EXPECT_GT(t.received_warmup, 0U);
      EXPECT_LE(t.received_warmup, t.sent_warmup);
    }
  }
}

TEST(PairedRunScenarioTest, OneMebibyteTcpEchoComesBackWhole) {
  for (const ModelKind model : {ModelKind::kPoll, ModelKind::kEpoll, ModelKind::kUring}) {
    SCOPED_TRACE(std::string(to_string(model)));
    TestSpec spec = make_spec(Proto::kTcp, model, Mode::kEcho);
    spec.flows = 2;
    spec.count = 4;
    spec.size_bytes = 1U << 20;  // four times the receiver's read buffer: arrives in pieces
    const RunResult r = run(spec);
    expect_exact(r, spec);
    std::uint64_t echoed = 0;
    for (const FlowRecvStats& f : r.receiver_flows) {
      echoed += f.echoed_bytes;
    }
    EXPECT_EQ(echoed, spec.count << 20);
  }
}

TEST(PairedRunScenarioTest, LargestUdpDatagramEchoesWhole) {
  for (const ModelKind model : {ModelKind::kThread, ModelKind::kEpoll, ModelKind::kUring}) {
    SCOPED_TRACE(std::string(to_string(model)));
    TestSpec spec = make_spec(Proto::kUdp, model, Mode::kEcho);
    spec.flows = 2;
    spec.count = 20;
    spec.rate_msgs_per_s = 0;  // closed loop: one datagram in flight per flow
    spec.size_bytes = 65'507;
    expect_exact(run(spec), spec);
  }
}

TEST(PairedRunScenarioTest, RepeatedRunsLeakNoDescriptors) {
  // A warm-up run first: one-time descriptors (none expected) are not leaks.
  TestSpec first = make_spec(Proto::kTcp, ModelKind::kEpoll, Mode::kStream);
  first.count = 4;
  static_cast<void>(run(first));
  const std::size_t before = sys::open_fd_count();
  ASSERT_GT(before, 0U) << "/proc/self/fd is unreadable";
  for (int i = 0; i < 100; ++i) {
    const Proto proto = i % 2 == 0 ? Proto::kTcp : Proto::kUdp;
    const Mode mode = (i / 2) % 2 == 0 ? Mode::kStream : Mode::kEcho;
    TestSpec spec =
        make_spec(proto, kModelKinds[static_cast<std::size_t>(i / 4) % kModelKinds.size()], mode);
    spec.flows = 2;
    spec.count = 4;
    spec.rate_msgs_per_s = 0;
    const RunResult r = run(spec);
    ASSERT_TRUE(r.complete) << "run " << i << ": " << r.error;
  }
  EXPECT_EQ(sys::open_fd_count(), before);
}

TEST(PairedRunScenarioTest, OpenLoopEchoMeasuresFromIntendedAndActualSendTime) {
  for (const Proto proto : {Proto::kTcp, Proto::kUdp}) {
    SCOPED_TRACE(std::string(to_string(proto)));
    TestSpec spec = make_spec(proto, ModelKind::kEpoll, Mode::kEcho);
    spec.count = 800;
    spec.rate_msgs_per_s = kUdpRate;
    ASSERT_TRUE(spec.open_loop());
    const RunResult r = run(spec);
    expect_exact(r, spec);
    // Each sample from the intended time is at least the one from the actual
    // time, so every order statistic is too.
    for (const double p : {0.0, 50.0, 90.0, 99.0, 100.0}) {
      EXPECT_GE(r.latency.percentile(p), r.latency_from_actual.percentile(p)) << "p" << p;
    }
    EXPECT_GE(r.latency.max(), r.latency_from_actual.max());
    EXPECT_GT(r.latency_from_actual.max(), 0U);
    EXPECT_EQ(r.pacing.sends, spec.count);
  }
}

TEST(PairedRunScenarioTest, OnStartComesOnceBeforeAnyInterval) {
  const TestSpec spec = make_spec(Proto::kTcp, ModelKind::kEpoll, Mode::kEcho);
  int starts = 0;
  std::size_t intervals = 0;
  bool interval_before_start = false;
  RunHooks hooks;
  hooks.on_start = [&] { ++starts; };
  hooks.on_interval = [&](const IntervalRecord&) {
    interval_before_start = interval_before_start || starts == 0;
    ++intervals;
  };
  const RunResult r = run_paired(spec, hooks);
  expect_exact(r, spec);
  EXPECT_EQ(starts, 1);
  EXPECT_FALSE(interval_before_start);
  EXPECT_EQ(r.intervals.size(), intervals);
}

bool ipv6_loopback_available() {
  const Fd fd(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    return false;
  }
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  return ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;  // NOLINT
}

TEST(PairedRunScenarioTest, RunsOverIpv6Loopback) {
  if (!ipv6_loopback_available()) {
    GTEST_SKIP() << "::1 is not available on this host";
  }
  for (const Proto proto : {Proto::kTcp, Proto::kUdp}) {
    for (const Mode mode : {Mode::kStream, Mode::kEcho}) {
      SCOPED_TRACE(std::string(to_string(proto)) + " " + std::string(to_string(mode)));
      TestSpec spec = make_spec(proto, ModelKind::kEpoll, mode);
      spec.family = Family::kV6;
      spec.count = 400;
      const RunResult r = run(spec);
      expect_exact(r, spec);
      EXPECT_EQ(r.spec.bind_address, "::1");
    }
  }
}

TEST(PairedRunScenarioTest, SeveralEventLoopsServeEveryTcpFlow) {
  for (const ModelKind model : {ModelKind::kPoll, ModelKind::kEpoll, ModelKind::kUring}) {
    SCOPED_TRACE(std::string(to_string(model)));
    TestSpec spec = make_spec(Proto::kTcp, model, Mode::kStream);
    spec.flows = 8;
    spec.count = 1600;
    spec.threads = 2;
    const RunResult r = run(spec);
    expect_exact(r, spec);
    EXPECT_EQ(r.receiver.cpu.threads, 2U) << "one record per event loop";
  }
}

TEST(PairedRunScenarioTest, PoissonPacedRunMovesExactlyKMessages) {
  for (const Proto proto : {Proto::kTcp, Proto::kUdp}) {
    for (const Mode mode : {Mode::kStream, Mode::kEcho}) {
      SCOPED_TRACE(std::string(to_string(proto)) + " " + std::string(to_string(mode)));
      TestSpec spec = make_spec(proto, ModelKind::kEpoll, mode);
      spec.pattern = Pattern::kPoisson;
      spec.rate_msgs_per_s = kUdpRate;
      const RunResult r = run(spec);
      expect_exact(r, spec);
      EXPECT_EQ(r.pacing.sends, spec.count);
    }
  }
}

// ---------------------------------------------------------------------------
// --stats counts: messages and bytes are counted exactly; nothing per message
// (sequence tracking, delay or RTT histograms) is recorded. --cpu pins both
// sides without changing what is measured.

class CountsOnlyTest : public ::testing::TestWithParam<RunParams> {};

TEST_P(CountsOnlyTest, CountsEveryMessageAndMeasuresNothingElse) {
  const auto [proto, model, mode] = GetParam();
  TestSpec spec = make_spec(proto, model, mode);
  spec.count = 400;
  spec.stats = StatsLevel::kCounts;
  const RunResult r = run(spec);
  EXPECT_TRUE(r.complete) << r.error;
  const Totals t = totals(r);
  EXPECT_EQ(t.sent, spec.count);
  EXPECT_EQ(t.received, spec.count);
  EXPECT_EQ(r.latency.count(), 0U);
  EXPECT_EQ(r.latency_from_actual.count(), 0U);
  for (const FlowRecvStats& rx : r.receiver_flows) {
    EXPECT_EQ(rx.unique, 0U) << "no sequence tracking";
    EXPECT_EQ(rx.loss.sent, 0U) << "no loss accounting";
  }
  if (mode == Mode::kEcho) {
    EXPECT_EQ(t.replies, spec.count);
  }
}

INSTANTIATE_TEST_SUITE_P(AllModels, CountsOnlyTest, all_runs(), run_name);

TEST(PinnedRunTest, BothSidesOnTheFirstAvailableCpuMoveEveryMessage) {
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(::sched_getaffinity(0, sizeof set, &set), 0);
  std::uint32_t first = 0;
  while (!CPU_ISSET(std::size_t{first}, &set)) {
    ++first;
  }
  for (const ModelKind model : {ModelKind::kThread, ModelKind::kEpoll}) {
    TestSpec spec = make_spec(Proto::kUdp, model, Mode::kEcho);
    spec.count = 200;
    spec.sender_cpus = {first};
    spec.receiver_cpus = {first};
    expect_exact(run(spec), spec);
  }
}

// --coalesce: the receiver pauses before each wait; every message still
// arrives exactly once, whatever the model.

class CoalesceTest : public ::testing::TestWithParam<RunParams> {};

TEST_P(CoalesceTest, PausingReceiverStillTakesEveryMessage) {
  const auto [proto, model, mode] = GetParam();
  TestSpec spec = make_spec(proto, model, mode);
  spec.count = 400;
  spec.coalesce_ns = 200'000;
  expect_exact(run(spec), spec);
}

INSTANTIATE_TEST_SUITE_P(AllModels, CoalesceTest, all_runs(), run_name);

// --batch: unpaced, so every sendmmsg carries a full batch (echo: as many as
// may be outstanding); the socket buffers hold the whole run, so the counts
// are exact whatever the scheduler does.

class BatchTest : public ::testing::TestWithParam<RunParams> {};

TEST_P(BatchTest, UnpacedBatchesArriveExactly) {
  const auto [proto, model, mode] = GetParam();
  TestSpec spec = make_spec(proto, model, mode);
  spec.rate_msgs_per_s = 0;
  spec.batch = 16;
  spec.outstanding = 16;
  expect_exact(run(spec), spec);
}

INSTANTIATE_TEST_SUITE_P(AllModels, BatchTest,
                         ::testing::Combine(::testing::Values(Proto::kUdp),
                                            ::testing::ValuesIn(kModelKinds),
                                            ::testing::Values(Mode::kStream, Mode::kEcho)),
                         run_name);

}  // namespace
}  // namespace netbench
