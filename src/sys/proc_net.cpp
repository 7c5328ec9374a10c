#include "sys/proc_net.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

namespace netbench::sys {
namespace {

/// The whole of a small /proc file; empty if it cannot be read.
std::string read_text(const char* path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return in ? out.str() : std::string();
}

/// The words of `line`, split at spaces.
std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    const std::size_t start = line.find_first_not_of(' ', i);
    if (start == std::string_view::npos) {
      break;
    }
    const std::size_t end = std::min(line.find(' ', start), line.size());
    out.push_back(line.substr(start, end - start));
    i = end;
  }
  return out;
}

std::optional<std::uint64_t> number(std::string_view w) noexcept {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
  if (ec != std::errc() || end != w.data() + w.size()) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

TcpStackCounters parse_tcp_ext(std::string_view netstat) noexcept {
  TcpStackCounters out;
  try {
    std::vector<std::string_view> names;
    std::size_t pos = 0;
    while (pos < netstat.size()) {
      const std::size_t nl = std::min(netstat.find('\n', pos), netstat.size());
      const std::string_view line = netstat.substr(pos, nl - pos);
      pos = nl + 1;
      if (line.substr(0, 7) != "TcpExt:") {
        continue;
      }
      if (names.empty()) {
        names = words(line.substr(7));  // the first TcpExt line names, the second counts
        continue;
      }
      const std::vector<std::string_view> values = words(line.substr(7));
      int found = 0;
      for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
        const std::optional<std::uint64_t> v = number(values[i]);
        if (!v) {
          return {};
        }
        if (names[i] == "ListenOverflows") {
          out.listen_overflows = *v;
          ++found;
        } else if (names[i] == "ListenDrops") {
          out.listen_drops = *v;
          ++found;
        } else if (names[i] == "TCPSynRetrans") {
          out.syn_retransmits = *v;
          ++found;
        }
      }
      out.valid = found == 3;
      return out.valid ? out : TcpStackCounters{};
    }
  } catch (...) {
    // No memory for the word lists: the counters are unknown.
  }
  return {};
}

std::optional<std::uint64_t> parse_time_wait(std::string_view sockstat) noexcept {
  try {
    std::size_t pos = 0;
    while (pos < sockstat.size()) {
      const std::size_t nl = std::min(sockstat.find('\n', pos), sockstat.size());
      const std::string_view line = sockstat.substr(pos, nl - pos);
      pos = nl + 1;
      if (line.substr(0, 4) != "TCP:") {
        continue;
      }
      const std::vector<std::string_view> w = words(line.substr(4));
      for (std::size_t i = 0; i + 1 < w.size(); i += 2) {
        if (w[i] == "tw") {
          return number(w[i + 1]);
        }
      }
    }
  } catch (...) {
    // As above.
  }
  return std::nullopt;
}

TcpStackCounters counter_delta(const TcpStackCounters& before,
                               const TcpStackCounters& after) noexcept {
  if (!before.valid || !after.valid) {
    return {};
  }
  const auto minus = [](std::uint64_t a, std::uint64_t b) { return a > b ? a - b : 0; };
  TcpStackCounters d;
  d.valid = true;
  d.listen_overflows = minus(after.listen_overflows, before.listen_overflows);
  d.listen_drops = minus(after.listen_drops, before.listen_drops);
  d.syn_retransmits = minus(after.syn_retransmits, before.syn_retransmits);
  return d;
}

TcpStackCounters read_tcp_stack_counters() noexcept {
  try {
    return parse_tcp_ext(read_text("/proc/net/netstat"));
  } catch (...) {
    return {};
  }
}

std::string ephemeral_ports_exhausted(const std::string& where) {
  std::string range = read_text("/proc/sys/net/ipv4/ip_local_port_range");
  for (char& c : range) {
    if (c == '\t' || c == '\n') {
      c = c == '\t' ? '-' : ' ';
    }
  }
  while (!range.empty() && range.back() == ' ') {
    range.pop_back();
  }
  const std::optional<std::uint64_t> tw = parse_time_wait(read_text("/proc/net/sockstat"));
  return "connect " + where +
         ": no free local port (EADDRNOTAVAIL): the ephemeral ports of "
         "net.ipv4.ip_local_port_range (" +
         (range.empty() ? std::string("unknown") : range) + ") are used up, with " +
         (tw ? std::to_string(*tw) : std::string("an unknown number of")) +
         " sockets in TIME_WAIT; use --close rst (no TIME_WAIT), a lower --rate or fewer "
         "--outstanding, or widen the range";
}

}  // namespace netbench::sys
