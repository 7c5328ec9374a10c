#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <ostream>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/test_spec.hpp"
#include "sys/proc_net.hpp"
#include "uring_fallback.hpp"
#include "watchdog.hpp"

namespace netbench {
namespace {

constexpr std::uint32_t kFlows = 3;
constexpr std::uint64_t kTransactions = 60;  // 20 per flow
constexpr std::uint32_t kSize = 100;
enum class Loop : std::uint8_t { kClosed, kOpen };

TestSpec connect_spec(Proto proto, ModelKind model, Loop loop, Close close) {
  TestSpec s;
  s.proto = proto;
  s.model = model;
  s.mode = Mode::kConnect;
  s.close = close;
  s.flows = kFlows;
  s.count = kTransactions;
  s.size_bytes = kSize;
  s.interval_ns = 100'000'000;
  if (loop == Loop::kClosed) {
    s.outstanding = 2;
  } else {
    s.rate_msgs_per_s = 2'000;
  }
  return s;
}

/// run_paired() with a watchdog: a hang ends incomplete instead of blocking.
RunResult run(const TestSpec& spec) {
  return test_support::with_watchdog(
      [&](std::stop_token stop) { return run_paired(spec, {}, stop); });
}

/// Every figure of a connect-mode run of spec.count transactions without a fault.
void expect_exact(const RunResult& r, const TestSpec& spec) {
  const std::uint64_t k = spec.count;
  const std::uint64_t share = k / spec.flows;
  ASSERT_TRUE(r.complete) << r.error;
  EXPECT_EQ(r.connect.transactions, k);
  EXPECT_EQ(r.connect.connect_failures, 0U);
  EXPECT_EQ(r.connect.transaction_failures, 0U);
  EXPECT_EQ(r.connect.reply_timeouts, 0U);
  EXPECT_EQ(r.connect.connect_latency.count(), k);
  EXPECT_EQ(r.latency.count(), k) << "transaction latency from the intended start";
  EXPECT_EQ(r.latency_from_actual.count(), k);
  // Connecting is part of the transaction: neither latency can be shorter.
  EXPECT_LE(r.connect.connect_latency.min(), r.latency_from_actual.max());
  ASSERT_EQ(r.sender_flows.size(), spec.flows);
  ASSERT_EQ(r.receiver_flows.size(), spec.flows);
  for (std::uint32_t i = 0; i < spec.flows; ++i) {
    const FlowSendStats& tx = r.sender_flows[i];
    const FlowRecvStats& rx = r.receiver_flows[i];
    EXPECT_EQ(tx.flow_id, i);
    EXPECT_EQ(rx.flow_id, i);
    EXPECT_EQ(tx.messages, share) << "flow " << i;
    EXPECT_EQ(tx.bytes, share * kSize) << "flow " << i;
    EXPECT_EQ(tx.replies, share) << "flow " << i;
    EXPECT_EQ(tx.reply_bytes, share * kSize) << "flow " << i;
    EXPECT_EQ(tx.reply_loss.lost, 0U) << "flow " << i;
    EXPECT_EQ(tx.replies_malformed, 0U) << "flow " << i;
    EXPECT_EQ(rx.messages, share) << "flow " << i;
    EXPECT_EQ(rx.bytes, share * kSize) << "flow " << i;
    EXPECT_EQ(rx.echoed_messages, share) << "flow " << i;
    EXPECT_EQ(rx.echoed_bytes, share * kSize) << "flow " << i;
    EXPECT_EQ(rx.malformed, 0U) << "flow " << i;
  }
  if (spec.proto == Proto::kTcp) {
    EXPECT_EQ(r.connect.server_accepts, k) << "one connection per transaction";
    EXPECT_EQ(r.connect.server_threads_started, spec.model == ModelKind::kThread ? k : 0U);
  } else {
    EXPECT_EQ(r.connect.server_accepts, 0U);
    EXPECT_EQ(r.connect.server_threads_started, 0U);
  }
}

using ConnectParams = std::tuple<Proto, ModelKind, Loop, Close>;

class ConnectModeTest : public ::testing::TestWithParam<ConnectParams> {};

TEST_P(ConnectModeTest, RunsExactlyKTransactions) {
  const auto [proto, model, loop, close] = GetParam();
  const TestSpec spec = connect_spec(proto, model, loop, close);
  expect_exact(run(spec), spec);
}

/// Every model × TCP (--close fin and rst) and UDP × closed and open loop.
std::vector<ConnectParams> all_connect_runs() {
  std::vector<ConnectParams> out;
  for (const ModelKind model : kModelKinds) {
    for (const Loop loop : {Loop::kClosed, Loop::kOpen}) {
      out.emplace_back(Proto::kTcp, model, loop, Close::kFin);
      out.emplace_back(Proto::kTcp, model, loop, Close::kRst);
      out.emplace_back(Proto::kUdp, model, loop, Close::kFin);
    }
  }
  return out;
}

std::string connect_name(const ::testing::TestParamInfo<ConnectParams>& p) {
  const auto [proto, model, loop, close] = p.param;
  std::string name = std::string(to_string(proto)) + "_" + std::string(to_string(model)) + "_" +
                     (loop == Loop::kClosed ? "closed" : "open");
  if (proto == Proto::kTcp) {
    name += "_" + std::string(to_string(close));
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllModels, ConnectModeTest, ::testing::ValuesIn(all_connect_runs()),
                         connect_name);

// --model uring on its single-shot path (forced: see uring_fallback.hpp):
// each short connection through a single-shot accept, each UDP request's
// answer a sendmsg to its source.
TEST(UringFallbackConnectTest, RunsExactlyKTransactionsOneAcceptAtATime) {
  const test::ScopedUringFallback fallback;
  for (const auto& [proto, loop, close] : {std::tuple{Proto::kTcp, Loop::kClosed, Close::kFin},
                                           std::tuple{Proto::kTcp, Loop::kOpen, Close::kRst},
                                           std::tuple{Proto::kUdp, Loop::kClosed, Close::kFin},
                                           std::tuple{Proto::kUdp, Loop::kOpen, Close::kFin}}) {
    SCOPED_TRACE(std::string(to_string(proto)) + (loop == Loop::kOpen ? " open" : " closed"));
    const TestSpec spec = connect_spec(proto, ModelKind::kUring, loop, close);
    const RunResult r = run(spec);
    expect_exact(r, spec);
    ASSERT_TRUE(r.receiver.uring.has_value());
    EXPECT_FALSE(r.receiver.uring->multishot_accept);
  }
}

class ConnectWarmupTest : public ::testing::TestWithParam<ModelKind> {};

TEST_P(ConnectWarmupTest, WarmupTransactionsAreCountedApart) {
  TestSpec spec = connect_spec(Proto::kTcp, GetParam(), Loop::kOpen, Close::kFin);
  spec.rate_msgs_per_s = 1'000;
  spec.warmup_ns = 30'000'000;  // 30 ms at 1,000/s: 10 per flow of 3 => about 30 warm-up
  const RunResult r = run(spec);
  ASSERT_TRUE(r.complete) << r.error;
  std::uint64_t warm = 0;
  for (const FlowSendStats& f : r.sender_flows) {
    warm += f.warmup_messages;
  }
  EXPECT_GT(warm, 0U);
  EXPECT_EQ(r.connect.transactions, kTransactions);
  EXPECT_EQ(r.connect.connect_latency.count(), kTransactions);
  // The server accepts warm-up connections too.
  EXPECT_EQ(r.connect.server_accepts, kTransactions + warm);
}

// A readiness model, and uring, whose multishot accept takes the connections.
INSTANTIATE_TEST_SUITE_P(EpollAndUring, ConnectWarmupTest,
                         ::testing::Values(ModelKind::kEpoll, ModelKind::kUring),
                         [](const ::testing::TestParamInfo<ModelKind>& p) {
                           return std::string(to_string(p.param));
                         });

// ---------------------------------------------------------------------------
// In a network namespace of its own (root only): the kernel's counters and
// port range belong to this test alone, so TIME_WAIT and the listen-queue
// counters are exact.

/// Runs `body` in a child process inside a new network namespace with its
/// loopback up, and returns what it wrote (or "skip: ..." when the
/// namespace cannot be made).
std::string in_own_netns(const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe(fds) != 0) {
    return "skip: pipe";
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    if (::unshare(CLONE_NEWNET) != 0) {
      out = std::string("skip: unshare(CLONE_NEWNET): ") + std::strerror(errno);
    } else {
      const int s = ::socket(AF_INET, SOCK_DGRAM, 0);
      ifreq ifr{};
      std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
      ::ioctl(s, SIOCGIFFLAGS, &ifr);
      ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
      if (::ioctl(s, SIOCSIFFLAGS, &ifr) != 0) {
        out = "skip: cannot bring lo up";
      } else {
        try {
          out = body();
        } catch (const std::exception& e) {
          out = std::string("exception: ") + e.what();
        }
      }
      ::close(s);
    }
    const ssize_t n = ::write(fds[1], out.data(), out.size());
    ::_exit(n == static_cast<ssize_t>(out.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

void write_sysctl(const char* path, const std::string& value) { std::ofstream(path) << value; }

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Figures of a connect run in one line: "complete tw overflows drops syn".
std::string netns_run(Close close, std::uint64_t count) {
  // No reuse of TIME_WAIT ports for new connections, as on a real network
  // (loopback reuses them by default).
  write_sysctl("/proc/sys/net/ipv4/tcp_tw_reuse", "0");
  write_sysctl("/proc/sys/net/ipv4/ip_local_port_range", "40000 40009");
  TestSpec spec = connect_spec(Proto::kTcp, ModelKind::kEpoll, Loop::kClosed, close);
  spec.flows = 1;
  spec.outstanding = 1;
  spec.count = count;
  spec.port = 7000;  // outside the range: the listener takes none of its ten ports
  const RunResult r = run(spec);
  // The last connection's FIN handshake may still be under way: read the
  // count once it has held still for 50 ms (at most 1 s).
  auto tw = sys::parse_time_wait(read_file("/proc/net/sockstat"));
  for (int i = 0, still = 0; i < 100 && still < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto now = sys::parse_time_wait(read_file("/proc/net/sockstat"));
    still = now == tw ? still + 1 : 0;
    tw = now;
  }
  std::ostringstream out;
  out << (r.complete ? "complete" : "incomplete") << ' ' << r.connect.transactions << ' '
      << (tw ? *tw : 999999) << ' ' << r.connect.kernel.valid << ' '
      << r.connect.kernel.listen_overflows << ' ' << r.connect.kernel.listen_drops << ' '
      << r.connect.kernel.syn_retransmits << '\n'
      << r.error;
  return out.str();
}

TEST(ConnectModeNetnsTest, FinLeavesOneTimeWaitPerTransactionAndRstNone) {
  const std::string fin = in_own_netns([] { return netns_run(Close::kFin, 8); });
  if (fin.rfind("skip:", 0) == 0) {
    GTEST_SKIP() << fin;
  }
  // 8 transactions, 8 client sockets in TIME_WAIT; no overflow, drop or SYN retry.
  EXPECT_EQ(fin.substr(0, fin.find('\n')), "complete 8 8 1 0 0 0") << fin;
  const std::string rst = in_own_netns([] { return netns_run(Close::kRst, 50); });
  // 50 transactions through 10 ports: a reset leaves no TIME_WAIT behind.
  EXPECT_EQ(rst.substr(0, rst.find('\n')), "complete 50 0 1 0 0 0") << rst;
}

TEST(ConnectModeNetnsTest, RunningOutOfPortsFailsWithTheRangeAndTimeWaitCount) {
  const std::string out = in_own_netns([] { return netns_run(Close::kFin, 50); });
  if (out.rfind("skip:", 0) == 0) {
    GTEST_SKIP() << out;
  }
  // Ten ports, each left in TIME_WAIT: the eleventh connect finds none.
  EXPECT_EQ(out.substr(0, out.find('\n')), "incomplete 10 10 1 0 0 0") << out;
  const std::string error = out.substr(out.find('\n') + 1);
  EXPECT_NE(error.find("EADDRNOTAVAIL"), std::string::npos) << error;
  EXPECT_NE(error.find("ip_local_port_range (40000-40009)"), std::string::npos) << error;
  // The count is read when the connect fails: the tenth socket may still
  // be in FIN_WAIT2 then (the server's FIN on its way), holding its port
  // outside TIME_WAIT; the line after the run above counts all ten.
  EXPECT_TRUE(error.find("10 sockets in TIME_WAIT") != std::string::npos ||
              error.find("9 sockets in TIME_WAIT") != std::string::npos)
      << error;
  EXPECT_NE(error.find("--close rst"), std::string::npos) << error;
}

TEST(ProcNetTest, ParsesTcpExtCountersByName) {
  const std::string text =
      "TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPSynRetrans\n"
      "TcpExt: 1 22 23 7\n"
      "IpExt: InNoRoutes\n"
      "IpExt: 0\n";
  const TcpStackCounters c = sys::parse_tcp_ext(text);
  EXPECT_TRUE(c.valid);
  EXPECT_EQ(c.listen_overflows, 22U);
  EXPECT_EQ(c.listen_drops, 23U);
  EXPECT_EQ(c.syn_retransmits, 7U);
  EXPECT_FALSE(sys::parse_tcp_ext("TcpExt: ListenOverflows\nTcpExt: 3\n").valid);
  EXPECT_FALSE(sys::parse_tcp_ext("").valid);
}

TEST(ProcNetTest, DeltaIsFlooredAtZeroAndNeedsBothReadings) {
  TcpStackCounters a{true, 5, 6, 7};
  TcpStackCounters b{true, 9, 6, 3};
  const TcpStackCounters d = sys::counter_delta(a, b);
  EXPECT_TRUE(d.valid);
  EXPECT_EQ(d.listen_overflows, 4U);
  EXPECT_EQ(d.listen_drops, 0U);
  EXPECT_EQ(d.syn_retransmits, 0U);
  EXPECT_FALSE(sys::counter_delta(TcpStackCounters{}, b).valid);
}

TEST(ProcNetTest, ReadsTimeWaitFromSockstat) {
  EXPECT_EQ(sys::parse_time_wait("sockets: used 5\nTCP: inuse 1 orphan 0 tw 17 alloc 2 mem 1\n"),
            17U);
  EXPECT_FALSE(sys::parse_time_wait("sockets: used 5\n").has_value());
}

}  // namespace
}  // namespace netbench
