#include "app/cli/units.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace netbench::app {
namespace {

/// Splits "1.5MiB" into 1.5 and "MiB"; nullopt if no leading number.
std::optional<std::pair<double, std::string_view>> split_number(std::string_view text) {
  if (text.empty() || text.size() > 64) {
    return std::nullopt;
  }
  const std::string copy(text);
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end == copy.c_str() || !std::isfinite(value) || value < 0 || copy[0] == '-' ||
      copy[0] == '+' || copy[0] == ' ') {
    return std::nullopt;
  }
  return std::pair{value, text.substr(static_cast<std::size_t>(end - copy.c_str()))};
}

std::optional<std::uint64_t> to_u64(double v) {
  if (!(v >= 0) || v >= 18446744073709551615.0) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(std::llround(v));
}

/// Decimals that show `shown` with three significant digits (at least).
int decimals_of(double shown) {
  shown = std::fabs(shown);
  return shown < 10 ? 2 : shown < 100 ? 1 : 0;
}

/// `value` in the largest unit that keeps it at least 1, with three
/// significant digits; a value that rounds up to `step` moves to the next
/// unit ("1.00 s", never "1000.00 ms"). `whole_first`: the first unit has
/// no fractions (nanoseconds, bytes).
template <std::size_t N>
std::string scaled(double value, const std::array<const char*, N>& units, double step,
                   const char* suffix, bool whole_first = false) {
  std::size_t i = 0;
  int decimals = 0;
  for (;;) {
    decimals = i == 0 && whole_first ? 0 : decimals_of(value);
    const double scale = std::pow(10.0, decimals);
    const double shown = std::round(value * scale) / scale;
    if (i + 1 < units.size() && std::fabs(shown) >= step) {
      value /= step;
      ++i;
      continue;
    }
    decimals = i == 0 && whole_first ? 0 : decimals_of(shown);
    break;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f %s%s", decimals, value, units[i], suffix);
  return buf;
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  const auto parts = split_number(text);
  if (!parts) {
    return std::nullopt;
  }
  static constexpr std::array<std::pair<std::string_view, double>, 10> kUnits{
      {{"", 1.0},
       {"B", 1.0},
       {"k", 1e3},
       {"K", 1e3},
       {"M", 1e6},
       {"G", 1e9},
       {"KiB", 1024.0},
       {"MiB", 1048576.0},
       {"GiB", 1073741824.0},
       {"kB", 1e3}}};
  for (const auto& [unit, factor] : kUnits) {
    if (parts->second == unit) {
      const double v = parts->first * factor;
      if (v != std::floor(v)) {
        return std::nullopt;  // a size is a whole number of bytes
      }
      return to_u64(v);
    }
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_duration_ns(std::string_view text) {
  const auto parts = split_number(text);
  if (!parts) {
    return std::nullopt;
  }
  static constexpr std::array<std::pair<std::string_view, double>, 7> kUnits{
      {{"", 1e9}, {"s", 1e9}, {"ms", 1e6}, {"us", 1e3}, {"ns", 1.0}, {"m", 60e9}, {"h", 3600e9}}};
  for (const auto& [unit, factor] : kUnits) {
    if (parts->second == unit) {
      return to_u64(parts->first * factor);
    }
  }
  return std::nullopt;
}

std::optional<double> parse_rate(std::string_view text) {
  const auto parts = split_number(text);
  if (!parts) {
    return std::nullopt;
  }
  static constexpr std::array<std::pair<std::string_view, double>, 5> kUnits{
      {{"", 1.0}, {"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}}};
  for (const auto& [unit, factor] : kUnits) {
    if (parts->second == unit) {
      return parts->first * factor;
    }
  }
  return std::nullopt;
}

std::string format_bits_per_second(double bytes_per_second) {
  return scaled(bytes_per_second * 8.0, std::array{"", "k", "M", "G", "T"}, 1000.0, "bit/s");
}

std::string format_bytes(double bytes) {
  return scaled(bytes, std::array{"", "k", "M", "G", "T"}, 1000.0, "B", true);
}

std::string format_count(double value) {
  std::string s = scaled(value, std::array{"", "k", "M", "G", "T"}, 1000.0, "");
  while (!s.empty() && s.back() == ' ') {
    s.pop_back();
  }
  return s;
}

std::string format_ns(double ns) {
  return scaled(ns, std::array{"ns", "us", "ms", "s"}, 1000.0, "", true);
}

std::string format_size(std::uint64_t bytes) {
  static constexpr std::array<std::pair<std::uint64_t, const char*>, 3> kUnits{
      {{1ULL << 30, "GiB"}, {1ULL << 20, "MiB"}, {1ULL << 10, "KiB"}}};
  for (const auto& [unit, name] : kUnits) {
    if (bytes >= unit && bytes % unit == 0) {
      return format_grouped(bytes / unit) + " " + name;
    }
  }
  return format_grouped(bytes) + " B";
}

std::string format_grouped(std::uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return out;
}

}  // namespace netbench::app
