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

std::string scaled(double value, const std::array<const char*, 5>& units, double step,
                   const char* suffix) {
  std::size_t i = 0;
  while (i + 1 < units.size() && std::fabs(value) >= step) {
    value /= step;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f %s%s",
                value < 10    ? 2
                : value < 100 ? 1
                              : 0,
                value, units[i], suffix);
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
  return scaled(bytes_per_second * 8.0, {"", "k", "M", "G", "T"}, 1000.0, "bit/s");
}

std::string format_bytes(double bytes) {
  return scaled(bytes, {"", "k", "M", "G", "T"}, 1000.0, "B");
}

std::string format_count(double value) {
  std::string s = scaled(value, {"", "k", "M", "G", "T"}, 1000.0, "");
  while (!s.empty() && s.back() == ' ') {
    s.pop_back();
  }
  return s;
}

std::string format_ns(double ns) {
  char buf[64];
  if (ns < 1e3) {
    std::snprintf(buf, sizeof buf, "%.0f ns", ns);
  } else if (ns < 1e6) {
    std::snprintf(buf, sizeof buf, "%.1f us", ns / 1e3);
  } else if (ns < 1e9) {
    std::snprintf(buf, sizeof buf, "%.2f ms", ns / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f s", ns / 1e9);
  }
  return buf;
}

}  // namespace netbench::app
