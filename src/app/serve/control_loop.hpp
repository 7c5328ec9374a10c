#pragma once

// The control plane of `netbench serve` (private to src/app/serve): the
// admission table of control connections before their tests start, and the
// poll() loop over it. serve.cpp runs the loop and the tests;
// serve_handshake.cpp admits, reads and answers connections in their handshake.

#include <atomic>
#include <cstdint>
#include <list>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/control/clock_match.hpp"
#include "app/control/control_frame_reader.hpp"
#include "app/serve/json_log.hpp"
#include "app/serve/log_limiter.hpp"
#include "app/serve/serve.hpp"
#include "app/serve/serve_session.hpp"
#include "app/serve/stop_waker.hpp"
#include "netbench/fd.hpp"

namespace netbench::app::control_loop {

/// Largest hello or test message (bytes): far above a real one, small enough
/// that --max-clients handshakes cannot cost much memory.
constexpr std::uint32_t kMaxHandshakeBytes = 64 * 1024;
/// A test that arrives while the previous one winds down (a sweep, a retry)
/// waits this long for the test thread before it is told "busy".
constexpr int kSlotWaitMs = 500;
/// After an error reply: how long to read and discard until the peer
/// closes, so that the reply is not lost to a reset.
constexpr int kLingerMs = 1'000;
/// Most connections accepted per loop round (the rest wait in the backlog).
constexpr int kAcceptsPerRound = 64;
/// After accept() ran out of descriptors: stop accepting this long.
constexpr int kAcceptPauseMs = 100;
/// Log lines of one kind from one source: this many per window, then one
/// summary line at the window's end (a churning peer cannot fill the disk).
constexpr std::uint32_t kLogBurst = 5;
constexpr std::uint64_t kLogWindowNs = 10'000'000'000;
constexpr std::size_t kLogKeys = 1024;

inline std::uint64_t ms_to_ns(std::uint64_t ms) { return ms * 1'000'000; }

/// Sends a small message without waiting; true if all of it went out.
bool send_now(int fd, const nlohmann::json& message);

enum class Stage {
  kHello,    ///< waiting for the hello
  kTest,     ///< hello answered, waiting for the test
  kWaiting,  ///< test accepted, waiting for the test thread
  kClosing,  ///< error sent, write side shut: discarding input until the peer closes
};

/// One control connection before its test starts.
struct Client {
  Fd fd;
  std::string peer;
  std::string source;  ///< source_key(): what admission and the log limiter count by
  Stage stage = Stage::kHello;
  std::uint64_t deadline_ns = 0;
  ControlFrameReader reader{kMaxHandshakeBytes};
  AcceptedTest test;
};

/// The control plane: one poll() loop over the listener, every client in
/// its handshake and a waker (stop, test thread finished). Nothing in it
/// blocks: replies are small and sent without waiting.
class ControlLoop {
 public:
  ControlLoop(const ServeOptions& o, std::stop_token stop)
      : o_(o), stop_(std::move(stop)), waker_(stop_) {}
  int run();

 private:
  void fit_fd_budget();
  void accept_new(std::uint64_t now);
  bool make_room(const std::string& newcomer, const std::string& source);
  void log_from(const std::string& source, const std::string& what, const std::string& line);
  void on_readable(Client& c, std::uint64_t now);
  void on_message(Client& c, const nlohmann::json& m, std::uint64_t now);
  void accept_test(Client& c, const nlohmann::json& m, std::uint64_t now);
  void refuse(Client& c, const std::string& reply, const std::string& why, std::uint64_t now);
  void expire(std::uint64_t now);
  bool start_next_test(std::uint64_t now);
  void reap_tests();
  [[nodiscard]] bool test_running() const noexcept { return !workers_.empty(); }
  [[nodiscard]] bool slot_free() const noexcept {
    return workers_.size() < std::max<std::uint32_t>(o_.max_concurrent, 1);
  }

  /// One running test: its thread, and what the thread reports back.
  struct Worker {
    std::atomic<bool> done{false};
    std::atomic<SessionOutcome> outcome{SessionOutcome::kFailed};
    std::jthread thread;  // last: joined before the flags above are destroyed
  };

  ServeOptions o_;
  std::stop_token stop_;
  StopWaker waker_;
  Fd listener_;
  std::list<Client> clients_;
  std::uint64_t tests_done_ = 0;
  std::uint64_t fd_limit_ = 0;
  std::uint64_t accept_paused_until_ = 0;
  std::uint64_t last_emfile_log_ = 0;
  std::string boot_id_ = read_boot_id();  ///< this kernel's, for decide_clock()
  LogLimiter log_limiter_{kLogBurst, kLogWindowNs, kLogKeys};
  std::optional<JsonLog> json_log_;  ///< --json-log, opened by run()
  PairBook pairs_;                   ///< --bidir: the forward halves' pair tokens
  /// The test threads (at most --max-concurrent); last, so that they are
  /// joined (on any exit) before the members they use are destroyed.
  std::list<Worker> workers_;
};

}  // namespace netbench::app::control_loop
