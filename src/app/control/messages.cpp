#include "app/control/messages.hpp"

#include <exception>
#include <limits>
#include <utility>

#include "app/control/base64.hpp"
#include "app/control/result_codec.hpp"
#include "app/control/sender_codec.hpp"
#include "app/control/spec_codec.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;

constexpr std::uint64_t kU16 = std::numeric_limits<std::uint16_t>::max();
constexpr std::uint64_t kU64 = std::numeric_limits<std::uint64_t>::max();

bool fail(std::string& error, const char* type, const char* field, const std::string& why) {
  error = std::string(type) + "." + field + ": " + why;
  return false;
}

/// `j` is an object of type `type`; clears `error`.
bool check_type(const json& j, const char* type, std::string& error) {
  error.clear();
  if (!has_type(j, type)) {
    error = std::string("type: expected a \"") + type + "\" message";
    return false;
  }
  return true;
}

/// The member `key` of `j`, or null when absent.
const json* member(const json& j, const char* key) {
  const auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

/// A whole number in [0, max]. (Parsed JSON holds non-negative integers as
/// unsigned; one built in code may hold them as signed.)
bool to_uint(const json* v, std::uint64_t max, std::uint64_t& out) {
  if (v == nullptr || !v->is_number_integer() ||
      (!v->is_number_unsigned() && v->get<std::int64_t>() < 0) || v->get<std::uint64_t>() > max) {
    return false;
  }
  out = v->get<std::uint64_t>();
  return true;
}

/// A required unsigned integer of at most `max`.
template <typename T>
bool get_uint(const json& j, const char* type, const char* key, T& out, std::string& error) {
  constexpr std::uint64_t max = std::numeric_limits<T>::max();
  std::uint64_t v = 0;
  if (!to_uint(member(j, key), max, v)) {
    return fail(error, type, key,
                member(j, key) == nullptr ? "missing"
                                          : "must be an integer from 0 to " + std::to_string(max));
  }
  out = static_cast<T>(v);
  return true;
}

/// An optional string: absent leaves `out` as it is.
bool get_optional_string(const json& j, const char* type, const char* key, std::string& out,
                         std::string& error) {
  const json* v = member(j, key);
  if (v == nullptr) {
    return true;
  }
  if (!v->is_string()) {
    return fail(error, type, key, "must be a string");
  }
  out = v->get<std::string>();
  return true;
}

std::string hex(const RegistrationToken& t) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const std::byte b : t) {
    out += kDigits[std::to_integer<unsigned>(b) >> 4];
    out += kDigits[std::to_integer<unsigned>(b) & 15];
  }
  return out;
}

/// Lowercase hex of exactly one token, as hex() writes it.
std::optional<RegistrationToken> unhex(const std::string& s) {
  RegistrationToken t{};
  if (s.size() != 2 * t.size()) {
    return std::nullopt;
  }
  const auto digit = [](char c) -> int {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  for (std::size_t i = 0; i < t.size(); ++i) {
    const int high = digit(s[2 * i]);
    const int low = digit(s[2 * i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    t[i] = static_cast<std::byte>(high * 16 + low);
  }
  return t;
}

/// An optional token field (32 lowercase hex digits): absent leaves `out`
/// empty.
bool get_optional_token(const json& j, const char* where, const char* key,
                        std::optional<RegistrationToken>& out, std::string& error) {
  out.reset();
  const json* v = member(j, key);
  if (v != nullptr && (!v->is_string() || !(out = unhex(v->get<std::string>())))) {
    return fail(error, where, key, "must be 32 lowercase hex digits");
  }
  return true;
}

/// Runs a decoder body, turning an unexpected exception (allocation) into
/// a refusal: decode() never throws.
template <typename F>
bool guarded(std::string& error, F&& body) noexcept {
  try {
    return std::forward<F>(body)();
  } catch (const std::exception& e) {
    error = std::string("cannot decode: ") + e.what();
    return false;
  }
}

}  // namespace

bool has_type(const json& message, std::string_view type) noexcept {
  if (!message.is_object()) {
    return false;
  }
  const auto it = message.find("type");
  return it != message.end() && it->is_string() && it->get_ref<const std::string&>() == type;
}

json encode(const Hello& m) {
  json j = {{"type", "hello"}, {"version", m.version}};
  if (m.token) {
    j["token"] = *m.token;
  }
  if (m.server) {
    j["server"] = *m.server;
  }
  return j;
}

json encode(const Test& m) {
  json j = {{"type", "test"}, {"config", spec_to_json(m.spec)}};
  if (m.clock_ns) {
    j["clock_ns"] = *m.clock_ns;
  }
  if (!m.boot_id.empty()) {
    j["boot_id"] = m.boot_id;
  }
  if (m.rtt_ns != 0) {
    j["rtt_ns"] = m.rtt_ns;
  }
  if (m.pair) {
    j["pair"] = hex(*m.pair);
  }
  if (!m.fanout_ports.empty()) {
    j["fanout_ports"] = m.fanout_ports;
  }
  return j;
}

json encode(const Ready& m) {
  json j = {{"type", "ready"}, {"ports", m.ports}, {"clock", m.clock}};
  if (m.token) {
    j["token"] = hex(*m.token);
  }
  if (m.pair) {
    j["pair"] = hex(*m.pair);
  }
  return j;
}

json encode(const Registered& /*m*/) { return {{"type", "registered"}}; }

json encode(const Poll& /*m*/) { return {{"type", "poll"}}; }

json encode(const Live& m) {
  return {{"type", "live"},
          {"messages", m.totals.messages},
          {"bytes", m.totals.bytes},
          {"reordered", m.totals.reordered},
          {"duplicates", m.totals.duplicates},
          {"flows", m.totals.flows},
          {"finished_flows", m.totals.finished_flows},
          {"latency", base64(m.latency.serialize())}};
}

json encode(const Done& m) { return {{"type", "done"}, {"sent_by_flow", m.sent_by_flow}}; }

json encode(const Result& m) {
  return {{"type", "result"}, {"receiver", receiver_part_to_json(m.receiver)}, {"error", m.error}};
}

json encode(const Error& m) { return {{"type", "error"}, {"error", m.error}}; }

json encode(const Go& /*m*/) { return {{"type", "go"}}; }

json encode(const Stop& /*m*/) { return {{"type", "stop"}}; }

json encode(const Interval& m) {
  return {{"type", "interval"}, {"record", interval_to_json(m.record)}};
}

json encode(const Report& m) {
  return {{"type", "report"}, {"sender", sender_part_to_json(m.sender)}};
}

bool decode(const json& j, Hello& out, std::string& error) noexcept {
  return guarded(error, [&] {
    if (!check_type(j, "hello", error)) {
      return false;
    }
    const json* v = member(j, "version");
    if (v == nullptr || !v->is_number_integer() ||
        (v->is_number_unsigned()
             ? v->get<std::uint64_t>() > std::uint64_t{std::numeric_limits<int>::max()}
             : v->get<std::int64_t>() < std::numeric_limits<int>::min() ||
                   v->get<std::int64_t>() > std::numeric_limits<int>::max())) {
      return fail(error, "hello", "version",
                  v == nullptr ? "missing" : "must be an integer in int's range");
    }
    out.version = static_cast<int>(v->get<std::int64_t>());
    out.token.reset();
    out.server.reset();
    for (auto [key, field] : {std::pair{"token", &out.token}, std::pair{"server", &out.server}}) {
      if (const json* s = member(j, key)) {
        if (!s->is_string()) {
          return fail(error, "hello", key, "must be a string");
        }
        *field = s->get<std::string>();
      }
    }
    return true;
  });
}

bool decode(const json& j, Test& out, std::string& error) noexcept {
  return guarded(error, [&] {
    if (!check_type(j, "test", error)) {
      return false;
    }
    const json* config = member(j, "config");
    if (config == nullptr) {
      return fail(error, "test", "config", "missing");
    }
    if (!spec_from_json(*config, out.spec, error)) {
      return false;  // error names "config.FIELD"
    }
    out.clock_ns.reset();
    if (member(j, "clock_ns") != nullptr) {
      std::uint64_t clock = 0;
      if (!get_uint(j, "test", "clock_ns", clock, error)) {
        return false;
      }
      out.clock_ns = clock;
    }
    out.rtt_ns = 0;
    if (member(j, "rtt_ns") != nullptr && !get_uint(j, "test", "rtt_ns", out.rtt_ns, error)) {
      return false;
    }
    if (!get_optional_token(j, "test", "pair", out.pair, error)) {
      return false;
    }
    out.fanout_ports.clear();
    if (const json* ports = member(j, "fanout_ports")) {
      if (!out.spec.fanout() || !ports->is_array() || ports->size() != out.spec.flows) {
        return fail(error, "test", "fanout_ports",
                    "must be one port per flow, and only with a fan-out config");
      }
      for (std::size_t i = 0; i < ports->size(); ++i) {
        std::uint64_t port = 0;
        if (!to_uint(&(*ports)[i], kU16, port) || port == 0) {
          error =
              "test.fanout_ports[" + std::to_string(i) + "]: must be an integer from 1 to 65535";
          return false;
        }
        out.fanout_ports.push_back(static_cast<std::uint16_t>(port));
      }
    }
    out.boot_id.clear();
    return get_optional_string(j, "test", "boot_id", out.boot_id, error);
  });
}

bool decode(const json& j, Ready& out, std::string& error) noexcept {
  return guarded(error, [&] {
    if (!check_type(j, "ready", error)) {
      return false;
    }
    const json* ports = member(j, "ports");
    if (ports == nullptr || !ports->is_array() || ports->empty() ||
        ports->size() > kMaxReceiverFlows) {
      return fail(error, "ready", "ports",
                  "must be an array of 1 to " + std::to_string(kMaxReceiverFlows) + " ports");
    }
    out.ports.clear();
    for (std::size_t i = 0; i < ports->size(); ++i) {
      std::uint64_t port = 0;
      if (!to_uint(&(*ports)[i], kU16, port)) {
        error = "ready.ports[" + std::to_string(i) + "]: must be an integer from 0 to 65535";
        return false;
      }
      out.ports.push_back(static_cast<std::uint16_t>(port));
    }
    if (!get_optional_token(j, "ready", "token", out.token, error)) {
      return false;
    }
    if (!get_optional_token(j, "ready", "pair", out.pair, error)) {
      return false;
    }
    out.clock = "unknown";
    return get_optional_string(j, "ready", "clock", out.clock, error);
  });
}

bool decode(const json& j, Registered& /*out*/, std::string& error) noexcept {
  return guarded(error, [&] { return check_type(j, "registered", error); });
}

bool decode(const json& j, Poll& /*out*/, std::string& error) noexcept {
  return guarded(error, [&] { return check_type(j, "poll", error); });
}

bool decode(const json& j, Live& out, std::string& error) noexcept {
  return guarded(error, [&] {
    ReceiverLive& t = out.totals;
    if (!check_type(j, "live", error) || !get_uint(j, "live", "messages", t.messages, error) ||
        !get_uint(j, "live", "bytes", t.bytes, error) ||
        !get_uint(j, "live", "reordered", t.reordered, error) ||
        !get_uint(j, "live", "duplicates", t.duplicates, error) ||
        !get_uint(j, "live", "flows", t.flows, error) ||
        !get_uint(j, "live", "finished_flows", t.finished_flows, error)) {
      return false;
    }
    const json* latency = member(j, "latency");
    if (latency == nullptr || !latency->is_string()) {
      return fail(error, "live", "latency", "must be a base64 string");
    }
    const auto bytes = unbase64(latency->get_ref<const std::string&>());
    if (!bytes) {
      return fail(error, "live", "latency", "not canonical base64");
    }
    auto histogram = LatencyHistogram::deserialize(*bytes);
    if (!histogram) {
      return fail(error, "live", "latency", "not a valid histogram");
    }
    out.latency = std::move(*histogram);
    return true;
  });
}

bool decode(const json& j, Done& out, std::string& error) noexcept {
  return guarded(error, [&] {
    if (!check_type(j, "done", error)) {
      return false;
    }
    const json* sent = member(j, "sent_by_flow");
    if (sent == nullptr || !sent->is_array() || sent->size() > kMaxReceiverFlows) {
      return fail(error, "done", "sent_by_flow",
                  "must be an array of at most " + std::to_string(kMaxReceiverFlows) + " counts");
    }
    out.sent_by_flow.clear();
    for (std::size_t i = 0; i < sent->size(); ++i) {
      std::uint64_t n = 0;
      if (!to_uint(&(*sent)[i], kU64, n)) {
        error = "done.sent_by_flow[" + std::to_string(i) + "]: must be a non-negative integer";
        return false;
      }
      out.sent_by_flow.push_back(n);
    }
    return true;
  });
}

bool decode(const json& j, Result& out, std::string& error) noexcept {
  return guarded(error, [&] {
    if (!check_type(j, "result", error)) {
      return false;
    }
    const json* receiver = member(j, "receiver");
    if (receiver == nullptr) {
      return fail(error, "result", "receiver", "missing");
    }
    if (!receiver_part_from_json(*receiver, out.receiver, error)) {
      return false;  // error names the path inside "receiver"
    }
    out.error.clear();
    return get_optional_string(j, "result", "error", out.error, error);
  });
}

bool decode(const json& j, Error& out, std::string& error) noexcept {
  return guarded(error, [&] {
    if (!check_type(j, "error", error)) {
      return false;
    }
    const json* text = member(j, "error");
    if (text == nullptr || !text->is_string()) {
      return fail(error, "error", "error", text == nullptr ? "missing" : "must be a string");
    }
    out.error = text->get<std::string>();
    return true;
  });
}

bool decode(const json& j, Go& /*out*/, std::string& error) noexcept {
  return guarded(error, [&] { return check_type(j, "go", error); });
}

bool decode(const json& j, Stop& /*out*/, std::string& error) noexcept {
  return guarded(error, [&] { return check_type(j, "stop", error); });
}

bool decode(const json& j, Interval& out, std::string& error) noexcept {
  return guarded(error, [&] {
    if (!check_type(j, "interval", error)) {
      return false;
    }
    const json* record = member(j, "record");
    if (record == nullptr) {
      return fail(error, "interval", "record", "missing");
    }
    return interval_from_json(*record, out.record, error);
  });
}

bool decode(const json& j, Report& out, std::string& error) noexcept {
  return guarded(error, [&] {
    if (!check_type(j, "report", error)) {
      return false;
    }
    const json* sender = member(j, "sender");
    if (sender == nullptr) {
      return fail(error, "report", "sender", "missing");
    }
    return sender_part_from_json(*sender, out.sender, error);
  });
}

}  // namespace netbench::app
