#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "netbench/repeat_rule.hpp"
#include "netbench/results.hpp"

namespace netbench::app {

/// Every repetition of one run (`--repeat`) or of one sweep point, as the
/// runner made them. Plain data; repeated_json() and
/// print_repeated_summary() format it.
struct RepeatedRun {
  std::vector<RunResult> repetitions;  ///< in the order they ran
  /// For each repetition, its 0-based position among all the runs of the
  /// command (a sweep's interleaved order; 0, 1, 2... for a single run).
  std::vector<std::size_t> sequence;
  RepeatPolicy policy;
  std::uint64_t seed = 0;  ///< --seed (given or drawn), recorded for reruns
  RepeatStatus status;     ///< of the primary figure after the last repetition
  std::string error;       ///< why repeating stopped early; empty when it did not
};

/// CV above which a figure's repetitions earn a warning.
inline constexpr double kCvWarning = 0.10;

}  // namespace netbench::app
