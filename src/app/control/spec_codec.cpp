#include "app/control/spec_codec.hpp"

#include <cmath>
#include <exception>
#include <limits>
#include <utility>

#include "netbench/error.hpp"

namespace netbench::app {
namespace {

bool get_u64(const nlohmann::json& j, const char* key, std::uint64_t max, std::uint64_t& out,
             std::string& error) {
  if (!j.contains(key) || !j[key].is_number_unsigned()) {
    error = std::string("config.") + key + " must be a non-negative integer";
    return false;
  }
  out = j[key].get<std::uint64_t>();
  if (out > max) {
    error = std::string("config.") + key + " is above " + std::to_string(max);
    return false;
  }
  return true;
}

template <typename E>
bool get_enum(const nlohmann::json& j, const char* key, E& out, std::string& error) {
  if (!j.contains(key) || !j[key].is_string() || !parse(j[key].get<std::string>(), out)) {
    error = std::string("config.") + key + " is missing or not a known name";
    return false;
  }
  return true;
}

/// An optional boolean: absent (an older peer's config) leaves `out` false.
bool get_optional_bool(const nlohmann::json& j, const char* key, bool& out, std::string& error) {
  out = false;
  if (!j.contains(key)) {
    return true;
  }
  if (!j[key].is_boolean()) {
    error = std::string("config.") + key + " must be true or false";
    return false;
  }
  out = j[key].get<bool>();
  return true;
}

/// JSON has no NaN or infinity: such a value is written as 0.
double finite(double v) { return std::isfinite(v) ? v : 0.0; }

}  // namespace

nlohmann::json spec_to_json(const TestSpec& s) {
  // Every key of protocol version 1; spec_from_json() reads them back
  // (family and bind are informative: the server picks its own). per_flow
  // is not sent: the server always returns every flow, and the client's
  // reports apply --per-flow.
  nlohmann::json j = {{"proto", std::string(to_string(s.proto))},
                      {"model", std::string(to_string(s.model))},
                      {"mode", std::string(to_string(s.mode))},
                      {"pattern", std::string(to_string(s.pattern))},
                      {"family", std::string(to_string(s.family))},
                      {"flows", s.flows},
                      {"size_bytes", s.message_bytes()},
                      {"rate_msgs_per_s", finite(s.rate_msgs_per_s)},
                      {"duration_ns", s.count == 0 ? s.duration_ns : 0},
                      {"count_messages", s.count},
                      {"warmup_ns", s.warmup_ns},
                      {"interval_ns", s.interval_ns},
                      {"outstanding", s.outstanding},
                      {"threads", s.threads},
                      {"batch", s.batch},
                      {"busy_poll", s.busy_poll},
                      {"gso", s.gso},
                      {"socket_buffer_bytes", s.socket_buffer_bytes},
                      {"coalesce_ns", s.coalesce_ns},
                      {"tcp_nodelay", s.tcp_nodelay()},
                      {"stats", std::string(to_string(s.stats))},
                      {"sender_cpus", s.sender_cpus},
                      {"receiver_cpus", s.receiver_cpus},
                      {"bind", s.bind_address},
                      {"port", s.port}};
  if (s.pacing_spin) {
    // Only when not the default, so that version-1 bytes stay the same.
    j["pacing"] = "spin";
  }
  // The socket knobs likewise only when given: the server applies them to
  // its own data sockets.
  if (!s.congestion.empty()) {
    j["congestion"] = s.congestion;
  }
  if (s.tos >= 0) {
    j["tos"] = static_cast<std::uint32_t>(s.tos);  // unsigned, as the decoder reads it
  }
  if (s.mss_bytes != 0) {
    j["mss_bytes"] = s.mss_bytes;
  }
  if (s.fq_rate_bps != 0) {
    j["fq_rate_bps"] = s.fq_rate_bps;
  }
  // Who sends: only when the server does (--reverse; a --bidir run is a
  // forward and a reverse test), with the sender's own settings.
  if (s.direction != Direction::kForward) {
    j["direction"] = std::string(to_string(s.direction));
    if (s.sender_threads != 1) {
      j["sender_threads"] = s.sender_threads;
    }
    if (s.zerocopy) {
      j["zerocopy"] = true;
    }
  }
  if (s.skip_rx_copy) {
    // Only when asked, so that other runs send the bytes they always did. A
    // server that predates the key ignores it and reads payloads as usual.
    j["skip_rx_copy"] = true;
  }
  if (s.fanout()) {
    // Remote fan-out: the server binds the group (or broadcast address) and
    // joins it. A server that predates these keys binds unicast sockets:
    // the registration sent to the group never reaches it, and the client
    // stops there ("UDP flows did not register").
    if (s.broadcast) {
      j["broadcast"] = true;
    } else {
      j["multicast_group"] = s.multicast_group;
    }
    j["receivers"] = s.receivers;
  }
  return j;
}

bool spec_from_json(const nlohmann::json& j, TestSpec& s, std::string& error) {
  if (!j.is_object()) {
    error = "config must be an object";
    return false;
  }
  constexpr std::uint64_t kU32 = std::numeric_limits<std::uint32_t>::max();
  std::uint64_t flows = 0;
  std::uint64_t size = 0;
  std::uint64_t outstanding = 0;
  std::uint64_t threads = 0;
  std::uint64_t batch = 0;
  std::uint64_t buffer = 0;
  std::uint64_t port = 0;
  if (!get_enum(j, "proto", s.proto, error) || !get_enum(j, "model", s.model, error) ||
      !get_enum(j, "mode", s.mode, error) || !get_enum(j, "pattern", s.pattern, error) ||
      !get_u64(j, "flows", kU32, flows, error) || !get_u64(j, "size_bytes", kU32, size, error) ||
      !get_u64(j, "duration_ns", UINT64_MAX, s.duration_ns, error) ||
      !get_u64(j, "count_messages", UINT64_MAX, s.count, error) ||
      !get_u64(j, "warmup_ns", UINT64_MAX, s.warmup_ns, error) ||
      !get_u64(j, "interval_ns", UINT64_MAX, s.interval_ns, error) ||
      !get_u64(j, "outstanding", kU32, outstanding, error) ||
      !get_u64(j, "threads", kU32, threads, error) || !get_u64(j, "batch", kU32, batch, error) ||
      !get_u64(j, "socket_buffer_bytes", kU32, buffer, error) ||
      !get_u64(j, "port", 65535, port, error) ||
      !get_optional_bool(j, "busy_poll", s.busy_poll, error) ||
      !get_optional_bool(j, "gso", s.gso, error) ||
      !get_optional_bool(j, "skip_rx_copy", s.skip_rx_copy, error) ||
      !get_optional_bool(j, "zerocopy", s.zerocopy, error) ||
      !get_optional_bool(j, "broadcast", s.broadcast, error)) {
    return false;
  }
  if (j.contains("direction") &&
      (!j["direction"].is_string() || !parse(j["direction"].get<std::string>(), s.direction))) {
    error = "config.direction must be \"forward\", \"reverse\" or \"bidir\"";
    return false;
  }
  if (j.contains("sender_threads")) {
    std::uint64_t threads_out = 0;
    if (!get_u64(j, "sender_threads", kU32, threads_out, error)) {
      return false;
    }
    s.sender_threads = static_cast<std::uint32_t>(threads_out);
  }
  // Optional (an older peer's config has none): pacing, coalesce, nodelay, stats, CPU lists.
  if (j.contains("pacing")) {
    const auto& p = j["pacing"];
    if (!p.is_string() || (p != "sleep" && p != "spin")) {
      error = "config.pacing must be \"sleep\" or \"spin\"";
      return false;
    }
    s.pacing_spin = p == "spin";
  }
  if (j.contains("coalesce_ns")) {
    std::uint64_t coalesce = 0;
    if (!get_u64(j, "coalesce_ns", 10'000'000, coalesce, error)) {
      return false;
    }
    s.coalesce_ns = coalesce;
  }
  if (j.contains("tcp_nodelay")) {
    if (!j["tcp_nodelay"].is_boolean()) {
      error = "config.tcp_nodelay must be true or false";
      return false;
    }
    s.nodelay = j["tcp_nodelay"].get<bool>() ? Toggle::kOn : Toggle::kOff;
  }
  if (j.contains("stats") &&
      (!j["stats"].is_string() || !parse(j["stats"].get<std::string>(), s.stats))) {
    error = "config.stats must be \"full\" or \"counts\"";
    return false;
  }
  for (const auto& [key, out] :
       {std::pair{"sender_cpus", &s.sender_cpus}, std::pair{"receiver_cpus", &s.receiver_cpus}}) {
    if (!j.contains(key)) {
      continue;
    }
    if (!j[key].is_array() || j[key].size() > 1024) {
      error = std::string("config.") + key + " must be an array of CPU numbers";
      return false;
    }
    out->clear();
    for (const auto& c : j[key]) {
      if (!c.is_number_unsigned() || c.get<std::uint64_t>() >= 1024) {
        error = std::string("config.") + key + " must be an array of CPU numbers";
        return false;
      }
      out->push_back(static_cast<std::uint32_t>(c.get<std::uint64_t>()));
    }
  }
  // Optional socket knobs: absent = not set; validate() checks their ranges.
  if (j.contains("congestion")) {
    if (!j["congestion"].is_string() || j["congestion"].get_ref<const std::string&>().empty() ||
        j["congestion"].get_ref<const std::string&>().size() > kMaxCongestionNameBytes) {
      error = "config.congestion must be the name of a congestion control algorithm";
      return false;
    }
    s.congestion = j["congestion"].get<std::string>();
  }
  if (j.contains("tos")) {
    std::uint64_t tos = 0;
    if (!get_u64(j, "tos", 255, tos, error)) {
      return false;
    }
    s.tos = static_cast<std::int32_t>(tos);
  }
  if (j.contains("mss_bytes")) {
    std::uint64_t mss = 0;
    if (!get_u64(j, "mss_bytes", kMaxMssBytes, mss, error)) {
      return false;
    }
    s.mss_bytes = static_cast<std::uint32_t>(mss);
  }
  s.multicast_group.clear();
  if (j.contains("multicast_group")) {
    // At most "255.255.255.255"; validate() checks it is a group.
    if (!j["multicast_group"].is_string() ||
        j["multicast_group"].get_ref<const std::string&>().size() > 15) {
      error = "config.multicast_group must be an IPv4 multicast address";
      return false;
    }
    s.multicast_group = j["multicast_group"].get<std::string>();
  }
  s.receivers = 1;
  if (j.contains("receivers")) {
    std::uint64_t receivers = 0;
    if (!get_u64(j, "receivers", kMaxReceivers, receivers, error)) {
      return false;
    }
    s.receivers = static_cast<std::uint32_t>(receivers);
  }
  if (j.contains("fq_rate_bps") && !get_u64(j, "fq_rate_bps", UINT64_MAX, s.fq_rate_bps, error)) {
    return false;
  }
  if (!j.contains("rate_msgs_per_s") || !j["rate_msgs_per_s"].is_number() ||
      !std::isfinite(j["rate_msgs_per_s"].get<double>()) ||
      j["rate_msgs_per_s"].get<double>() < 0) {
    error = "config.rate_msgs_per_s must be a non-negative number";
    return false;
  }
  s.rate_msgs_per_s = j["rate_msgs_per_s"].get<double>();
  s.flows = static_cast<std::uint32_t>(flows);
  s.size_bytes = static_cast<std::uint32_t>(size);
  s.outstanding = static_cast<std::uint32_t>(outstanding);
  s.threads = static_cast<std::uint32_t>(threads);
  s.batch = static_cast<std::uint32_t>(batch);
  s.socket_buffer_bytes = static_cast<std::uint32_t>(buffer);
  s.port = static_cast<std::uint16_t>(port);
  if (s.count == 0 && s.duration_ns == 0) {
    error = "config: duration_ns and count_messages are both 0";
    return false;
  }
  try {
    validate(s);
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
  return true;
}

}  // namespace netbench::app
