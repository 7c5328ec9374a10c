#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "netbench/fd.hpp"
#include "netbench/test_spec.hpp"
#include "receiver/receiver_state.hpp"

namespace netbench::receiver {

/// A UDP flow's server socket and the flow it belongs to.
struct FlowSocket {
  std::uint32_t flow_id = 0;
  Fd fd;
};

/// The data sockets a model serves.
struct ServeSet {
  /// TCP: listening sockets, one per event loop (SO_REUSEPORT on one port).
  std::vector<Fd> tcp_listeners;
  /// UDP: one socket per flow, connected to its registered peer.
  std::vector<FlowSocket> udp_flows;
  /// TCP connections this side opened itself (`--reverse`: the receiver is
  /// the client), served as accepted ones are; dealt round robin to the loops.
  std::vector<Fd> tcp_connections;
};

/// A receiver I/O model: how the data sockets of a test are multiplexed over
/// threads. Every model hands each readable socket to the same Connection
/// code; only the waiting differs. start() and stop() are called from the
/// thread that owns the model.
class ServerModel {
 public:
  virtual ~ServerModel() = default;
  ServerModel() = default;
  ServerModel(const ServerModel&) = delete;
  ServerModel& operator=(const ServerModel&) = delete;

  /// Takes the sockets and starts serving on the model's own threads;
  /// returns at once. Throws ConfigError or SystemError on setup failure.
  virtual void start(ServeSet sockets) = 0;
  /// Stops every thread and joins it; the figures are then in the
  /// ReceiverState. Idempotent. Never throws.
  virtual void stop() noexcept = 0;
};

/// The model `kind` serving into `state` (which must outlive it).
/// This factory is the one place that knows every model.
std::unique_ptr<ServerModel> make_server_model(ModelKind kind, ReceiverState& state);

/// Event loops the model runs for `spec` (1 for the thread model).
[[nodiscard]] unsigned loop_count(const TestSpec& spec) noexcept;

}  // namespace netbench::receiver
