#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "measure/latency_exchange.hpp"
#include "netbench/latency_histogram.hpp"
#include "netbench/results.hpp"
#include "netbench/wire_header.hpp"
#include "sender/send_flow.hpp"
#include "sender/sender_state.hpp"

namespace netbench::sender {

/// One message about to be sent: warm-up or measured, and when it was meant to go.
struct Outgoing {
  bool warm = false;
  std::uint64_t intended_ns = 0;
};

/// A flow's upcoming messages, looked at without consuming them: a writer
/// that sends several at once (sendmmsg, GSO) peeks ahead on a cursor and
/// books only what the kernel took.
struct MessageCursor {
  Pacer pacer;
  std::uint64_t warm_seq = 0;
  std::uint64_t seq = 0;
};

/// The books of one send loop: decides each flow's next message (warm-up or
/// measured, its sequence number and header — the one place a header is
/// built), books every message sent and every reply received (flow figures,
/// the loop's live totals, pacing lateness, RTT histograms), and knows when
/// the loop last made progress. Used on the loop's thread only.
class MessageLedger {
 public:
  MessageLedger(SenderState& state, LoopLive& live)
      : state_(state), live_(live), interval_(state.exchange()) {
    pacing_.target_msgs_per_s = state.spec().rate_msgs_per_s;
  }

  /// Where flow `f`'s next unsent message is.
  [[nodiscard]] static MessageCursor cursor(const SendFlow& f) noexcept {
    return {f.pacer, f.warm_seq, f.stats.messages};
  }
  /// The message at `c` for flow `f` at time `now` (ns), with its header
  /// written into `header`, and `c` moved past it; nullopt when the flow has
  /// nothing more to send (quota or time is up) or, unless `first`, when the
  /// message is not due yet.
  std::optional<Outgoing> take(const SendFlow& f, MessageCursor& c, std::uint64_t now, bool first,
                               std::span<std::byte, kWireHeaderBytes> header) const noexcept;
  /// Books a message of `f` as sent at `now`; moves its schedule on.
  void sent(SendFlow& f, std::uint64_t now, const Outgoing& m);
  /// Books a message of `f` whose place in the schedule was taken earlier
  /// (a connect-mode transaction takes its request when it begins, and
  /// sends it once connected): counts it as sent at `now` (pacing lateness
  /// against its intended time) without moving the schedule on.
  void book(SendFlow& f, std::uint64_t now, const Outgoing& m);
  /// Books a reply; true if a parked flow may send again (the caller
  /// schedules it).
  bool reply(SendFlow& f, const WireHeader& h, std::uint64_t now);

  /// Time is up: no new measured message is taken from now on.
  void stop_sending() noexcept { sending_ = false; }
  [[nodiscard]] bool sending() const noexcept { return sending_; }
  void progress(std::uint64_t now) noexcept { last_progress_ns_ = now; }
  [[nodiscard]] std::uint64_t last_progress_ns() const noexcept { return last_progress_ns_; }
  /// The last measured send (stream) or send or reply (echo), ns; 0 if none.
  [[nodiscard]] std::uint64_t last_activity_ns() const noexcept;
  /// Hands interval samples to the reporter now and then / at the end.
  void maybe_flush(std::uint64_t now) { interval_.maybe_flush(now); }
  void flush() { interval_.flush(); }

  [[nodiscard]] const PacingStats& pacing() const noexcept { return pacing_; }
  [[nodiscard]] const LatencyHistogram& rtt() const noexcept { return rtt_; }
  [[nodiscard]] const LatencyHistogram& rtt_actual() const noexcept { return rtt_actual_; }

 private:
  SenderState& state_;
  LoopLive& live_;
  IntervalLatency interval_;
  PacingStats pacing_;
  LatencyHistogram rtt_;         ///< echo: from the intended send time
  LatencyHistogram rtt_actual_;  ///< echo: from the actual send time
  bool sending_ = true;
  std::uint64_t last_progress_ns_ = 0;
  std::uint64_t last_send_ns_ = 0;
  std::uint64_t last_reply_ns_ = 0;
};

}  // namespace netbench::sender
