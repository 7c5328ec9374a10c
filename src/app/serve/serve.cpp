#include "app/serve/serve.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <list>
#include <thread>
#include <vector>

#include "app/cli/exit_codes.hpp"
#include "app/control/clock_match.hpp"
#include "app/control/control_channel.hpp"
#include "app/control/control_frame_reader.hpp"
#include "app/control/messages.hpp"
#include "app/serve/serve_admission.hpp"
#include "app/serve/serve_session.hpp"
#include "app/serve/stop_waker.hpp"
#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "netbench/version.hpp"
#include "sys/open_fds.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::app {
namespace {

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
std::uint64_t ms_to_ns(std::uint64_t ms) { return ms * 1'000'000; }

/// Sends a small message without waiting; true if all of it went out.
bool send_now(int fd, const nlohmann::json& message) {
  const std::string frame = encode_control(message, kMaxControlBytes);
  return !frame.empty() && ::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT) ==
                               static_cast<ssize_t>(frame.size());
}

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
  bool make_room(const std::string& newcomer);
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
  /// The test threads (at most --max-concurrent); last, so that they are
  /// joined (on any exit) before the members they use are destroyed.
  std::list<Worker> workers_;
};

void ControlLoop::fit_fd_budget() {
  fd_limit_ = sys::raise_fd_limit();
  for (const std::string& line : fit_fd_budget_to(fd_limit_, o_)) {
    serve_log(o_, line);
  }
}

/// The table is full: make room for a newcomer by dropping a client that is
/// closing anyway, else the oldest one still in its handshake. False if every
/// client is past its handshake (the newcomer is refused instead).
bool ControlLoop::make_room(const std::string& newcomer) {
  for (auto it = clients_.begin(); it != clients_.end(); ++it) {
    if (it->stage == Stage::kClosing) {
      clients_.erase(it);
      return true;
    }
  }
  for (auto it = clients_.begin(); it != clients_.end(); ++it) {
    if (it->stage == Stage::kHello || it->stage == Stage::kTest) {
      serve_log(o_, "client " + it->peer + ": dropped unfinished handshake to make room for " +
                        newcomer + " (--max-clients " + std::to_string(o_.max_clients) + ")");
      send_now(it->fd.get(), encode(Error{"too many connections; handshake not finished in time"}));
      clients_.erase(it);
      return true;
    }
  }
  return false;
}

void ControlLoop::accept_new(std::uint64_t now) {
  for (int i = 0; i < kAcceptsPerRound; ++i) {
    Endpoint from;
    from.len = sizeof from.addr;
    Fd fd(::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&from.addr),  // NOLINT
                    &from.len, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: pause accepting (the listener would stay
        // readable and spin the loop) and say so once a second at most.
        accept_paused_until_ = now + ms_to_ns(kAcceptPauseMs);
        if (now - last_emfile_log_ > 1'000'000'000) {
          last_emfile_log_ = now;
          serve_log(o_, std::string("accept: ") + std::strerror(errno) + "; not accepting for " +
                            std::to_string(kAcceptPauseMs) + " ms");
        }
      }
      return;  // EAGAIN: the backlog is empty (ECONNABORTED etc.: next round)
    }
    const std::string peer = from.to_string();
    if (clients_.size() >= o_.max_clients && !make_room(peer)) {
      serve_log(o_, "client " + peer + ": refused, " + std::to_string(o_.max_clients) +
                        " control connections open (--max-clients)");
      send_now(fd.get(), encode(Error{"busy: too many connections; try again later"}));
      continue;  // closed here
    }
    Client& c = clients_.emplace_back();
    c.fd = std::move(fd);
    c.peer = peer;
    c.deadline_ns = now + ms_to_ns(static_cast<std::uint64_t>(o_.handshake_timeout_ms));
  }
}

void ControlLoop::refuse(Client& c, const std::string& reply, const std::string& why,
                         std::uint64_t now) {
  serve_log(o_, "client " + c.peer + ": " + why);
  send_now(c.fd.get(), encode(Error{reply}));
  ::shutdown(c.fd.get(), SHUT_WR);
  c.stage = Stage::kClosing;
  c.deadline_ns = now + ms_to_ns(kLingerMs);
}

void ControlLoop::on_readable(Client& c, std::uint64_t now) {
  std::array<std::byte, 4096> buf{};
  // A bounded number of reads: a peer streaming fast cannot hold the loop.
  for (int round = 0; round < 32; ++round) {
    const std::size_t want =
        c.stage == Stage::kClosing ? buf.size() : std::min(buf.size(), c.reader.wanted());
    const ssize_t n = ::recv(c.fd.get(), buf.data(), want, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      if (c.stage != Stage::kClosing) {
        serve_log(o_, "client " + c.peer + ": closed the connection before its test" +
                          (n < 0 ? std::string(" (") + std::strerror(errno) + ")" : ""));
      }
      c.fd.reset();  // erased by the loop
      return;
    }
    if (n < 0) {
      return;
    }
    if (c.stage == Stage::kClosing) {
      continue;  // discarded
    }
    c.reader.feed(std::span(buf.data(), static_cast<std::size_t>(n)));
    if (c.reader.state() == ControlFrameReader::State::kFailed) {
      refuse(c, c.reader.error(), c.reader.error(), now);
      return;
    }
    if (c.reader.state() == ControlFrameReader::State::kComplete) {
      const auto m = c.reader.take();
      if (!m) {
        refuse(c, c.reader.error(), c.reader.error(), now);
        return;
      }
      on_message(c, *m, now);
      if (c.stage != Stage::kHello && c.stage != Stage::kTest) {
        return;  // whatever follows is the session's, or discarded
      }
    }
  }
}

void ControlLoop::on_message(Client& c, const nlohmann::json& m, std::uint64_t now) {
  if (c.stage == Stage::kTest) {
    accept_test(c, m, now);
    return;
  }
  if (const Refusal r = check_hello(m, o_); r.refused()) {
    refuse(c, r.reply, r.log, now);
    return;
  }
  Hello reply;
  reply.server = std::string("netbench ") + kVersion;
  if (!send_now(c.fd.get(), encode(reply))) {
    serve_log(o_, "client " + c.peer + ": could not take the hello reply");
    c.fd.reset();
    return;
  }
  c.stage = Stage::kTest;
}

void ControlLoop::accept_test(Client& c, const nlohmann::json& m, std::uint64_t now) {
  Test test;
  if (const Refusal r = check_test(m, o_, test); r.refused()) {
    refuse(c, r.reply, r.log, now);
    return;
  }
  c.test.peer = c.peer;
  c.test.spec = test.spec;
  // Our clock read now, after decoding: the loop's `now` was read before
  // the read loop and could precede the client's own reading (issue 14).
  ClockEvidence evidence;
  evidence.client_boot_id = test.boot_id;
  evidence.server_boot_id = boot_id_;
  evidence.client_sent_ns = test.clock_ns;
  evidence.server_received_ns = now_ns();
  evidence.rtt_ns = test.rtt_ns;
  c.test.clock = decide_clock(evidence);
  c.test.shared_clock = is_shared_clock(c.test.clock);
  c.stage = Stage::kWaiting;
  c.deadline_ns = now + ms_to_ns(kSlotWaitMs);
}

void ControlLoop::expire(std::uint64_t now) {
  for (Client& c : clients_) {
    if (!c.fd || now < c.deadline_ns) {
      continue;
    }
    switch (c.stage) {
      case Stage::kHello:
      case Stage::kTest:
        refuse(c, "handshake timeout",
               "no " + std::string(c.stage == Stage::kHello ? "hello" : "test") + " within " +
                   std::to_string(o_.handshake_timeout_ms) + " ms (" +
                   std::to_string(c.reader.received()) + " bytes of it came)",
               now);
        break;
      case Stage::kWaiting:
        refuse(c, "busy: another test is running; try again later",
               "told busy: another test is running", now);
        break;
      case Stage::kClosing:
        c.fd.reset();
        break;
    }
  }
}

/// Starts the first waiting client's test if a slot is free (or refuses it
/// when descriptors are short). False if there was nothing to do.
bool ControlLoop::start_next_test(std::uint64_t now) {
  if (!slot_free() || stop_.stop_requested()) {
    return false;
  }
  auto it = clients_.begin();
  while (it != clients_.end() && (it->stage != Stage::kWaiting || !it->fd)) {
    ++it;
  }
  if (it == clients_.end()) {
    return false;
  }
  const TestSpec& spec = it->test.spec;
  const std::uint64_t open = sys::open_fd_count();
  if (fd_limit_ != 0 && open + test_fds(spec.flows, spec.threads) > fd_limit_) {
    const std::string text = "the server is short of descriptors for " +
                             std::to_string(spec.flows) + " flows now (" + std::to_string(open) +
                             " open, limit " + std::to_string(fd_limit_) + ")";
    refuse(*it, text, "test refused: " + text, now);
    return true;
  }
  it->test.control = std::move(it->fd);
  Worker& w = workers_.emplace_back();
  w.thread = std::jthread([this, &w, test = std::move(it->test)](std::stop_token st) mutable {
    SessionOutcome outcome = SessionOutcome::kFailed;
    const std::string peer = test.peer;
    try {
      outcome = run_session(std::move(test), o_, st);
    } catch (const std::exception& e) {
      serve_log(o_, "client " + peer + ": session failed: " + e.what());
    }
    w.outcome.store(outcome);
    w.done.store(true);
    waker_.notify();
  });
  clients_.erase(it);
  return true;
}

void ControlLoop::reap_tests() {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (!it->done.load()) {
      ++it;
      continue;
    }
    it->thread.join();
    if (it->outcome.load() == SessionOutcome::kCompleted) {
      ++tests_done_;
    }
    it = workers_.erase(it);
  }
}

int ControlLoop::run() {
  fit_fd_budget();
  listener_ = sys::listen_tcp(resolve(o_.bind, o_.port, o_.family, true), false, 128);
  sys::set_nonblocking(listener_.get(), true);
  serve_log(o_, "listening on " + sys::local_endpoint(listener_.get()).to_string() + " (" +
                    (o_.max_concurrent <= 1
                         ? std::string("one test at a time")
                         : "up to " + std::to_string(o_.max_concurrent) + " tests at once") +
                    ", up to " + std::to_string(o_.max_clients) + " control connections" +
                    (o_.auth_token.empty() ? ")" : ", auth token required)"));
  std::vector<pollfd> fds;
  while (!stop_.stop_requested()) {
    reap_tests();
    if (o_.max_tests != 0 && tests_done_ >= o_.max_tests && !test_running()) {
      break;
    }
    std::uint64_t now = now_ns();
    // Every waiting client whose test fits in a free slot starts now.
    while (start_next_test(now)) {
    }
    // Who to poll: the waker, the listener (unless paused), every client.
    fds.clear();
    fds.push_back({waker_.fd(), POLLIN, 0});
    const bool accepting = now >= accept_paused_until_;
    fds.push_back({accepting ? listener_.get() : -1, POLLIN, 0});
    std::uint64_t next = now + ms_to_ns(accepting ? 60'000 : kAcceptPauseMs);
    for (const Client& c : clients_) {
      // A waiting client is not read (its next bytes are the session's);
      // only its hang-up is watched.
      fds.push_back(
          {c.fd.get(),
           static_cast<short>(c.stage == Stage::kWaiting ? POLLRDHUP : POLLIN | POLLRDHUP), 0});
      next = std::min(next, c.deadline_ns);
    }
    const int timeout = static_cast<int>((std::max(next, now) - now + 999'999) / 1'000'000);
    const int n = ::poll(fds.data(), fds.size(), timeout);
    if (n < 0 && errno != EINTR) {
      throw SystemError("poll", "control loop", errno);
    }
    now = now_ns();
    if (fds[0].revents != 0) {
      waker_.drain();
    }
    std::size_t i = 2;
    for (Client& c : clients_) {
      const short ev = fds[i++].revents;
      if (ev == 0 || !c.fd) {
        continue;
      }
      if (c.stage == Stage::kWaiting) {
        serve_log(o_, "client " + c.peer + ": hung up while waiting for its test to start");
        c.fd.reset();
      } else {
        on_readable(c, now);
      }
    }
    expire(now);
    clients_.remove_if([](const Client& c) { return !c.fd; });
    if (fds[1].revents != 0) {
      accept_new(now);
    }
  }
  for (Worker& w : workers_) {
    w.thread.request_stop();
  }
  workers_.clear();  // joins every test thread
  return kExitOk;
}

}  // namespace

int run_serve(const ServeOptions& options, std::stop_token stop) {
  ControlLoop loop(options, std::move(stop));
  return loop.run();
}

}  // namespace netbench::app
