#pragma once

#include <memory>
#include <vector>

#include "netbench/receiver.hpp"
#include "netbench/test_spec.hpp"
#include "run/run_test.hpp"

namespace netbench::run {

/// Fan-out in one process (`--receivers N` with `--multicast` or
/// `--broadcast`): N Receivers, each with one socket per flow bound to the
/// group (or broadcast) address on the ports of the first one, so that
/// every datagram of flow i reaches flow i's socket of every receiver.
/// Receiver k's sockets are bound to spec.receiver_devices[k] when given.
/// The sender sends each flow once, to the group. Verbs as ReceiverLink's,
/// on the run's thread.
class FanoutReceiverLink final : public ReceiverLink {
 public:
  /// Binds every receiver's sockets and joins the group. Throws
  /// ConfigError or SystemError.
  explicit FanoutReceiverLink(const TestSpec& spec);

  std::vector<Endpoint> targets() override;
  [[nodiscard]] unsigned descriptors_per_flow() const override;
  [[nodiscard]] bool high_descriptors() const override;
  void attach(Sender& tx) override;
  IntervalReporter::ReceiverProbe probe() override;
  /// Fills `out.fanout` (one entry per receiver) and the aggregate receiver
  /// part of `out`; the first receiver error marks `out` incomplete.
  void collect(const Sender& tx, RunResult& out) override;
  [[nodiscard]] PeerInfo peer() const override;

 private:
  const TestSpec& spec_;
  std::vector<std::unique_ptr<Receiver>> receivers_;
};

/// Adds a receiver's live totals to `into` (a fan-out's live figures count
/// deliveries: every receiver's copies, summed).
void add_live(ReceiverLive& into, const ReceiverLive& from) noexcept;

}  // namespace netbench::run
