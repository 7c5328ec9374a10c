#include "app/repeat/repeat_args.hpp"

#include <charconv>
#include <random>
#include <string>

#include "app/cli/exit_codes.hpp"

namespace netbench::app {
namespace {

constexpr std::size_t kMaxRepeat = 1000;

std::optional<std::uint64_t> parse_u64(const std::string& text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

std::optional<double> parse_fraction(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  const bool percent = text.back() == '%';
  const std::string number = percent ? text.substr(0, text.size() - 1) : text;
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(number, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != number.size()) {
    return std::nullopt;
  }
  return percent ? v / 100 : v;
}

std::optional<RepeatOptions> repeat_options(const RunArgs& a) {
  if (a.repeat.empty()) {
    if (a.ci_width != "5%" || !a.seed.empty() || a.cooldown != "0s") {
      throw UsageError("--ci-width, --seed and --cooldown apply to repeated runs: give --repeat");
    }
    return std::nullopt;
  }
  RepeatOptions o;
  const auto width = parse_fraction(a.ci_width);
  if (!width || !(*width > 0 && *width < 1)) {
    throw UsageError("--ci-width '" + a.ci_width + "' must be above 0 and below 100%, e.g. 5%");
  }
  if (a.repeat == "auto") {
    o.policy = auto_repeat(*width);
  } else {
    const auto n = parse_u64(a.repeat);
    if (!n || *n < 2 || *n > kMaxRepeat) {
      throw UsageError("--repeat '" + a.repeat + "' must be 'auto' or a count from 2 to " +
                       std::to_string(kMaxRepeat));
    }
    if (a.ci_width != "5%") {
      throw UsageError("--ci-width applies to --repeat auto, not to a fixed count");
    }
    o.policy = fixed_repeat(static_cast<std::size_t>(*n));
  }
  if (a.seed.empty()) {
    std::random_device rd;
    o.seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  } else {
    const auto s = parse_u64(a.seed);
    if (!s) {
      throw UsageError("--seed '" + a.seed + "' must be an unsigned integer");
    }
    o.seed = *s;
  }
  o.cooldown_ns = duration_of("--cooldown", a.cooldown, true);
  return o;
}

}  // namespace netbench::app
