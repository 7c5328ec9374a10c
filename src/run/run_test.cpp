#include "run/run_test.hpp"

#include <sys/socket.h>

#include <exception>
#include <iterator>
#include <numeric>
#include <thread>
#include <utility>

#include "measure/run_warnings.hpp"
#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "run/drain.hpp"
#include "run/start_at.hpp"
#include "sys/proc_net.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::run {
namespace {

/// Descriptors a test needs besides its flows' sockets.
constexpr std::uint64_t kSpareDescriptors = 64;

}  // namespace

RunResult run_test(const TestSpec& spec, ReceiverLink& link, const RunHooks& hooks,
                   std::stop_token stop) {
  // Connect mode: each flow has up to transactions_per_flow() sockets open.
  require_descriptors(spec, link.descriptors_per_flow() *
                                (spec.mode == Mode::kConnect ? transactions_per_flow(spec) : 1));
  // Connect mode over TCP: the kernel's listen-queue and SYN counters, as
  // deltas over the test (the namespace's, other connections included).
  const bool tcp_counters = spec.mode == Mode::kConnect && spec.proto == Proto::kTcp;
  const TcpStackCounters before =
      tcp_counters ? sys::read_tcp_stack_counters() : TcpStackCounters{};
  const std::unique_ptr<Sender> sender = link.open_sender(spec);
  Sender& tx = *sender;
  link.attach(tx);
  IntervalReporter::ReceiverProbe probe = link.probe();
  const auto live = probe.live;
  IntervalReporter reporter(spec, hooks, tx, std::move(probe));
  // --start-at: everything is set up; the sender starts at the time itself
  // (a stop request meanwhile ends the run before its first message).
  StartTiming start;
  if (spec.start_at_unix_ns != 0) {
    start.requested_unix_ns = spec.start_at_unix_ns;
    static_cast<void>(wait_until_wall(spec.start_at_unix_ns, stop));
    start.actual_unix_ns = wall_ns();
  }
  reporter.run(stop);
  // Let the receiver take in what is still in flight, so that the last
  // interval covers the drain and the intervals add up to its totals.
  std::uint64_t drained_at = 0;
  if (spec.mode == Mode::kStream && live) {
    const std::vector<std::uint64_t> sent = tx.sent_by_flow();
    // Fan-out: every receiver's copy is due (the live totals sum them).
    const std::uint64_t due = std::accumulate(sent.begin(), sent.end(), std::uint64_t{0}) *
                              (spec.fanout() ? spec.receivers : 1);
    drained_at = wait_drained(spec, due, live, stop, link.drain_tick());
  }
  reporter.finish(drained_at);

  RunResult result;
  result.spec = spec;
  result.intervals = reporter.take_records();
  tx.collect(result);
  link.collect(tx, result);
  if (tcp_counters) {
    const TcpStackCounters mine = sys::counter_delta(before, sys::read_tcp_stack_counters());
    if (result.connect.kernel.valid) {
      // A remote server sent its listen queue's counters: the SYNs that
      // were sent again are this side's.
      result.connect.kernel.syn_retransmits = mine.syn_retransmits;
    } else {
      result.connect.kernel = mine;
    }
  }
  result.peer = link.peer();
  result.start = start;
  // An unreachable rate is said, not passed over (issue 14); a late start too.
  result.warnings = pacing_warnings(result);
  const std::vector<std::string> late = start_warnings(result);
  result.warnings.insert(result.warnings.end(), late.begin(), late.end());
  return result;
}

std::unique_ptr<Sender> ReceiverLink::open_sender(const TestSpec& spec) {
  return std::make_unique<Sender>(spec, targets(), high_descriptors());
}

PeerInfo peer_at(PeerKind kind, const Endpoint& at) {
  return {kind, at.to_string(), at.family() == AF_INET6};
}

void require_descriptors(const TestSpec& spec, unsigned per_flow) {
  // Sockets, plus epoll sets, eventfds, listeners and the process's own.
  const std::uint64_t need = std::uint64_t{spec.flows} * per_flow + kSpareDescriptors;
  const std::uint64_t limit = sys::raise_fd_limit();
  if (limit != 0 && limit < need) {
    throw ConfigError("--flows " + std::to_string(spec.flows) + " needs about " +
                      std::to_string(need) + " descriptors here (" + std::to_string(per_flow) +
                      " per flow), but this process may open " + std::to_string(limit) +
                      " (RLIMIT_NOFILE): raise it, e.g. ulimit -n " + std::to_string(need) +
                      " (its hard limit needs root), or use fewer flows");
  }
}

RunResult run_bidir_halves(const std::function<RunResult(std::stop_token)>& forward,
                           const std::function<RunResult(std::stop_token)>& reverse,
                           std::stop_token stop) {
  std::stop_source both;
  const std::stop_callback outer(stop, [&both] { both.request_stop(); });
  RunResult back;
  std::exception_ptr back_failed;
  RunResult out;
  {
    const std::jthread reverse_thread([&] {
      try {
        back = reverse(both.get_token());
      } catch (...) {
        back_failed = std::current_exception();
        both.request_stop();
      }
    });
    try {
      out = forward(both.get_token());
    } catch (...) {
      both.request_stop();
      throw;  // the jthread joins first
    }
  }
  if (back_failed) {
    std::rethrow_exception(back_failed);
  }
  join_bidir(out, std::move(back));
  return out;
}

void join_bidir(RunResult& forward, RunResult back) {
  forward.spec.direction = Direction::kBidir;
  if (!back.complete && forward.complete) {
    forward.complete = false;
    forward.error = "reverse: " + back.error;
  }
  forward.reverse.push_back(std::move(back));
}

void add_receiver_error(RunResult& out, const std::string& error) {
  if (error.empty()) {
    return;
  }
  out.complete = false;
  if (out.error.empty()) {
    out.error = "receiver: " + error;
  }
}

}  // namespace netbench::run
