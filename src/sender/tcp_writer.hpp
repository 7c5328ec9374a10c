#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "sender/message_ledger.hpp"
#include "sender/send_flow.hpp"

namespace netbench::sender {

/// Writes a TCP flow's messages: a fresh message in one send() of the shared
/// filler with the header copied into its front; a message the socket took
/// only part of resumes where it stopped, from the flow's own copy of its
/// header. With --zerocopy every send is a sendmsg() of the message's own
/// header (from the flow's HeaderRing, held until the kernel's completion)
/// and the shared filler, which is never written. One per send loop; used
/// on its thread.
class TcpWriter {
 public:
  /// `ledger` decides and books messages; must outlive the writer.
  TcpWriter(MessageLedger& ledger, std::uint32_t size)
      : ledger_(ledger), size_(size), payload_(size, std::byte{0}) {}

  /// Sends (the rest of) flow `f`'s current message, or its next one.
  SendResult write(SendFlow& f, std::uint64_t now);

 private:
  /// One send() of a whole message; its result.
  ssize_t send_fresh(SendFlow& f);
  /// One sendmsg() of the rest of a message from f.offset; its result.
  ssize_t send_rest(SendFlow& f);
  /// --zerocopy: one MSG_ZEROCOPY sendmsg() of the rest of the message from
  /// f.offset, its header read from the flow's header ring; its result.
  ssize_t send_zerocopy(SendFlow& f);

  MessageLedger& ledger_;
  std::uint32_t size_;
  std::vector<std::byte> payload_;  ///< one message of filler shared by every flow
};

}  // namespace netbench::sender
