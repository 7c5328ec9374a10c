#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/control/messages.hpp"
#include "app/serve/serve.hpp"
#include "netbench/test_spec.hpp"

namespace netbench::app {

/// Why `netbench serve` turns a client away: the error message it sends
/// (`reply`) and its log line (`log`, which may say more, e.g. whether a
/// token was missing or wrong). Empty `reply`: admitted.
struct Refusal {
  std::string reply;
  std::string log;
  [[nodiscard]] bool refused() const noexcept { return !reply.empty(); }
};

/// Checks a client's first message: a hello of our control protocol
/// version, with the right auth token when the server has one. Pure.
[[nodiscard]] Refusal check_hello(const nlohmann::json& hello, const ServeOptions& options);

/// Checks a client's test message: a "test" whose config decodes to a valid
/// spec (into `spec`) within the server's limits — flows, duration (warm-up
/// plus duration, saturating), socket buffer (--max-buffer), rate and bit rate (a test without a
/// rate is refused when a rate limit is set). Pure.
[[nodiscard]] Refusal check_test(const nlohmann::json& test, const ServeOptions& options,
                                 Test& decoded);
/// check_test() for callers that need only the spec.
[[nodiscard]] Refusal check_test(const nlohmann::json& test, const ServeOptions& options,
                                 TestSpec& spec);

/// The setting of --auth-token / NETBENCH_AUTH_TOKEN: `given` when either
/// was set at all. An empty token would silently turn authentication off,
/// so it is refused: returns the error line, or empty when fine. Pure.
[[nodiscard]] std::string check_auth_token_setting(bool given, std::string_view token);

/// The default --max-buffer: min(net.core.rmem_max, net.core.wmem_max) from
/// /proc/sys (bytes); `fallback` if either cannot be read.
[[nodiscard]] std::uint64_t system_max_buffer(std::uint64_t fallback = 212'992);

/// A byte count as people write it: "208KiB", "1GiB", "1000 bytes". Pure.
[[nodiscard]] std::string bytes_text(std::uint64_t bytes);

/// Descriptors kept aside for everything but clients and tests: standard
/// streams, the listener, eventfds, /proc reads.
inline constexpr std::uint64_t kFdReserve = 32;

/// Descriptors a test of `flows` flows and `threads` loops may hold on the
/// server: one per flow, per-loop listeners and epoll/eventfds, a margin.
[[nodiscard]] std::uint64_t test_fds(std::uint32_t flows, std::uint32_t threads) noexcept;

/// Fits `options.max_clients` and `options.max_flows` into a descriptor
/// limit of `fd_limit` (0 = unknown: unchanged): when the clients plus one
/// test of max_flows do not fit beside kFdReserve, clients get at most a
/// quarter of what is left and the test the rest. Returns one log line per
/// limit lowered. Pure.
std::vector<std::string> fit_fd_budget_to(std::uint64_t fd_limit, ServeOptions& options);

/// True when `given` equals `expected`, compared in time that depends on the
/// lengths alone: every byte of `given` is compared, with no early exit at
/// the first difference, so a client cannot find the token byte by byte.
/// Pure; thread-safe.
[[nodiscard]] bool token_matches(std::string_view expected, std::string_view given) noexcept;

}  // namespace netbench::app
