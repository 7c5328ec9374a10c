#pragma once

#include "receiver/loop_model.hpp"

namespace netbench::receiver {

/// One loop with poll() over a pollfd array: non-blocking sockets, accept
/// until EWOULDBLOCK, recv until EWOULDBLOCK (or the read budget), echo with
/// send, partial sends kept and finished on POLLOUT, closed peers removed.
/// Cost per wake-up grows with the number of descriptors.
class PollModel final : public LoopModel {
 public:
  using LoopModel::LoopModel;

 private:
  void run_loop(ServeSet part, int wake_fd, ThreadState& thread, std::stop_token stop) override;
};

}  // namespace netbench::receiver
