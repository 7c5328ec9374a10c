#pragma once

#include <cstdint>
#include <optional>

#include "app/cli/run_args.hpp"
#include "netbench/repeat_rule.hpp"

namespace netbench::app {

/// --repeat, --ci-width, --seed and --cooldown, checked.
struct RepeatOptions {
  RepeatPolicy policy;
  std::uint64_t seed = 0;
  std::uint64_t cooldown_ns = 0;
};

/// nullopt when --repeat was not given (then --ci-width, --seed and
/// --cooldown are refused if given with other than their defaults). Throws
/// UsageError naming the flag for a bad value: --repeat 0 or 1, above 1000,
/// not a number nor 'auto'; --ci-width outside (0, 100%); --ci-width without
/// --repeat auto.
[[nodiscard]] std::optional<RepeatOptions> repeat_options(const RunArgs& a);

/// "5%" → 0.05, "0.05" → 0.05; nullopt if not a number.
[[nodiscard]] std::optional<double> parse_fraction(const std::string& text);

}  // namespace netbench::app
