#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "netbench/fd.hpp"
#include "netbench/plain_echo_server.hpp"

namespace netbench {

/// Counters of an EchoLoop: written by the loop thread only, readable from
/// any thread. The PlainEchoCounters of the same names.
struct EchoLoopStats {
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> open{0};
  std::atomic<std::uint64_t> bytes_received{0};
  std::atomic<std::uint64_t> bytes_echoed{0};
  std::atomic<std::uint64_t> datagrams{0};
  std::atomic<std::uint64_t> datagram_bytes{0};
  std::atomic<std::uint64_t> dropped{0};
  mutable std::mutex error_mutex;
  std::string error;  ///< why the loop ended on its own; guarded by error_mutex

  /// Keeps the first error. Any thread.
  void set_error(std::string what);
};

/// The event loop of a PlainEchoServer: one level-triggered epoll set over
/// the TCP listener, the UDP socket (if any), a wake eventfd and every
/// connection. Constructed, run and destroyed on the loop thread; the
/// listener, UDP socket and eventfd are borrowed and outlive it. Its
/// connections close when it is destroyed.
class EchoLoop {
 public:
  /// An epoll set watching `listener`, `udp` (if >= 0) and `wake`, made on
  /// the owner's thread so that a failure throws SystemError there.
  static Fd make_epoll(int listener, int udp, int wake);

  EchoLoop(const PlainEchoOptions& options, int listener, int udp, int wake, Fd ep,
           EchoLoopStats& stats);

  /// Serves until `stop` is requested (a write to `wake` makes that prompt;
  /// otherwise it is seen within 100 ms) or epoll_wait fails, which is
  /// recorded in stats.error.
  void run(const std::stop_token& stop);

 private:
  struct Connection {
    Fd fd;
    std::vector<std::byte> pending;  // echo not yet sent: bytes [sent, size())
    std::size_t sent = 0;
  };

  bool control(int op, int fd, std::uint32_t events, std::uint64_t tag) noexcept;
  void accept_all();
  void on_connection(int fd);
  void read_and_echo(int fd, Connection& c);
  void close_connection(int fd) noexcept;
  void echo_datagrams();

  PlainEchoOptions options_;
  int listener_;
  int udp_;
  int wake_;
  Fd ep_;
  EchoLoopStats& stats_;
  std::vector<std::byte> rx_;                     // one read's worth, shared by every socket
  std::vector<std::optional<Connection>> slots_;  // indexed by descriptor number
  std::uint64_t open_ = 0;
  std::uint64_t accept_paused_until_ = 0;  // CLOCK_MONOTONIC ns; 0 = accepting
};

}  // namespace netbench
