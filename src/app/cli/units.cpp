#include "app/cli/units.hpp"

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
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

namespace {

/// Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian; H.
/// Hinnant's days_from_civil), for dates from 1970 on.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// `n` decimal digits of `text` at `at` as a number; nullopt unless all are digits.
std::optional<unsigned> digits_at(std::string_view text, std::size_t at, std::size_t n) {
  if (at + n > text.size()) {
    return std::nullopt;
  }
  unsigned v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    v = v * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return v;
}

/// The fraction after a '.' at `at` (up to 9 digits) as ns, and where it ends.
std::optional<std::pair<std::uint64_t, std::size_t>> fraction_ns(std::string_view text,
                                                                 std::size_t at) {
  std::uint64_t ns = 0;
  std::size_t n = 0;
  while (at + n < text.size() && text[at + n] >= '0' && text[at + n] <= '9') {
    if (n == 9) {
      return std::nullopt;
    }
    ns = ns * 10 + static_cast<std::uint64_t>(text[at + n] - '0');
    ++n;
  }
  if (n == 0) {
    return std::nullopt;
  }
  for (std::size_t k = n; k < 9; ++k) {
    ns *= 10;
  }
  return std::pair{ns, at + n};
}

/// Latest time representable in ns since the epoch in 64 bits (2262).
constexpr std::uint64_t kMaxWallSeconds = 9'000'000'000ULL;

std::optional<std::uint64_t> epoch_seconds(std::string_view text) {
  std::uint64_t secs = 0;
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    secs = secs * 10 + static_cast<std::uint64_t>(text[i] - '0');
    if (secs > kMaxWallSeconds) {
      return std::nullopt;
    }
    ++i;
  }
  if (i == 0) {
    return std::nullopt;
  }
  std::uint64_t ns = 0;
  if (i < text.size()) {
    if (text[i] != '.') {
      return std::nullopt;
    }
    const auto frac = fraction_ns(text, i + 1);
    if (!frac || frac->second != text.size()) {
      return std::nullopt;
    }
    ns = frac->first;
  }
  return secs * 1'000'000'000ULL + ns;
}

std::optional<std::uint64_t> iso_time(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS
  const auto year = digits_at(t, 0, 4);
  const auto month = digits_at(t, 5, 2);
  const auto day = digits_at(t, 8, 2);
  const auto hour = digits_at(t, 11, 2);
  const auto minute = digits_at(t, 14, 2);
  const auto second = digits_at(t, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || t[4] != '-' || t[7] != '-' ||
      (t[10] != 'T' && t[10] != ' ') || t[13] != ':' || t[16] != ':') {
    return std::nullopt;
  }
  static constexpr std::array<unsigned, 12> kDays{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
  if (*year < 1970 || *month < 1 || *month > 12 || *day < 1 || *day > kDays[*month - 1] ||
      (*month == 2 && *day == 29 && !leap) || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::size_t at = 19;
  std::uint64_t ns = 0;
  if (at < t.size() && t[at] == '.') {
    const auto frac = fraction_ns(t, at + 1);
    if (!frac) {
      return std::nullopt;
    }
    ns = frac->first;
    at = frac->second;
  }
  std::int64_t offset_s = 0;
  if (at + 1 == t.size() && (t[at] == 'Z' || t[at] == 'z')) {
    at += 1;
  } else if (at < t.size() && (t[at] == '+' || t[at] == '-')) {
    const auto oh = digits_at(t, at + 1, 2);
    const bool colon = at + 3 < t.size() && t[at + 3] == ':';
    const auto om = digits_at(t, at + (colon ? 4 : 3), 2);
    if (!oh || !om || *oh > 23 || *om > 59) {
      return std::nullopt;
    }
    offset_s = (t[at] == '+' ? 1 : -1) * static_cast<std::int64_t>(*oh * 3600 + *om * 60);
    at += colon ? 6 : 5;
  } else {
    return std::nullopt;  // no zone: which one would be a guess
  }
  if (at != t.size()) {
    return std::nullopt;
  }
  const std::int64_t secs = days_from_civil(*year, *month, *day) * 86400 +
                            static_cast<std::int64_t>(*hour * 3600 + *minute * 60 + *second) -
                            offset_s;
  if (secs < 0 || static_cast<std::uint64_t>(secs) > kMaxWallSeconds) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(secs) * 1'000'000'000ULL + ns;
}

}  // namespace

std::optional<std::uint64_t> parse_wall_time(std::string_view text) {
  if (text.size() >= 20 && text[4] == '-') {
    return iso_time(text);
  }
  return epoch_seconds(text);
}

std::string format_wall_time(std::uint64_t unix_ns) {
  const auto secs = static_cast<time_t>(unix_ns / 1'000'000'000ULL);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lluZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned long long>(unix_ns % 1'000'000'000ULL / 1000));
  return buf;
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
