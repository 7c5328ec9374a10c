#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netbench::app {

/// "1400", "64k", "1M", "128KiB", "1MiB": k/M/G are powers of 1000,
/// KiB/MiB/GiB powers of 1024. nullopt on anything else or on overflow.
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text);
/// "5s", "250ms", "100us", "2m", "1.5s"; a bare number means seconds.
/// Result in ns; nullopt on anything else, negative or overflowing.
[[nodiscard]] std::optional<std::uint64_t> parse_duration_ns(std::string_view text);
/// "100000", "100k", "1.5M", "10G" (powers of 1000). nullopt otherwise.
[[nodiscard]] std::optional<double> parse_rate(std::string_view text);
/// A wall-clock time of `--start-at`, as ns since the Unix epoch (UTC):
/// epoch seconds with an optional fraction ("1764498600", "1764498600.25",
/// as iperf2's --txstart-time), or ISO 8601 with a zone
/// ("2026-11-30T10:30:00Z", "2026-11-30T11:30:00.5+01:00"; 'T' or a space).
/// nullopt on anything else: a time without a zone, a field out of range,
/// more than 9 fraction digits, before 1970 or after 2262.
[[nodiscard]] std::optional<std::uint64_t> parse_wall_time(std::string_view text);
/// ns since the Unix epoch as "2026-11-30T10:30:00.000123Z" (UTC, µs).
[[nodiscard]] std::string format_wall_time(std::uint64_t unix_ns);

// Every figure below has three significant digits in the largest unit that
// keeps it at least 1, and a value that rounds up to the next unit takes it
// ("1.00 s", never "1000.00 ms"; "1.00 M", never "1000 k").

/// "1.23 Gbit/s" style: value × 8 scaled by 1000s.
[[nodiscard]] std::string format_bits_per_second(double bytes_per_second);
/// "1.23 MB" style (powers of 1000); whole bytes below 1 kB ("512 B").
[[nodiscard]] std::string format_bytes(double bytes);
/// "12.3 us", "117 us", "2.02 ms" from ns; whole nanoseconds below 1 us.
[[nodiscard]] std::string format_ns(double ns);
/// "1.23 M" style for counts and rates.
[[nodiscard]] std::string format_count(double value);
/// A size as a user would write it: "1 MiB", "64 KiB", "1500 B" (binary
/// units when exact, else bytes, grouped).
[[nodiscard]] std::string format_size(std::uint64_t bytes);
/// An exact count with its digits grouped in threes: "1,234,567".
[[nodiscard]] std::string format_grouped(std::uint64_t value);

}  // namespace netbench::app
