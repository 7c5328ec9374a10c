#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netbench/results.hpp"

namespace netbench {

/// The sender achieved less than this share of its target rate: warned.
inline constexpr double kAchievedRateFloor = 0.99;
/// Lateness below this is never "behind by an interval" (one sleeping
/// wake-up on a loaded host), ns.
inline constexpr std::uint64_t kLatenessFloorNs = 1'000'000;

/// What a paced run could not honour, one sentence each: an achieved rate
/// under kAchievedRateFloor of the target, or a send later than one
/// per-flow interval (flows / rate, at least kLatenessFloorNs) behind its
/// schedule. Empty for unpaced runs. Pure.
[[nodiscard]] std::vector<std::string> pacing_warnings(const RunResult& r);

/// A `--start-at` run that started later than this is warned about, ns.
inline constexpr std::uint64_t kLateStartNs = 1'000'000'000;

/// A `--start-at` run whose sender started more than kLateStartNs after the
/// time asked for: one sentence naming the delay. Empty otherwise. Pure.
[[nodiscard]] std::vector<std::string> start_warnings(const RunResult& r);

}  // namespace netbench
