#pragma once

#include "receiver/loop_model.hpp"

namespace netbench::receiver {

/// One loop with select(). fd_set holds descriptors below FD_SETSIZE only:
/// check() refuses up front any setup that could need a descriptor at or
/// above it, and an accepted descriptor that still lands there is closed and
/// reported, never passed to FD_SET. Cost per wake-up grows with the highest
/// descriptor number, not with the number of sockets.
class SelectModel final : public LoopModel {
 public:
  using LoopModel::LoopModel;

 private:
  void run_loop(ServeSet part, int wake_fd, ThreadState& thread, std::stop_token stop) override;
  void check(const ServeSet& sockets) const override;
};

/// Throws ConfigError if a select() server for `flows` flows could need a
/// descriptor >= FD_SETSIZE, given the descriptors open now plus `extra`
/// that others will open meanwhile.
void check_select_capacity(std::uint64_t flows, std::size_t extra);

}  // namespace netbench::receiver
