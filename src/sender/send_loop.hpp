#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <stop_token>
#include <string>
#include <vector>

#include "netbench/fd.hpp"
#include "netbench/results.hpp"
#include "sender/message_ledger.hpp"
#include "sender/reply_reader.hpp"
#include "sender/send_flow.hpp"
#include "sender/sender_state.hpp"
#include "sender/tcp_writer.hpp"
#include "sender/transaction_loop.hpp"
#include "sender/udp_writer.hpp"

namespace netbench::sender {

/// One thread's share of the sending side (as a receiver's event loop is):
/// the flows dealt to it, its epoll set, its schedule (a min-heap of flows
/// by next intended send time; ties round robin), its writer, reply reader
/// and ledger. run() waits, spins and drains: a flow whose socket is full
/// waits for EPOLLOUT and then catches up on its schedule; echo replies are
/// read as they arrive; after the last send, replies still due are awaited
/// for a bounded time.
///
/// Construct and add flows on the owning thread; run() on the loop's thread;
/// live() from any thread; the accessors after run() returned.
class SendLoop {
 public:
  /// Loop `index` of the sender; `state` must outlive the loop. Throws
  /// SystemError if epoll fails.
  SendLoop(SenderState& state, unsigned index);
  SendLoop(const SendLoop&) = delete;
  SendLoop& operator=(const SendLoop&) = delete;

  /// Takes a connected, non-blocking flow socket. Throws SystemError.
  void add(std::uint32_t flow_id, Fd fd, std::uint64_t quota);
  /// Runs until every flow has sent its share (and echo replies are in or
  /// timed out), a stop request, or a stall; then reads each flow's final
  /// figures and tells the state it finished.
  void run(std::stop_token stop);

  [[nodiscard]] const std::vector<SendFlow>& flows() const noexcept { return flows_; }
  [[nodiscard]] std::vector<SendFlow>& flows() noexcept { return flows_; }
  [[nodiscard]] const LoopLive& live() const noexcept { return *live_; }
  [[nodiscard]] const MessageLedger& ledger() const noexcept { return ledger_; }
  [[nodiscard]] const CpuUsage& cpu() const noexcept { return cpu_; }
  /// Connect mode: connect latency and failed transactions.
  [[nodiscard]] const TransactionStats& transactions() const noexcept { return transactions_; }
  /// This loop's place among the sender's loops (its --cpu placement).
  [[nodiscard]] unsigned index() const noexcept { return index_; }
  /// Why run() ended early; empty if it did not.
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  [[nodiscard]] bool aborted() const noexcept { return aborted_; }

 private:
  struct Due {
    std::uint64_t due_ns;
    std::uint64_t order;  // ties in due time go round robin
    std::uint32_t flow;   // index in flows_
    bool operator>(const Due& o) const noexcept {
      return due_ns != o.due_ns ? due_ns > o.due_ns : order > o.order;
    }
  };

  /// A UDP stream flow waits on nothing (no replies are expected), so its
  /// socket stays out of the epoll set except while a send is blocked: a
  /// socket with a waiter pays a wake-up call (the wait queue's spinlock and
  /// ep_poll_callback) on every datagram the loopback frees, on the sender's
  /// CPU. Stray datagrams and ICMP errors are read when the flow ends.
  [[nodiscard]] bool always_watched() const noexcept { return state_.tcp() || state_.echo(); }
  /// Watches `f` for replies, and for room (`out`) or, with --zerocopy,
  /// completions (`errors`; EPOLLERR is always reported, this only puts an
  /// unwatched UDP stream flow in the set).
  void watch(SendFlow& f, std::uint32_t index, bool out, bool errors = false);
  void schedule(std::uint32_t index, std::uint64_t due_ns);
  void schedule(std::uint32_t index) { schedule(index, flows_[index].pacer.next_ns()); }
  SendResult write(SendFlow& f, std::uint64_t now);
  void after_send(std::uint32_t index);
  void finish_flow(SendFlow& f);
  void on_event(std::uint32_t index, std::uint32_t events);
  /// Sends what is due; false once time is up for every flow.
  void send_due();
  [[nodiscard]] bool all_done() const noexcept;
  /// --zerocopy: reads each flow's completions until none is outstanding
  /// (or none came for kDrainNs), and books them in its figures.
  void drain_completions();
  /// Per-flow figures at the end: TCP_INFO, strays, reply loss.
  void finish_flows();
  void fail(std::string why) {
    error_ = std::move(why);
    aborted_ = true;
  }

  SenderState& state_;
  unsigned index_;
  std::unique_ptr<LoopLive> live_;
  MessageLedger ledger_;
  std::optional<TcpWriter> tcp_;
  std::optional<UdpWriter> udp_;
  ReplyReader replies_;
  std::vector<SendFlow> flows_;
  Fd ep_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> heap_;
  std::uint64_t order_ = 0;
  CpuUsage cpu_;
  TransactionStats transactions_;
  std::string error_;
  bool aborted_ = false;
};

}  // namespace netbench::sender
