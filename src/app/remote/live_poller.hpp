#pragma once

#include <string>

#include "app/control/control_channel.hpp"
#include "netbench/latency_histogram.hpp"
#include "netbench/receiver.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::app {

/// The receiver at the other end of a control connection, as the sending
/// side polls it once per interval and while draining: the client of a
/// forward test polls `netbench serve`, the server of a --reverse test polls
/// its client. Each "poll" is answered by a "live" (the receiver's totals
/// and the latency samples since the previous poll) or, from a client whose
/// user stopped the test, a "stop". The first failure (no answer within
/// reply_deadline(), a malformed or impossible "live", an "error") ends the
/// polling: the totals stay as they were, so a drain stops after its idle
/// time, and failed() says why in one line. Not thread-safe.
class LivePoller {
 public:
  /// `peer` names the other side in failure lines ("server", "client").
  LivePoller(const TestSpec& spec, ControlChannel& ch, std::string peer)
      : spec_(spec), ch_(ch), peer_(std::move(peer)) {}

  /// One poll (nothing once failed() or stopped()).
  void poll();
  /// The receiver's latest totals.
  [[nodiscard]] const ReceiverLive& last() const noexcept { return last_; }
  /// The latency samples of every poll since the previous call.
  [[nodiscard]] LatencyHistogram take_latency() noexcept;
  /// Why the polls stopped counting; empty while fine.
  [[nodiscard]] const std::string& failed() const noexcept { return failed_; }
  /// The peer answered a poll with "stop".
  [[nodiscard]] bool stopped() const noexcept { return stopped_; }

 private:
  const TestSpec& spec_;
  ControlChannel& ch_;
  std::string peer_;
  ReceiverLive last_;
  LatencyHistogram last_latency_;
  std::string failed_;
  bool stopped_ = false;
};

/// The answer to a poll: `rx`'s totals and its latency samples since the
/// previous answer, as a "live" message.
[[nodiscard]] nlohmann::json live_reply(Receiver& rx);

}  // namespace netbench::app
