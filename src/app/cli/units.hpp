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

/// "1.23 Gbit/s" style: value × 8 scaled by 1000s.
[[nodiscard]] std::string format_bits_per_second(double bytes_per_second);
/// "1.23 MB" style (powers of 1000).
[[nodiscard]] std::string format_bytes(double bytes);
/// "12.3 µs" style from ns.
[[nodiscard]] std::string format_ns(double ns);
/// "1.23 M" style for counts and rates.
[[nodiscard]] std::string format_count(double value);

}  // namespace netbench::app
