#include "app/control/result_codec.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <exception>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "app/control/base64.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;

// ---- writing ----

/// JSON has no NaN or infinity; no receiver produces them, but never write null.
double finite_or_zero(double v) { return std::isfinite(v) ? v : 0.0; }

json distribution_to_json(const CountDistribution& d) {
  json buckets = json::array();
  for (std::size_t k = 0; k < CountDistribution::kBuckets; ++k) {
    if (d.buckets()[k] != 0) {
      buckets.push_back(json::array({k, d.buckets()[k]}));
    }
  }
  return {
      {"count", d.count()}, {"max", d.max()}, {"sum", d.sum()}, {"buckets", std::move(buckets)}};
}

json flow_to_json(const FlowRecvStats& f) {
  return {{"flow_id", f.flow_id},
          {"messages", f.messages},
          {"bytes", f.bytes},
          {"warmup_messages", f.warmup_messages},
          {"malformed", f.malformed},
          {"unique", f.unique},
          {"duplicates", f.duplicates},
          {"reordered", f.reordered},
          {"beyond_window", f.beyond_window},
          {"reorder_extents", distribution_to_json(f.reorder_extents)},
          {"loss",
           {{"sent", f.loss.sent},
            {"unique", f.loss.unique},
            {"lost", f.loss.lost},
            {"bursts", f.loss.bursts},
            {"burst_lengths", distribution_to_json(f.loss.burst_lengths)}}},
          {"jitter_ns", finite_or_zero(f.jitter_ns)},
          {"socket_drops", f.socket_drops},
          {"first_arrival_ns", f.first_arrival_ns},
          {"last_arrival_ns", f.last_arrival_ns},
          {"echoed_messages", f.echoed_messages},
          {"echoed_bytes", f.echoed_bytes},
          {"echo_failures", f.echo_failures},
          {"peer_closed", f.peer_closed},
          {"stream_error", f.stream_error}};
}

// ---- reading ----

/// A whole non-negative integer that fits 64 bits (a negative, fractional or
/// too large number, or any other type, is not one).
std::optional<std::uint64_t> as_u64(const json& v) {
  if (v.is_number_unsigned()) {
    return v.get<std::uint64_t>();
  }
  // A document built in C++ (not parsed) may hold small integers as signed.
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  }
  return std::nullopt;
}

std::string join(const std::string& at, std::string_view key) {
  return at.empty() ? std::string(key) : at + "." + std::string(key);
}

std::string indexed(const std::string& at, std::size_t i) {
  return at + "[" + std::to_string(i) + "]";
}

/// Reads typed fields out of JSON objects, checking each; the first failure
/// is kept in `error` as "path: what is wrong". Paths are built only on
/// failure or for nested objects, so a valid part costs few allocations.
class Reader {
 public:
  explicit Reader(std::string& error) : error_(error) {}

  bool fail(const std::string& path, std::string_view why) {
    error_ = path + ": " + std::string(why);
    return false;
  }

  /// `v` is an object, else fails naming `path`.
  bool object(const json& v, const std::string& path) {
    return v.is_object() || fail(path, "expected an object");
  }

  /// Member `key` of object `obj` (path `at`), or nullptr after failing.
  const json* find(const json& obj, const std::string& at, std::string_view key) {
    const auto it = obj.find(key);
    if (it == obj.end()) {
      fail(join(at, key), "missing");
      return nullptr;
    }
    return &*it;
  }

  bool u64(const json& obj, const std::string& at, std::string_view key, std::uint64_t& out) {
    const json* v = find(obj, at, key);
    if (v == nullptr) {
      return false;
    }
    const auto n = as_u64(*v);
    if (!n) {
      return fail(join(at, key), "expected an integer in [0, 2^64 - 1]");
    }
    out = *n;
    return true;
  }

  /// As u64, but an absent key leaves `out` as it is (a field that servers
  /// of an earlier version do not send).
  bool optional_u64(const json& obj, const std::string& at, std::string_view key,
                    std::uint64_t& out) {
    return !obj.contains(key) || u64(obj, at, key, out);
  }

  bool u32(const json& obj, const std::string& at, std::string_view key, std::uint32_t& out) {
    std::uint64_t n = 0;
    if (!u64(obj, at, key, n)) {
      return false;
    }
    if (n > UINT32_MAX) {
      return fail(join(at, key), "expected an integer in [0, 2^32 - 1]");
    }
    out = static_cast<std::uint32_t>(n);
    return true;
  }

  /// A finite number >= 0 (integer or not).
  bool number(const json& obj, const std::string& at, std::string_view key, double& out) {
    const json* v = find(obj, at, key);
    if (v == nullptr) {
      return false;
    }
    if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() < 0) {
      return fail(join(at, key), "expected a finite number >= 0");
    }
    out = v->get<double>();
    return true;
  }

  bool boolean(const json& obj, const std::string& at, std::string_view key, bool& out) {
    const json* v = find(obj, at, key);
    if (v == nullptr) {
      return false;
    }
    if (!v->is_boolean()) {
      return fail(join(at, key), "expected true or false");
    }
    out = v->get<bool>();
    return true;
  }

  bool distribution(const json& obj, const std::string& at, std::string_view key,
                    CountDistribution& out) {
    const json* v = find(obj, at, key);
    if (v == nullptr) {
      return false;
    }
    const std::string p = join(at, key);
    std::uint64_t count = 0;
    std::uint64_t max = 0;
    std::uint64_t sum = 0;
    if (!object(*v, p) || !u64(*v, p, "count", count) || !u64(*v, p, "max", max) ||
        !u64(*v, p, "sum", sum)) {
      return false;
    }
    const json* b = find(*v, p, "buckets");
    if (b == nullptr) {
      return false;
    }
    const std::string pb = p + ".buckets";
    if (!b->is_array()) {
      return fail(pb, "expected an array of [index, count] pairs");
    }
    if (b->size() > CountDistribution::kBuckets) {
      return fail(pb, "more than 65 buckets");
    }
    std::array<std::uint64_t, CountDistribution::kBuckets> buckets{};
    std::size_t lowest = 0;  // indices must rise: each bucket listed once
    std::size_t i = 0;
    for (const json& pair : *b) {
      if (!pair.is_array() || pair.size() != 2) {
        return fail(indexed(pb, i), "expected an [index, count] pair");
      }
      const auto k = as_u64(pair[0]);
      const auto n = as_u64(pair[1]);
      if (!k || *k < lowest || *k >= CountDistribution::kBuckets) {
        return fail(indexed(pb, i), "bucket index not rising or not in [0, 64]");
      }
      if (!n || *n == 0) {
        return fail(indexed(pb, i), "bucket count not an integer >= 1");
      }
      buckets[*k] = *n;
      lowest = static_cast<std::size_t>(*k) + 1;
      ++i;
    }
    const auto d = CountDistribution::from_parts(buckets, count, max, sum);
    if (!d) {
      return fail(p, "count, max, sum and buckets disagree");
    }
    out = *d;
    return true;
  }

  bool loss(const json& obj, const std::string& at, std::string_view key, LossReport& out) {
    const json* v = find(obj, at, key);
    if (v == nullptr) {
      return false;
    }
    const std::string p = join(at, key);
    LossReport l;
    if (!object(*v, p) || !u64(*v, p, "sent", l.sent) || !u64(*v, p, "unique", l.unique) ||
        !u64(*v, p, "lost", l.lost) || !u64(*v, p, "bursts", l.bursts) ||
        !distribution(*v, p, "burst_lengths", l.burst_lengths)) {
      return false;
    }
    // What SequenceTracker::finalize() guarantees of every report.
    if (l.unique > l.sent) {
      return fail(p + ".unique", "more than sent");
    }
    if (l.lost != l.sent - l.unique) {
      return fail(p + ".lost", "not sent - unique");
    }
    if (l.bursts != l.burst_lengths.count()) {
      return fail(p + ".bursts", "not the count of burst_lengths");
    }
    out = l;
    return true;
  }

  bool flow(const json& v, const std::string& p, FlowRecvStats& f) {
    return object(v, p) && u32(v, p, "flow_id", f.flow_id) && u64(v, p, "messages", f.messages) &&
           u64(v, p, "bytes", f.bytes) && u64(v, p, "warmup_messages", f.warmup_messages) &&
           u64(v, p, "malformed", f.malformed) && u64(v, p, "unique", f.unique) &&
           u64(v, p, "duplicates", f.duplicates) && u64(v, p, "reordered", f.reordered) &&
           u64(v, p, "beyond_window", f.beyond_window) &&
           distribution(v, p, "reorder_extents", f.reorder_extents) && loss(v, p, "loss", f.loss) &&
           number(v, p, "jitter_ns", f.jitter_ns) && u64(v, p, "socket_drops", f.socket_drops) &&
           optional_u64(v, p, "first_arrival_ns", f.first_arrival_ns) &&
           optional_u64(v, p, "last_arrival_ns", f.last_arrival_ns) &&
           u64(v, p, "echoed_messages", f.echoed_messages) &&
           u64(v, p, "echoed_bytes", f.echoed_bytes) &&
           u64(v, p, "echo_failures", f.echo_failures) &&
           boolean(v, p, "peer_closed", f.peer_closed) &&
           boolean(v, p, "stream_error", f.stream_error);
  }

  bool side(const json& obj, std::string_view key, SideStats& s) {
    const json* v = find(obj, "", key);
    if (v == nullptr) {
      return false;
    }
    const std::string p(key);
    if (!object(*v, p)) {
      return false;
    }
    const json* cpu = find(*v, p, "cpu");
    const std::string pc = p + ".cpu";
    if (cpu == nullptr || !object(*cpu, pc) || !number(*cpu, pc, "user_s", s.cpu.user_s) ||
        !number(*cpu, pc, "sys_s", s.cpu.sys_s) ||
        !u64(*cpu, pc, "voluntary_switches", s.cpu.voluntary_switches) ||
        !u64(*cpu, pc, "involuntary_switches", s.cpu.involuntary_switches) ||
        !u64(*cpu, pc, "threads", s.cpu.threads)) {
      return false;
    }
    const json* loop = find(*v, p, "loop");
    const std::string pl = p + ".loop";
    if (loop == nullptr || !object(*loop, pl) || !u64(*loop, pl, "wakeups", s.loop.wakeups) ||
        !u64(*loop, pl, "ready_events", s.loop.ready_events)) {
      return false;
    }
    // Optional (an older server sends none): the congestion control in use.
    s.tcp_congestion.clear();
    if (v->contains("tcp_congestion")) {
      const json& c = (*v)["tcp_congestion"];
      if (!c.is_string() || c.get_ref<const std::string&>().size() > 64) {
        return fail(p + ".tcp_congestion", "expected a short string");
      }
      s.tcp_congestion = c.get<std::string>();
    }
    // Optional (a server of another model, or an older one, sends none):
    // the uring model's io_uring path.
    s.uring.reset();
    if (v->contains("uring")) {
      UringPath u;
      if (!uring((*v)["uring"], p + ".uring", u)) {
        return false;
      }
      s.uring = std::move(u);
    }
    return true;
  }

  bool short_string(const json& v, const std::string& path, std::string& out) {
    if (!v.is_string() || v.get_ref<const std::string&>().size() > 64) {
      return fail(path, "expected a short string");
    }
    out = v.get<std::string>();
    return true;
  }

  bool uring(const json& v, const std::string& p, UringPath& u) {
    if (!object(v, p)) {
      return false;
    }
    const json* setup = find(v, p, "setup");
    const json* features = find(v, p, "features");
    if (setup == nullptr || features == nullptr || !short_string(*setup, p + ".setup", u.setup) ||
        !boolean(v, p, "multishot_accept", u.multishot_accept) ||
        !boolean(v, p, "multishot_receive", u.multishot_receive) ||
        !boolean(v, p, "forced", u.forced)) {
      return false;
    }
    if (!features->is_array() || features->size() > 32) {
      return fail(p + ".features", "expected an array of at most 32 names");
    }
    for (const json& f : *features) {
      if (!short_string(f, p + ".features", u.features.emplace_back())) {
        return false;
      }
    }
    return true;
  }

  bool histogram(const json& obj, std::string_view key, LatencyHistogram& out) {
    const json* v = find(obj, "", key);
    if (v == nullptr) {
      return false;
    }
    const std::string p(key);
    if (!v->is_string()) {
      return fail(p, "expected a base64 string");
    }
    const auto bytes = unbase64(v->get_ref<const std::string&>());
    if (!bytes) {
      return fail(p, "not canonical base64");
    }
    auto h = LatencyHistogram::deserialize(*bytes);
    if (!h) {
      return fail(p, "not a serialized histogram (corrupt or truncated)");
    }
    out = std::move(*h);
    return true;
  }

 private:
  std::string& error_;
};

}  // namespace

json receiver_part_to_json(const RunResult& r) {
  json flows = json::array();
  for (const FlowRecvStats& f : r.receiver_flows) {
    flows.push_back(flow_to_json(f));
  }
  const CpuUsage& cpu = r.receiver.cpu;
  json out = {
      {"receiver_flows", std::move(flows)},
      {"receiver",
       {{"cpu",
         {{"user_s", finite_or_zero(cpu.user_s)},
          {"sys_s", finite_or_zero(cpu.sys_s)},
          {"voluntary_switches", cpu.voluntary_switches},
          {"involuntary_switches", cpu.involuntary_switches},
          {"threads", cpu.threads}}},
        {"loop",
         {{"wakeups", r.receiver.loop.wakeups}, {"ready_events", r.receiver.loop.ready_events}}}}},
      {"latency", base64(r.latency.serialize())},
      {"latency_from_actual", base64(r.latency_from_actual.serialize())},
      {"delay_variation", base64(r.delay_variation.serialize())}};
  if (!r.receiver.tcp_congestion.empty()) {
    out["receiver"]["tcp_congestion"] = r.receiver.tcp_congestion;
  }
  if (r.spec.mode == Mode::kConnect) {
    // The server's side of connect mode: its accepts and threads, and its
    // own listen queue counters (the client's namespace cannot see them).
    const ConnectStats& c = r.connect;
    out["connect"] = {{"server_accepts", c.server_accepts},
                      {"server_threads_started", c.server_threads_started}};
    if (c.kernel.valid) {
      out["connect"]["kernel"] = {{"listen_overflows", c.kernel.listen_overflows},
                                  {"listen_drops", c.kernel.listen_drops},
                                  {"syn_retransmits", c.kernel.syn_retransmits}};
    }
  }
  if (const auto& u = r.receiver.uring) {
    out["receiver"]["uring"] = {{"setup", u->setup},
                                {"multishot_accept", u->multishot_accept},
                                {"multishot_receive", u->multishot_receive},
                                {"forced", u->forced},
                                {"features", u->features}};
  }
  return out;
}

bool receiver_part_from_json(const json& j, RunResult& out, std::string& error) noexcept {
  try {
    Reader r(error);
    if (!j.is_object()) {
      return r.fail("receiver part", "expected an object");
    }
    const json* flows = r.find(j, "", "receiver_flows");
    if (flows == nullptr) {
      return false;
    }
    if (!flows->is_array()) {
      return r.fail("receiver_flows", "expected an array");
    }
    // Checked before anything is allocated for them.
    if (flows->size() > kMaxReceiverFlows) {
      return r.fail("receiver_flows", "more than " + std::to_string(kMaxReceiverFlows) +
                                          " flows (" + std::to_string(flows->size()) + ")");
    }
    std::vector<FlowRecvStats> recv_flows(flows->size());
    std::size_t i = 0;
    for (const json& f : *flows) {
      if (!r.flow(f, indexed("receiver_flows", i), recv_flows[i])) {
        return false;
      }
      ++i;
    }
    SideStats receiver;
    LatencyHistogram latency;
    LatencyHistogram latency_from_actual;
    LatencyHistogram delay_variation;
    if (!r.side(j, "receiver", receiver) || !r.histogram(j, "latency", latency) ||
        !r.histogram(j, "latency_from_actual", latency_from_actual) ||
        !r.histogram(j, "delay_variation", delay_variation)) {
      return false;
    }
    ConnectStats connect;
    if (const auto it = j.find("connect"); it != j.end()) {
      if (!r.object(*it, "connect") ||
          !r.u64(*it, "connect", "server_accepts", connect.server_accepts) ||
          !r.u64(*it, "connect", "server_threads_started", connect.server_threads_started)) {
        return false;
      }
      if (const auto k = it->find("kernel"); k != it->end()) {
        TcpStackCounters& c = connect.kernel;
        if (!r.object(*k, "connect.kernel") ||
            !r.u64(*k, "connect.kernel", "listen_overflows", c.listen_overflows) ||
            !r.u64(*k, "connect.kernel", "listen_drops", c.listen_drops) ||
            !r.u64(*k, "connect.kernel", "syn_retransmits", c.syn_retransmits)) {
          return false;
        }
        c.valid = true;
      }
    }
    // Only now, so that a failure leaves `out` as it was.
    out.connect.server_accepts = connect.server_accepts;
    out.connect.server_threads_started = connect.server_threads_started;
    out.connect.kernel = connect.kernel;
    out.receiver_flows = std::move(recv_flows);
    out.receiver = receiver;
    out.latency = std::move(latency);
    out.latency_from_actual = std::move(latency_from_actual);
    out.delay_variation = std::move(delay_variation);
    error.clear();
    return true;
  } catch (const std::exception& e) {
    // Only allocation can fail here; report it rather than let it escape.
    error = std::string("receiver part: ") + e.what();
    return false;
  }
}

}  // namespace netbench::app
