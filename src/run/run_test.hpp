#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <vector>

#include "netbench/endpoint.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/results.hpp"
#include "netbench/sender.hpp"
#include "netbench/test_spec.hpp"
#include "run/interval_reporter.hpp"

namespace netbench::run {

/// The receiving side of a test as the sending process sees it: a Receiver
/// in this process (paired run), a `netbench serve` over its control
/// connection (remote run), or nothing that reports (a plain echo server).
/// run_test() calls the verbs in this order, on its thread: targets(),
/// attach(), probe() (its functions during the run), then collect().
class ReceiverLink {
 public:
  virtual ~ReceiverLink() = default;

  /// The data endpoints: one for every TCP flow, or one per UDP flow. The
  /// receiver may start serving here (TCP: accept while the sender connects).
  virtual std::vector<Endpoint> targets() = 0;
  /// Descriptors each flow takes in this process: 1 (the sender's socket),
  /// 2 when the receiver is here too.
  [[nodiscard]] virtual unsigned descriptors_per_flow() const { return 1; }
  /// Whether the sender's sockets must go above FD_SETSIZE (a select()
  /// receiver in this process keeps the low numbers).
  [[nodiscard]] virtual bool high_descriptors() const { return false; }
  /// Opens the Sender of the test: by default, connected to targets()
  /// (high_descriptors() as asked). A link whose sender runs over sockets
  /// the other side opened (`--reverse`) makes its data sockets here.
  virtual std::unique_ptr<Sender> open_sender(const TestSpec& spec);
  /// The sender's sockets exist: register UDP flows, start serving.
  virtual void attach(Sender& tx) = 0;
  /// Where the interval reporter reads the receiver's live figures; empty
  /// functions when the receiver reports none (then no drain either).
  virtual IntervalReporter::ReceiverProbe probe() = 0;
  /// How often the drain asks probe().live.
  [[nodiscard]] virtual std::chrono::milliseconds drain_tick() const {
    return std::chrono::milliseconds(2);
  }
  /// After the sender and the drain: stops the receiver and fills the
  /// receiver's part of `out` (flows, costs, one-way figures; its error
  /// marks `out` incomplete). `out` already holds the sender's part.
  virtual void collect(const Sender& tx, RunResult& out) = 0;
  /// Who takes the traffic, and where (the run's "peer").
  [[nodiscard]] virtual PeerInfo peer() const = 0;
};

/// `kind` at `at`, as a PeerInfo.
[[nodiscard]] PeerInfo peer_at(PeerKind kind, const Endpoint& at);

/// One test's lifecycle, the same for paired, remote and plain echo runs:
/// opens the sender against the link's targets, attaches the receiver, runs
/// the sender while the interval reporter emits the intervals (hooks), lets
/// a stream receiver drain what is in flight, and merges both sides into one
/// RunResult. Throws what setup throws (ConfigError, SystemError, or the
/// link's own errors) before traffic starts; a stop request ends the test
/// early with `complete == false`.
RunResult run_test(const TestSpec& spec, ReceiverLink& link, const RunHooks& hooks,
                   std::stop_token stop);

/// Throws ConfigError, naming the limit, the need and `ulimit -n`, when this
/// process may not open the descriptors a test of `spec` needs (`per_flow`
/// per flow plus a margin), after raising its soft limit to the hard one.
void require_descriptors(const TestSpec& spec, unsigned per_flow);

/// --bidir: runs `forward` on this thread and `reverse` on another at the
/// same time, each with a stop token that `stop` and a setup failure of
/// either half request; joins their results (join_bidir()). Rethrows what
/// either half threw, the forward half's first.
RunResult run_bidir_halves(const std::function<RunResult(std::stop_token)>& forward,
                           const std::function<RunResult(std::stop_token)>& reverse,
                           std::stop_token stop);

/// --bidir: `forward`, the forward half's result, becomes the bidir run's,
/// carrying `back` (the reverse half's) as its reverse direction; an
/// incomplete reverse half makes the whole incomplete ("reverse: WHY").
void join_bidir(RunResult& forward, RunResult back);

/// Marks `out` incomplete with "receiver: `error`" unless it is empty or
/// `out` already has an error.
void add_receiver_error(RunResult& out, const std::string& error);

}  // namespace netbench::run
