#include "app/serve/log_limiter.hpp"

#include <algorithm>

namespace netbench::app {

LogLimiter::LogLimiter(std::uint32_t burst, std::uint64_t window_ns, std::size_t max_keys)
    : burst_(burst),
      window_ns_(std::max<std::uint64_t>(window_ns, 1)),
      max_keys_(std::max<std::size_t>(max_keys, 1)) {}

bool LogLimiter::allow(const std::string& key, std::uint64_t now_ns) {
  auto it = keys_.find(key);
  if (it == keys_.end()) {
    // A bounded table: past max_keys, every new key is counted as "other".
    const std::string& k = keys_.size() + 1 < max_keys_ ? key : std::string("other");
    it = keys_.try_emplace(k, Window{now_ns, 0, 0}).first;
    next_due_ns_ = std::min(next_due_ns_, it->second.start_ns + window_ns_);
  }
  Window& w = it->second;
  if (w.logged < burst_) {
    ++w.logged;
    return true;
  }
  ++w.held_back;
  return false;
}

std::vector<std::string> LogLimiter::flush(std::uint64_t now_ns) {
  std::vector<std::string> lines;
  if (now_ns < next_due_ns_) {
    return lines;
  }
  next_due_ns_ = UINT64_MAX;
  for (auto it = keys_.begin(); it != keys_.end();) {
    const Window& w = it->second;
    if (now_ns - w.start_ns < window_ns_) {
      next_due_ns_ = std::min(next_due_ns_, w.start_ns + window_ns_);
      ++it;
      continue;
    }
    if (w.held_back > 0) {
      lines.push_back("… " + with_commas(w.held_back) + " more " + it->first + " in the last " +
                      std::to_string((now_ns - w.start_ns) / 1'000'000'000) + " s");
    }
    it = keys_.erase(it);
  }
  return lines;
}

std::string with_commas(std::uint64_t n) {
  std::string digits = std::to_string(n);
  for (std::size_t i = digits.size(); i > 3; i -= 3) {
    digits.insert(i - 3, ",");
  }
  return digits;
}

}  // namespace netbench::app
