#pragma once

#include "receiver/loop_model.hpp"

namespace netbench::receiver {

/// One loop per --threads, each with its own io_uring: completion-based.
///
/// Where the readiness models wait to be told a socket can be read and then
/// read it, this one hands the kernel standing requests and is told what
/// they did: a multishot accept per listener (each loop has its own
/// SO_REUSEPORT listener) and a multishot receive per socket, which fills
/// buffers the kernel picks from a provided-buffer ring. Each completion
/// carries bytes (TCP) or a datagram with its ancillary data (UDP, a
/// multishot recvmsg), handed to the same Connection code as the other
/// models. Echo replies go back as send requests: per TCP connection one at
/// a time, resumed after a partial send, so never reordered; UDP echoes are
/// sent straight from the receive buffer with MSG_DONTWAIT, as the other
/// models send them. A loop submits, waits and reaps in one io_uring_enter
/// and reaps every completion present in one batch. A stop cancels every
/// outstanding request and waits (bounded) for them to end.
///
/// --mode connect: TCP's short connections come through the multishot
/// accept like any other, each retired (its record released for reuse) when
/// its peer closes or resets it; UDP's one unconnected socket per loop gets
/// each request's source with its datagram (recvmsg's name) and answers it
/// there (a send with a destination address, a sendto).
///
/// On an older kernel each feature takes its nearest path (sys/uring.hpp):
/// before 6.0 one receive per socket at a time into its own buffer, re-armed
/// as it completes (a UDP socket's once its echoes, sent from that buffer as
/// sendmsg requests, have completed); before 5.19 one accept at a time and
/// one cancel per request at a stop. The path taken goes into the result
/// (ReceiverState::note_uring). start() refuses with one line naming the
/// cause where io_uring is unavailable (kernel.io_uring_disabled, a seccomp
/// filter, a kernel before 5.11).
class UringModel final : public LoopModel {
 public:
  using LoopModel::LoopModel;

 private:
  class Loop;
  void check(const ServeSet& sockets) const override;
  [[nodiscard]] bool announces_serving() const noexcept override { return true; }
  void run_loop(ServeSet part, int wake_fd, ThreadState& thread, std::stop_token stop) override;
};

}  // namespace netbench::receiver
