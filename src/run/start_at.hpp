#pragma once

#include <cstdint>
#include <stop_token>

namespace netbench::run {

/// How long before `--start-at` a client begins its setup (control
/// connection, handshake, data sockets, UDP registration), so that the
/// sender is ready at the time itself: ns.
inline constexpr std::uint64_t kStartSetupLeadNs = 2'000'000'000;

/// Sleeps until the wall clock (CLOCK_REALTIME) reaches `unix_ns`, in steps
/// of at most 50 ms so that a stop request (or a step of the clock) is
/// seen within one. Returns at once when the time has passed. Returns false
/// when stopped before the time. Any thread.
bool wait_until_wall(std::uint64_t unix_ns, std::stop_token stop);

}  // namespace netbench::run
