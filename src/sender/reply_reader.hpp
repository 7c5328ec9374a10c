#pragma once

#include <cstdint>
#include <vector>

#include "sender/message_ledger.hpp"
#include "sender/send_flow.hpp"
#include "sender/sender_state.hpp"

namespace netbench::sender {

/// Reads what comes back on a flow's socket: echo replies (a TCP byte stream
/// through the flow's FrameDecoder, or one UDP datagram each), booked by the
/// ledger; anything on a stream flow, or a reply that does not decode or
/// names another flow, is counted as malformed; EOF and errors close the
/// flow. One per send loop; used on its thread.
class ReplyReader {
 public:
  /// `state` and `ledger` must outlive the reader.
  ReplyReader(const SenderState& state, MessageLedger& ledger)
      : state_(state), ledger_(ledger), rx_(state.echo() ? 256U * 1024U : 4096U) {}

  /// Reads what is queued on `f`'s socket, up to `limit` reads. True if a
  /// parked (closed-loop) flow may send again: the caller schedules it.
  bool read(SendFlow& f, unsigned limit = 64);

 private:
  const SenderState& state_;
  MessageLedger& ledger_;
  std::vector<std::byte> rx_;
};

}  // namespace netbench::sender
