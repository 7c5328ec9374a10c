#include "app/serve/serve_admission.hpp"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <fstream>
#include <string>

#include "app/control/control_channel.hpp"
#include "sys/socket_ops.hpp"

namespace netbench::app {

Refusal check_hello(const nlohmann::json& m, const ServeOptions& o) {
  Hello hello;
  std::string err;
  if (!decode(m, hello, err) && (m.contains("token") || m.contains("server"))) {
    // A token that is not a string counts as no token: an authentication
    // failure when the server wants one, ignored when it does not (and a
    // client has no business sending "server").
    nlohmann::json without = m;
    without.erase("token");
    without.erase("server");
    (void)decode(without, hello, err);
  }
  if (!err.empty() || hello.version != kControlVersion) {
    const std::string text =
        "expected hello with control protocol version " + std::to_string(kControlVersion);
    return {text, text};
  }
  if (!o.auth_token.empty()) {
    const bool given = hello.token.has_value();
    if (!given || !token_matches(o.auth_token, *hello.token)) {
      return {"authentication failed",
              given ? "refused: wrong auth token" : "refused: no auth token"};
    }
  }
  return {};
}

namespace {

/// Whether `algorithm` is one of the kernel's loaded congestion control
/// algorithms (tcp_available_congestion_control), matched word by word.
bool congestion_loaded(const std::string& algorithm) {
  const std::string words =
      sys::read_proc_words("/proc/sys/net/ipv4/tcp_available_congestion_control");
  std::size_t at = 0;
  while (at < words.size()) {
    const std::size_t end = std::min(words.find(' ', at), words.size());
    if (words.compare(at, end - at, algorithm) == 0 && end - at == algorithm.size()) {
      return true;
    }
    at = end + 1;
  }
  return false;
}

}  // namespace

Refusal check_test(const nlohmann::json& m, const ServeOptions& o, TestSpec& spec) {
  Test test;
  Refusal r = check_test(m, o, test);
  spec = test.spec;
  return r;
}

Refusal check_test(const nlohmann::json& m, const ServeOptions& o, Test& test) {
  std::string err;
  if (!has_type(m, "test") || !m.contains("config")) {
    return {"expected a test message", "sent no test message"};
  }
  if (!decode(m, test, err)) {
    return {"bad test: " + err, "bad test: " + err};
  }
  const TestSpec& spec = test.spec;
  std::string limit;
  const double bitrate = spec.rate_msgs_per_s * spec.message_bytes() * 8.0;
  if (spec.flows > o.max_flows) {
    limit = "this server allows at most " + std::to_string(o.max_flows) + " flows";
  } else if (spec.count == 0 && (spec.warmup_ns > o.max_duration_ns ||
                                 spec.duration_ns > o.max_duration_ns - spec.warmup_ns)) {
    // Compared without adding: warm-up + duration near 2^64 would wrap.
    limit = "this server allows tests of at most " +
            std::to_string(o.max_duration_ns / 1'000'000'000) + " s";
  } else if (o.max_buffer_bytes > 0 && spec.socket_buffer_bytes > o.max_buffer_bytes) {
    limit = "--buffer " + bytes_text(spec.socket_buffer_bytes) +
            " is above this server's --max-buffer " + bytes_text(o.max_buffer_bytes);
  } else if ((o.max_rate_msgs_per_s > 0 || o.max_bitrate_bps > 0) && spec.rate_msgs_per_s <= 0) {
    // Refused, not capped: a capped test is not the test the client asked for.
    limit = "this server limits the rate: give --rate or --bitrate";
  } else if (o.max_rate_msgs_per_s > 0 && spec.rate_msgs_per_s > o.max_rate_msgs_per_s) {
    limit = "this server allows at most " +
            std::to_string(static_cast<std::uint64_t>(o.max_rate_msgs_per_s)) + " messages/s";
  } else if (o.max_bitrate_bps > 0 && bitrate > o.max_bitrate_bps) {
    limit = "this server allows at most " +
            std::to_string(static_cast<std::uint64_t>(o.max_bitrate_bps)) + " bit/s";
  } else if (!spec.congestion.empty() && !congestion_loaded(spec.congestion)) {
    // Setting an algorithm the kernel has not loaded makes a privileged
    // process load its module: a stranger may not choose kernel modules.
    limit = "--congestion " + spec.congestion + " is not loaded on this server (available: " +
            sys::read_proc_words("/proc/sys/net/ipv4/tcp_available_congestion_control") +
            "); a client may pick only an algorithm the server has loaded";
  }
  if (!limit.empty()) {
    return {limit, "test refused: " + limit};
  }
  try {
    check_cpus_available(spec.receiver_cpus, "--cpu (receiver, on the server)");
  } catch (const std::exception& e) {
    return {e.what(), std::string("test refused: ") + e.what()};
  }
  return {};
}

std::string check_auth_token_setting(bool given, std::string_view token) {
  if (given && token.empty()) {
    return "the auth token (--auth-token or NETBENCH_AUTH_TOKEN) is empty, which would turn "
           "authentication off; give a non-empty token, or unset it to serve without one";
  }
  return {};
}

std::uint64_t system_max_buffer(std::uint64_t fallback) {
  const auto read = [](const char* path) -> std::uint64_t {
    std::ifstream in(path);
    std::uint64_t v = 0;
    return in >> v ? v : 0;
  };
  const std::uint64_t r = read("/proc/sys/net/core/rmem_max");
  const std::uint64_t w = read("/proc/sys/net/core/wmem_max");
  return r == 0 || w == 0 ? fallback : std::min(r, w);
}

std::string bytes_text(std::uint64_t bytes) {
  constexpr std::uint64_t kKiB = 1024;
  const char* units[] = {"GiB", "MiB", "KiB"};
  const std::uint64_t sizes[] = {kKiB * kKiB * kKiB, kKiB * kKiB, kKiB};
  for (std::size_t i = 0; i < 3; ++i) {
    if (bytes >= sizes[i] && bytes % sizes[i] == 0) {
      return std::to_string(bytes / sizes[i]) + units[i];
    }
  }
  return std::to_string(bytes) + " bytes";
}

std::uint64_t test_fds(std::uint32_t flows, std::uint32_t threads) noexcept {
  return std::uint64_t{flows} + 4 * std::uint64_t{threads} + 16;
}

std::vector<std::string> fit_fd_budget_to(std::uint64_t fd_limit, ServeOptions& o) {
  std::vector<std::string> lines;
  if (fd_limit == 0) {
    return lines;  // unknown: no budget to keep
  }
  const std::uint64_t budget = fd_limit > kFdReserve + 2 ? fd_limit - kFdReserve : 2;
  if (o.max_clients + test_fds(o.max_flows, 1) <= budget) {
    return lines;
  }
  const std::uint64_t clients =
      std::clamp<std::uint64_t>(budget / 4, 1, std::max<std::uint32_t>(o.max_clients, 1));
  const std::uint64_t overhead = test_fds(0, 1);
  const std::uint64_t flows = budget > clients + overhead ? budget - clients - overhead : 1;
  if (flows < o.max_flows) {
    o.max_flows = static_cast<std::uint32_t>(flows);
    lines.push_back("descriptor limit " + std::to_string(fd_limit) + ": --max-flows lowered to " +
                    std::to_string(flows));
  }
  if (o.max_clients + test_fds(o.max_flows, 1) > budget) {
    o.max_clients = static_cast<std::uint32_t>(clients);
    lines.push_back("descriptor limit " + std::to_string(fd_limit) + ": --max-clients lowered to " +
                    std::to_string(clients));
  }
  return lines;
}

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

}  // namespace netbench::app
