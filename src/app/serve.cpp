#include "app/serve.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <thread>

#include "app/control_channel.hpp"
#include "app/exit_codes.hpp"
#include "app/json_report.hpp"
#include "app/result_codec.hpp"
#include "app/spec_codec.hpp"
#include "net/socket_ops.hpp"
#include "netbench/clock.hpp"
#include "netbench/error.hpp"
#include "netbench/receiver.hpp"
#include "netbench/version.hpp"

namespace netbench::app {
namespace {

/// How long UDP flows have to register after "ready", ms.
constexpr int kRegisterTimeoutMs = 5'000;
/// A client clock reading within this of ours means one machine, one clock.
constexpr std::uint64_t kSameClockNs = 100'000'000;
/// The receiver's drain: this long without progress ends it.
constexpr std::uint64_t kDrainIdleNs = 300'000'000;

std::string hex(const RegistrationToken& t) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const std::byte b : t) {
    out += kDigits[std::to_integer<unsigned>(b) >> 4];
    out += kDigits[std::to_integer<unsigned>(b) & 15];
  }
  return out;
}

void log(const ServeOptions& o, const std::string& line) {
  if (!o.quiet) {
    std::fprintf(stderr, "netbench serve: %s\n", line.c_str());
  }
}

/// True if the client's clock reading `j["clock_ns"]` agrees with ours.
bool same_clock(const nlohmann::json& j, std::uint64_t received_ns) {
  if (!j.contains("clock_ns") || !j["clock_ns"].is_number_unsigned()) {
    return false;
  }
  const auto theirs = j["clock_ns"].get<std::uint64_t>();
  return theirs <= received_ns && received_ns - theirs < kSameClockNs;
}

/// One client's session: hello, test, result. Every wait is bounded; any
/// bad input gets an error message and ends the session, never the server.
void session(ControlChannel& ch, const ServeOptions& o, std::stop_token stop) {
  std::string err;
  const auto hello = ch.receive(o.idle_timeout_ms, err);
  if (!hello) {
    log(o, "client dropped before hello: " + err);
    return;
  }
  if ((*hello)["type"] != "hello" || !hello->contains("version") ||
      !(*hello)["version"].is_number_integer() || (*hello)["version"] != kControlVersion) {
    send_error(ch,
               "expected hello with control protocol version " + std::to_string(kControlVersion));
    return;
  }
  if (!o.auth_token.empty()) {
    const auto it = hello->find("token");
    const bool given = it != hello->end() && it->is_string();
    if (!given || !token_matches(o.auth_token, it->get_ref<const std::string&>())) {
      log(o, given ? "client refused: wrong auth token" : "client refused: no auth token");
      send_error(ch, "authentication failed");
      return;
    }
  }
  if (!ch.send({{"type", "hello"},
                {"version", kControlVersion},
                {"server", std::string("netbench ") + kVersion}},
               o.idle_timeout_ms, err)) {
    return;
  }
  const auto test = ch.receive(o.idle_timeout_ms, err);
  const std::uint64_t received_ns = now_ns();
  if (!test) {
    log(o, "client dropped before its test: " + err);
    return;
  }
  TestSpec spec;
  if ((*test)["type"] != "test" || !test->contains("config") ||
      !spec_from_json((*test)["config"], spec, err)) {
    send_error(ch, (*test)["type"] != "test" ? std::string("expected a test message")
                                             : "bad test: " + err);
    return;
  }
  if (spec.flows > o.max_flows) {
    send_error(ch, "this server allows at most " + std::to_string(o.max_flows) + " flows");
    return;
  }
  if (spec.count == 0 && spec.warmup_ns + spec.duration_ns > o.max_duration_ns) {
    send_error(ch, "this server allows tests of at most " +
                       std::to_string(o.max_duration_ns / 1'000'000'000) + " s");
    return;
  }
  try {
    check_cpus_available(spec.receiver_cpus, "--cpu (receiver, on the server)");
  } catch (const std::exception& e) {
    send_error(ch, e.what());
    return;
  }
  const bool shared = same_clock(*test, received_ns);
  // Data sockets on the address the client reached us at, any free ports.
  spec.bind_address = net::local_endpoint(ch.fd()).to_string();
  spec.bind_address = spec.bind_address.substr(0, spec.bind_address.rfind(':'));
  spec.port = 0;
  std::optional<Receiver> rx;
  try {
    rx.emplace(spec, shared);
  } catch (const std::exception& e) {
    send_error(ch, std::string("cannot set up: ") + e.what());
    return;
  }
  nlohmann::json ready = {{"type", "ready"},
                          {"ports", rx->ports()},
                          {"clock", shared ? "shared CLOCK_MONOTONIC (same host)"
                                           : "separate clocks: one-way delay variation only"}};
  const bool udp = spec.proto == Proto::kUdp;
  const RegistrationToken token = random_token();
  if (udp) {
    ready["token"] = hex(token);
  } else {
    rx->start();
  }
  if (!ch.send(ready, o.idle_timeout_ms, err)) {
    return;
  }
  if (udp) {
    const std::uint32_t n = rx->register_udp_by_token(token, kRegisterTimeoutMs);
    if (n < spec.flows) {
      send_error(ch, "only " + std::to_string(n) + " of " + std::to_string(spec.flows) +
                         " UDP flows registered within " + std::to_string(kRegisterTimeoutMs) +
                         " ms");
      return;
    }
    rx->start();
    if (!ch.send({{"type", "registered"}}, o.idle_timeout_ms, err)) {
      return;
    }
  }
  log(o, "test: " + std::string(to_string(spec.proto)) + " " + std::string(to_string(spec.mode)) +
             ", model " + std::string(to_string(spec.model)) + ", " + std::to_string(spec.flows) +
             " flows");
  // The test runs now; the client says "done" with its counts.
  const std::uint64_t run_ms = spec.count == 0 ? (spec.warmup_ns + spec.duration_ns) / 1'000'000
                                               : o.max_duration_ns / 1'000'000;
  // Until "done", answer the client's interval polls with live figures.
  const std::uint64_t until = now_ns() + (run_ms + static_cast<std::uint64_t>(o.idle_timeout_ms)) *
                                             std::uint64_t{1'000'000};
  std::optional<nlohmann::json> done;
  for (;;) {
    const std::uint64_t now = now_ns();
    const std::uint64_t left_ms = until > now ? (until - now) / 1'000'000 : 0;
    // Wait in slices so that a stop (SIGINT/SIGTERM of the server) ends the
    // session promptly; a message is only read once it has started to arrive.
    if (left_ms > 0 && !ch.wait_readable(static_cast<int>(std::min<std::uint64_t>(left_ms, 250)))) {
      if (stop.stop_requested()) {
        err = "the server is stopping";
        break;
      }
      continue;
    }
    // Once a message has started, the idle timeout bounds the rest of it
    // (a peer that sends one byte and stalls is not waited for the whole test).
    done = ch.receive(
        static_cast<int>(std::min<std::uint64_t>(std::max<std::uint64_t>(left_ms, 1),
                                                 static_cast<std::uint64_t>(o.idle_timeout_ms))),
        err);
    if (!done || (*done)["type"] != "poll") {
      break;
    }
    const ReceiverLive live = rx->live();
    const nlohmann::json reply = {{"type", "live"},
                                  {"messages", live.messages},
                                  {"bytes", live.bytes},
                                  {"reordered", live.reordered},
                                  {"duplicates", live.duplicates},
                                  {"flows", live.flows},
                                  {"finished_flows", live.finished_flows},
                                  {"latency", base64(rx->take_interval_latency().serialize())}};
    if (!ch.send(reply, o.idle_timeout_ms, err)) {
      done.reset();
      break;
    }
  }
  std::vector<std::uint64_t> sent(spec.flows, 0);
  bool complete = true;
  std::string run_error;
  if (!done || (*done)["type"] != "done" || !done->contains("sent_by_flow") ||
      !(*done)["sent_by_flow"].is_array() || (*done)["sent_by_flow"].size() != spec.flows) {
    complete = false;
    run_error = done ? "bad done message" : "client gone mid-test: " + err;
  } else {
    for (std::size_t i = 0; i < spec.flows; ++i) {
      const auto& v = (*done)["sent_by_flow"][i];
      if (!v.is_number_unsigned()) {
        complete = false;
        run_error = "bad done message: sent_by_flow[" + std::to_string(i) + "]";
        break;
      }
      sent[i] = v.get<std::uint64_t>();
    }
  }
  std::uint64_t total = 0;
  for (const std::uint64_t n : sent) {
    total += n;
  }
  if (complete && spec.mode == Mode::kStream) {
    rx->wait_drained(total, kDrainIdleNs, stop);
  }
  rx->stop();
  RunResult part;
  part.spec = spec;
  rx->collect(part, sent);
  if (!complete) {
    log(o, "test incomplete: " + run_error);
    send_error(ch, run_error);
    return;
  }
  nlohmann::json result = {
      {"type", "result"}, {"receiver", receiver_part_to_json(part)}, {"error", rx->error()}};
  if (!ch.send(result, o.idle_timeout_ms, err)) {
    log(o, "could not return the result: " + err);
    return;
  }
  log(o, "test done");
}

}  // namespace

bool token_matches(std::string_view expected, std::string_view given) noexcept {
  // Constant-time compare: differences are OR-ed over all of `given` and the
  // loop never stops early, so its time tells the length of
  // `given` (the client's own) and nothing about where a byte differs.
  // `volatile` keeps the compiler from turning it back into an early exit.
  volatile unsigned diff = expected.size() == given.size() ? 0U : 1U;
  const std::size_t n = expected.size();
  for (std::size_t i = 0; i < given.size(); ++i) {
    // Past the end of `expected` compare against its last byte (the lengths
    // already differ, so this only keeps the work the same, in bounds).
    const unsigned want = n == 0 ? 0U : static_cast<unsigned char>(expected[i < n ? i : n - 1]);
    diff = diff | (static_cast<unsigned char>(given[i]) ^ want);
  }
  return diff == 0U;
}

int run_serve(const ServeOptions& o, std::stop_token stop) {
  Endpoint ep = resolve(o.bind, o.port, o.family, true);
  const Fd listener = net::listen_tcp(ep, false, 64);
  net::set_nonblocking(listener.get(), true);
  log(o, "listening on " + net::local_endpoint(listener.get()).to_string() +
             " (one test at a time" + (o.auth_token.empty() ? ")" : ", auth token required)"));
  std::atomic<bool> busy{false};
  std::jthread worker;
  std::uint64_t served = 0;
  while (!stop.stop_requested()) {
    if (o.max_tests != 0 && served >= o.max_tests && !busy.load()) {
      break;
    }
    pollfd p{listener.get(), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) {
      continue;
    }
    Fd fd(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) {
      continue;  // EAGAIN, ECONNABORTED, EMFILE: try again on the next round
    }
    // A client that follows the previous one closely (a sweep, a retry) may
    // arrive while that session is still winding down: give it a moment.
    for (int i = 0; i < 50 && busy.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (busy.load()) {
      ControlChannel ch(std::move(fd));
      send_error(ch, "busy: another test is running; try again later");
      continue;
    }
    if (worker.joinable()) {
      worker.join();
    }
    busy.store(true);
    ++served;
    worker = std::jthread([&o, &busy, fd = std::move(fd)](std::stop_token st) mutable {
      ControlChannel ch(std::move(fd));
      try {
        session(ch, o, st);
      } catch (const std::exception& e) {
        log(o, std::string("session failed: ") + e.what());
        send_error(ch, e.what());
      }
      busy.store(false);
    });
  }
  if (worker.joinable()) {
    worker.request_stop();
    worker.join();
  }
  return kExitOk;
}

}  // namespace netbench::app
