#pragma once

#include "receiver/loop_model.hpp"

namespace netbench::receiver {

/// One loop per --threads with epoll_wait(), level-triggered.
///
/// Level-triggered because each wake-up reads a socket at most kReadBudget
/// times: a socket with data left is simply reported again by the next
/// epoll_wait, which keeps flows fair without a ready list of our own (edge-
/// triggered would force draining to EAGAIN, letting one busy flow starve
/// the rest). Interest switches to EPOLLOUT only while echo bytes back up.
/// With K loops each has its own SO_REUSEPORT listener (the kernel spreads
/// connections over them by 4-tuple hash) and every K-th UDP flow socket.
/// Cost per wake-up grows with the ready set, not with the sockets watched.
class EpollModel final : public LoopModel {
 public:
  using LoopModel::LoopModel;

 private:
  void run_loop(ServeSet part, int wake_fd, ThreadState& thread, std::stop_token stop) override;
};

}  // namespace netbench::receiver
