#include "app/serve/serve.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <vector>

#include "app/cli/exit_codes.hpp"
#include "app/serve/control_loop.hpp"
#include "app/serve/serve_admission.hpp"
#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "sys/open_fds.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::app {
namespace control_loop {

void ControlLoop::fit_fd_budget() {
  fd_limit_ = sys::raise_fd_limit();
  for (const std::string& line : fit_fd_budget_to(fd_limit_, o_)) {
    serve_log(o_, line);
  }
}

/// Logs `line` unless lines of kind `what` from `source` exceed their rate
/// (then they are counted and summed up in one line at the window's end).

bool ControlLoop::start_next_test(std::uint64_t now) {
  if (stop_.stop_requested()) {
    return false;
  }
  // The reverse half of a --bidir test runs in its forward half's slot.
  const bool free = slot_free();
  auto it = clients_.begin();
  while (it != clients_.end() &&
         (it->stage != Stage::kWaiting || !it->fd || (!free && !it->test.companion))) {
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
      outcome = run_session(std::move(test), o_, st, json_log_ ? &*json_log_ : nullptr);
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
  if (!o_.json_log.empty()) {
    json_log_.emplace(o_.json_log);
  }
  fit_fd_budget();
  if (o_.max_buffer_bytes == 0) {
    o_.max_buffer_bytes = system_max_buffer();  // what plain SO_RCVBUF/SO_SNDBUF allow anyway
  }
  // The kernel's full backlog (capped by net.core.somaxconn) and deferred
  // accept: a connection enters the accept queue only once its first bytes
  // (the hello) came, so peers that open connections and stay silent never
  // fill the queue; a full queue drops real clients' SYNs, costing each a
  // 1 s+ retransmit (README, "Hardening").
  listener_ = sys::listen_tcp(resolve(o_.bind, o_.port, o_.family, true), false, SOMAXCONN);
  sys::set_nonblocking(listener_.get(), true);
  const int defer_s = std::max(1, (o_.handshake_timeout_ms + 999) / 1000);
  (void)::setsockopt(listener_.get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_s, sizeof defer_s);
  serve_log(o_, "listening on " + sys::local_endpoint(listener_.get()).to_string() + " (" +
                    (o_.max_concurrent <= 1
                         ? std::string("one test at a time")
                         : "up to " + std::to_string(o_.max_concurrent) + " tests at once") +
                    ", up to " + std::to_string(o_.max_clients) + " control connections" +
                    ", buffers up to " + bytes_text(o_.max_buffer_bytes) +
                    (o_.auth_token.empty() ? ")" : ", auth token required)"));
  std::vector<pollfd> fds;
  const std::uint64_t deadline = o_.time_limit_ns == 0 ? UINT64_MAX : now_ns() + o_.time_limit_ns;
  while (!stop_.stop_requested()) {
    reap_tests();
    if (o_.max_tests != 0 && tests_done_ >= o_.max_tests && !test_running()) {
      break;
    }
    std::uint64_t now = now_ns();
    if (now >= deadline) {
      serve_log(o_, "--time-limit reached: stopping" +
                        std::string(test_running() ? " (the running test ends incomplete)" : ""));
      break;
    }
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
    next = std::min({next, log_limiter_.next_due_ns(), deadline});
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
        log_from(c.source, "hang-ups while waiting",
                 "client " + c.peer + ": hung up while waiting for its test to start");
        c.fd.reset();
      } else {
        on_readable(c, now);
      }
    }
    expire(now);
    for (const std::string& line : log_limiter_.flush(now)) {
      serve_log(o_, line);
    }
    clients_.remove_if([](const Client& c) { return !c.fd; });
    if (fds[1].revents != 0) {
      accept_new(now);
    }
  }
  for (Worker& w : workers_) {
    w.thread.request_stop();
  }
  workers_.clear();  // joins every test thread
  if (json_log_ && json_log_->failed_writes() > 0) {
    serve_log(o_, "--json-log: " + std::to_string(json_log_->failed_writes()) +
                      " lines could not be written");
  }
  return kExitOk;
}

}  // namespace control_loop

int run_serve(const ServeOptions& options, std::stop_token stop) {
  control_loop::ControlLoop loop(options, std::move(stop));
  return loop.run();
}

}  // namespace netbench::app
