#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace netbench::app {

/// Bounds how many log lines one repeated event may write: per key (e.g.
/// "refused from 127.0.0.1", a reason and a source address), the first
/// `burst` lines of each `window_ns` are logged and the rest only counted,
/// then told in one summary line when the window ends ("… 40,312 more
/// refused from 127.0.0.1 in the last 10 s"). At most `max_keys` keys are
/// tracked; lines of further keys share one key, "other". Pure (the caller
/// passes the time); not thread-safe: one owner.
class LogLimiter {
 public:
  LogLimiter(std::uint32_t burst, std::uint64_t window_ns, std::size_t max_keys);

  /// True if a line for `key` at `now_ns` may be written; false if it is
  /// only counted.
  [[nodiscard]] bool allow(const std::string& key, std::uint64_t now_ns);
  /// The summary lines of every window that ended by `now_ns` with lines
  /// held back; forgets keys whose window ended. Cheap when nothing is due.
  [[nodiscard]] std::vector<std::string> flush(std::uint64_t now_ns);
  /// When flush() next has something to do (UINT64_MAX: never).
  [[nodiscard]] std::uint64_t next_due_ns() const noexcept { return next_due_ns_; }
  /// Keys tracked now.
  [[nodiscard]] std::size_t keys() const noexcept { return keys_.size(); }

 private:
  struct Window {
    std::uint64_t start_ns = 0;
    std::uint32_t logged = 0;
    std::uint64_t held_back = 0;
  };
  std::uint32_t burst_;
  std::uint64_t window_ns_;
  std::size_t max_keys_;
  std::uint64_t next_due_ns_ = UINT64_MAX;
  std::map<std::string, Window> keys_;
};

/// `n` with a comma every three digits: 40312 -> "40,312". Pure.
[[nodiscard]] std::string with_commas(std::uint64_t n);

}  // namespace netbench::app
