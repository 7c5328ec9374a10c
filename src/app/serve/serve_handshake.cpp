// The handshake half of `netbench serve`'s control loop: admitting
// connections (and choosing whom to evict when the table is full), reading
// and answering hellos and tests, refusing, expiring. See control_loop.hpp.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <optional>
#include <vector>

#include "app/control/clock_match.hpp"
#include "app/control/control_channel.hpp"
#include "app/control/messages.hpp"
#include "app/serve/admission_policy.hpp"
#include "app/serve/control_loop.hpp"
#include "app/serve/serve_admission.hpp"
#include "netbench/clock.hpp"
#include "netbench/version.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::app::control_loop {

bool send_now(int fd, const nlohmann::json& message) {
  const std::string frame = encode_control(message, kMaxControlBytes);
  return !frame.empty() && ::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL | MSG_DONTWAIT) ==
                               static_cast<ssize_t>(frame.size());
}

void ControlLoop::log_from(const std::string& source, const std::string& what,
                           const std::string& line) {
  if (log_limiter_.allow(what + " from " + source, now_ns())) {
    serve_log(o_, line);
  }
}

/// The table is full: make room for a newcomer by dropping a client that is
/// closing anyway, else a handshake chosen by pick_eviction() (from the
/// source holding the most places). False if the newcomer is to be refused.
bool ControlLoop::make_room(const std::string& newcomer, const std::string& source) {
  for (auto it = clients_.begin(); it != clients_.end(); ++it) {
    if (it->stage == Stage::kClosing) {
      clients_.erase(it);
      return true;
    }
  }
  std::vector<AdmissionSlot> table;
  table.reserve(clients_.size());
  for (const Client& c : clients_) {
    table.push_back(
        {c.source, c.stage == Stage::kHello || c.stage == Stage::kTest, c.stage == Stage::kTest});
  }
  const std::optional<std::size_t> victim = pick_eviction(table, source);
  if (!victim) {
    return false;
  }
  auto it = std::next(clients_.begin(), static_cast<std::ptrdiff_t>(*victim));
  log_from(it->source, "dropped handshakes",
           "client " + it->peer + ": dropped unfinished handshake to make room for " + newcomer +
               " (--max-clients " + std::to_string(o_.max_clients) + ")");
  send_now(it->fd.get(), encode(Error{"too many connections; handshake not finished in time"}));
  clients_.erase(it);
  return true;
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
    std::string source = source_key(from);
    if (clients_.size() >= o_.max_clients && !make_room(peer, source)) {
      log_from(source, "refused",
               "client " + peer + ": refused, " + std::to_string(o_.max_clients) +
                   " control connections open (--max-clients)");
      send_now(fd.get(), encode(Error{"busy: too many connections; try again later"}));
      continue;  // closed here
    }
    Client& c = clients_.emplace_back();
    c.fd = std::move(fd);
    c.peer = peer;
    c.source = std::move(source);
    c.deadline_ns = now + ms_to_ns(static_cast<std::uint64_t>(o_.handshake_timeout_ms));
  }
}

void ControlLoop::refuse(Client& c, const std::string& reply, const std::string& why,
                         std::uint64_t now) {
  log_from(c.source, "handshakes refused", "client " + c.peer + ": " + why);
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
        log_from(c.source, "early closes",
                 "client " + c.peer + ": closed the connection before its test" +
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
    log_from(c.source, "hello replies not taken",
             "client " + c.peer + ": could not take the hello reply");
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
  c.test.pairs = &pairs_;
  if (test.pair) {
    // The reverse half of a --bidir test: only beside its forward half,
    // from the same host, once.
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    if (test.spec.direction != Direction::kReverse ||
        ::getpeername(c.fd.get(), reinterpret_cast<sockaddr*>(&from), &len) != 0 ||  // NOLINT
        !pairs_.claim(*test.pair, from)) {
      refuse(c, "no --bidir test of this client runs to pair with",
             "refused: a paired test without its --bidir test", now);
      return;
    }
    c.test.companion = true;
  }
  c.test.fanout_ports = test.fanout_ports;
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

}  // namespace netbench::app::control_loop
