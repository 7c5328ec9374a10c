#pragma once

#include <array>
#include <cstdint>
#include <queue>
#include <stop_token>
#include <string>
#include <vector>

#include "netbench/fd.hpp"
#include "netbench/frame_decoder.hpp"
#include "netbench/latency_histogram.hpp"
#include "netbench/wire_header.hpp"
#include "sender/message_ledger.hpp"
#include "sender/send_flow.hpp"
#include "sender/sender_state.hpp"

namespace netbench::sender {

/// A send loop's connect-mode figures beside its ledger's.
struct TransactionStats {
  LatencyHistogram connect_latency;  ///< measured transactions: connect() to established, ns
  std::uint64_t connect_failures = 0;
  std::uint64_t transaction_failures = 0;
  std::uint64_t reply_timeouts = 0;
};

/// The connect-mode driver of one send loop (neper's crr, netperf's
/// TCP_CRR): each transaction opens a non-blocking socket, connects to the
/// state's target, sends one request, reads its reply and closes it (TCP:
/// `--close fin` or `rst`); UDP uses a fresh connected socket per request.
/// Closed loop: each flow keeps --outstanding transactions open, starting
/// the next as one ends. Open loop: each flow starts transactions on its
/// pacer's schedule. A request is taken from the ledger when its transaction
/// begins, with the begin time as its send time: the reply's latency from
/// the intended time (coordinated-omission corrected) and from the actual
/// begin are the transaction's, connect included. Runs on the loop's thread.
class TransactionLoop {
 public:
  /// Every reference must outlive the loop.
  TransactionLoop(SenderState& state, MessageLedger& ledger, std::vector<SendFlow>& flows,
                  TransactionStats& stats);
  TransactionLoop(const TransactionLoop&) = delete;
  TransactionLoop& operator=(const TransactionLoop&) = delete;

  /// Runs every flow's transactions until their quota or time is up and the
  /// last ones ended (or timed out), a stop request, a stall or a fatal
  /// error (ephemeral ports used up). Returns why it ended early, or "".
  std::string run(std::stop_token stop);

 private:
  enum class Phase : std::uint8_t { kFree, kConnecting, kSending, kReading };
  struct Txn {
    Fd fd;
    Phase phase = Phase::kFree;
    std::uint32_t flow = 0;  ///< index in flows_
    Outgoing message;
    std::uint64_t begin_ns = 0;
    std::uint64_t deadline_ns = 0;  ///< a connect or UDP reply not done by then fails
    std::array<std::byte, kWireHeaderBytes> header{};
    std::size_t offset = 0;  ///< request bytes sent
    FrameDecoder decoder;    ///< TCP: the reply
  };
  enum class Outcome : std::uint8_t { kDone, kConnectFailed, kFailed, kTimedOut };

  /// Begins a transaction of flow `index` at `now`; false when the flow has
  /// none left (quota or time is up).
  bool begin(std::uint32_t index, std::uint64_t due_now);
  /// Sends what is left of slot `slot`'s request; moves it on to reading.
  void send_request(std::uint32_t slot, std::uint64_t now);
  void on_event(std::uint32_t slot, std::uint32_t events);
  void on_connected(std::uint32_t slot, std::uint64_t now);
  void on_reply(std::uint32_t slot);
  /// Ends slot `slot`'s transaction (closes its socket) and counts `how`.
  void end(std::uint32_t slot, Outcome how);
  /// Watches slot `slot`'s socket for `events` (adds it when `add`).
  void watch(std::uint32_t slot, std::uint32_t events, bool add);
  /// Starts what is due: closed loop, refills each flow; open loop, the
  /// schedule's due starts.
  void start_due(std::uint64_t now);
  void expire(std::uint64_t now);
  [[nodiscard]] bool all_done() const noexcept;
  [[nodiscard]] std::uint32_t open_count() const noexcept {
    return static_cast<std::uint32_t>(slots_.size() - free_.size());
  }

  SenderState& state_;
  MessageLedger& ledger_;
  std::vector<SendFlow>& flows_;
  TransactionStats& stats_;
  std::uint32_t per_flow_;           ///< transactions a flow may have open at once
  std::vector<std::uint32_t> open_;  ///< per flow: transactions open
  std::vector<Txn> slots_;
  std::vector<std::uint32_t> free_;  ///< free slot indices
  std::vector<std::byte> buffer_;    ///< request payload / reply scratch
  Fd ep_;
  struct Due {
    std::uint64_t due_ns;
    std::uint32_t flow;
    bool operator>(const Due& o) const noexcept { return due_ns > o.due_ns; }
  };
  std::priority_queue<Due, std::vector<Due>, std::greater<>> heap_;  ///< open loop
  std::vector<std::uint32_t> waiting_;  ///< open loop: flows with a due start held back
  std::string fatal_;
};

}  // namespace netbench::sender
