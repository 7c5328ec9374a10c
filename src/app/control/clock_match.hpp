#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace netbench::app {

/// What a remote run's two sides know when the server decides whether they
/// share one CLOCK_MONOTONIC (one-way delay) or not (delay variation only).
struct ClockEvidence {
  std::string client_boot_id;  ///< the client's kernel boot id, "" if unknown
  std::string server_boot_id;  ///< ours, "" if unknown
  /// The client's CLOCK_MONOTONIC when it sent its "test", ns.
  std::optional<std::uint64_t> client_sent_ns;
  /// Ours when we decoded that "test" (read then, not before the read loop), ns.
  std::uint64_t server_received_ns = 0;
  /// The client's measured hello round trip, ns.
  std::uint64_t rtt_ns = 0;
};

/// Slack beyond the round trip for a "test" to be read by a busy server, ns.
inline constexpr std::uint64_t kClockSlackNs = 1'000'000'000;

/// The clock string of a result ("latency.clock") for each decision.
inline constexpr const char* kSharedClock = "shared CLOCK_MONOTONIC (same host)";

/// Why the decision fell as it did: one of kSharedClock or "separate clocks
/// (REASON): one-way delay variation only". Shared needs one kernel (equal,
/// known boot ids) and readings that agree: the client's send time at or
/// before our receive time, by no more than its round trip plus
/// kClockSlackNs (a time namespace can offset CLOCK_MONOTONIC on one
/// kernel). Deterministic: the same evidence gives the same answer. Pure.
[[nodiscard]] std::string decide_clock(const ClockEvidence& e);

/// True if `clock` (from decide_clock) is the shared clock.
[[nodiscard]] bool is_shared_clock(const std::string& clock);

/// This kernel's boot id (/proc/sys/kernel/random/boot_id), "" if unreadable.
[[nodiscard]] std::string read_boot_id();

}  // namespace netbench::app
