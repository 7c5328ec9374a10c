#pragma once

// What the result codecs (result_codec, sender_codec) share: writing the
// pieces a RunResult's parts have in common as exact JSON, and Reader, the
// strict field-by-field reader of such JSON from the network. Private to
// app/control.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "netbench/count_distribution.hpp"
#include "netbench/latency_histogram.hpp"
#include "netbench/results.hpp"
#include "netbench/sequence_tracker.hpp"

namespace netbench::app::codec {

// ---- writing ----

/// JSON has no NaN or infinity; no side produces them, but never write null.
[[nodiscard]] double finite_or_zero(double v) noexcept;
/// {count, max, sum, buckets}: buckets lists the non-empty ones as
/// [index, count] pairs, index rising.
[[nodiscard]] nlohmann::json distribution_to_json(const CountDistribution& d);
/// {sent, unique, lost, bursts, burst_lengths}.
[[nodiscard]] nlohmann::json loss_to_json(const LossReport& l);
/// {user_s, sys_s, voluntary_switches, involuntary_switches, threads}.
[[nodiscard]] nlohmann::json cpu_to_json(const CpuUsage& c);
/// {cpu, loop: {wakeups, ready_events}} plus tcp_congestion when not empty
/// and uring {setup, multishot_accept, multishot_receive, forced, features}
/// when present.
[[nodiscard]] nlohmann::json side_to_json(const SideStats& s);
/// Base64 of LatencyHistogram::serialize().
[[nodiscard]] std::string histogram_to_json(const LatencyHistogram& h);

// ---- reading ----

/// A whole non-negative integer that fits 64 bits (a negative, fractional or
/// too large number, or any other type, is not one).
[[nodiscard]] std::optional<std::uint64_t> as_u64(const nlohmann::json& v);
/// "at.key", or "key" at the top level (`at` empty).
[[nodiscard]] std::string join(const std::string& at, std::string_view key);
/// "at[i]".
[[nodiscard]] std::string indexed(const std::string& at, std::size_t i);

/// Reads typed fields out of JSON objects, checking each; the first failure
/// is kept in `error` as "path: what is wrong". Paths are built only on
/// failure or for nested objects, so a valid part costs few allocations.
/// Each reader of a member takes the object, its path `at` ("" at the top)
/// and the key, and returns false after failing. May throw std::bad_alloc
/// (the codecs' entry points catch it).
class Reader {
 public:
  explicit Reader(std::string& error) : error_(error) {}

  /// Sets the error to "path: why"; returns false.
  bool fail(const std::string& path, std::string_view why);

  /// `v` is an object, else fails naming `path`.
  bool object(const nlohmann::json& v, const std::string& path);

  /// Member `key` of object `obj` (path `at`), or nullptr after failing.
  const nlohmann::json* find(const nlohmann::json& obj, const std::string& at,
                             std::string_view key);

  /// Member `key` is an array of at most `max` elements (checked before
  /// the caller allocates for them), or nullptr after failing.
  const nlohmann::json* array(const nlohmann::json& obj, const std::string& at,
                              std::string_view key, std::size_t max, std::string_view what);

  bool u64(const nlohmann::json& obj, const std::string& at, std::string_view key,
           std::uint64_t& out);

  /// As u64, but an absent key leaves `out` as it is (a field that servers
  /// of an earlier version do not send).
  bool optional_u64(const nlohmann::json& obj, const std::string& at, std::string_view key,
                    std::uint64_t& out);

  bool u32(const nlohmann::json& obj, const std::string& at, std::string_view key,
           std::uint32_t& out);

  /// A whole number in [`min`, 2^31 - 1].
  bool i32(const nlohmann::json& obj, const std::string& at, std::string_view key, std::int32_t min,
           std::int32_t& out);

  /// A finite number >= 0 (integer or not).
  bool number(const nlohmann::json& obj, const std::string& at, std::string_view key, double& out);

  bool boolean(const nlohmann::json& obj, const std::string& at, std::string_view key, bool& out);

  /// A string of at most `max_chars` bytes.
  bool string(const nlohmann::json& obj, const std::string& at, std::string_view key,
              std::size_t max_chars, std::string& out);

  /// A CountDistribution that from_parts() accepts.
  bool distribution(const nlohmann::json& obj, const std::string& at, std::string_view key,
                    CountDistribution& out);

  /// A LossReport as SequenceTracker::finalize() makes them: unique <= sent,
  /// lost = sent - unique, bursts = burst_lengths.count().
  bool loss(const nlohmann::json& obj, const std::string& at, std::string_view key,
            LossReport& out);

  /// The CpuUsage object `v` at `path`.
  bool cpu(const nlohmann::json& v, const std::string& path, CpuUsage& out);

  /// The SideStats member `key` of the top-level object (side_to_json()'s
  /// form; tcp_congestion and uring optional, cleared when absent).
  bool side(const nlohmann::json& obj, std::string_view key, SideStats& s);

  /// A histogram member `key` of `obj` (path `at`): canonical base64 of a
  /// valid serialization.
  bool histogram(const nlohmann::json& obj, const std::string& at, std::string_view key,
                 LatencyHistogram& out);
  /// As above, at the top level.
  bool histogram(const nlohmann::json& obj, std::string_view key, LatencyHistogram& out) {
    return histogram(obj, "", key, out);
  }

 private:
  bool short_string(const nlohmann::json& v, const std::string& path, std::string& out);
  bool uring(const nlohmann::json& v, const std::string& p, UringPath& u);

  std::string& error_;
};

}  // namespace netbench::app::codec
