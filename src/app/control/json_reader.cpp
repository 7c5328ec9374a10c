#include "app/control/json_reader.hpp"

#include <array>
#include <cmath>
#include <utility>

#include "app/control/base64.hpp"

namespace netbench::app::codec {

using nlohmann::json;

// ---- writing ----

double finite_or_zero(double v) noexcept { return std::isfinite(v) ? v : 0.0; }

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

json loss_to_json(const LossReport& l) {
  return {{"sent", l.sent},
          {"unique", l.unique},
          {"lost", l.lost},
          {"bursts", l.bursts},
          {"burst_lengths", distribution_to_json(l.burst_lengths)}};
}

json cpu_to_json(const CpuUsage& c) {
  return {{"user_s", finite_or_zero(c.user_s)},
          {"sys_s", finite_or_zero(c.sys_s)},
          {"voluntary_switches", c.voluntary_switches},
          {"involuntary_switches", c.involuntary_switches},
          {"threads", c.threads}};
}

json side_to_json(const SideStats& s) {
  json out = {{"cpu", cpu_to_json(s.cpu)},
              {"loop", {{"wakeups", s.loop.wakeups}, {"ready_events", s.loop.ready_events}}}};
  if (!s.tcp_congestion.empty()) {
    out["tcp_congestion"] = s.tcp_congestion;
  }
  if (const auto& u = s.uring) {
    out["uring"] = {{"setup", u->setup},
                    {"multishot_accept", u->multishot_accept},
                    {"multishot_receive", u->multishot_receive},
                    {"forced", u->forced},
                    {"features", u->features}};
  }
  return out;
}

std::string histogram_to_json(const LatencyHistogram& h) { return base64(h.serialize()); }

// ---- reading ----

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

bool Reader::fail(const std::string& path, std::string_view why) {
  error_ = path + ": " + std::string(why);
  return false;
}

bool Reader::object(const json& v, const std::string& path) {
  return v.is_object() || fail(path, "expected an object");
}

const json* Reader::find(const json& obj, const std::string& at, std::string_view key) {
  const auto it = obj.find(key);
  if (it == obj.end()) {
    fail(join(at, key), "missing");
    return nullptr;
  }
  return &*it;
}

const json* Reader::array(const json& obj, const std::string& at, std::string_view key,
                          std::size_t max, std::string_view what) {
  const json* v = find(obj, at, key);
  if (v == nullptr) {
    return nullptr;
  }
  if (!v->is_array()) {
    fail(join(at, key), "expected an array");
    return nullptr;
  }
  if (v->size() > max) {
    fail(join(at, key), "more than " + std::to_string(max) + " " + std::string(what) + " (" +
                            std::to_string(v->size()) + ")");
    return nullptr;
  }
  return v;
}

bool Reader::u64(const json& obj, const std::string& at, std::string_view key, std::uint64_t& out) {
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

bool Reader::optional_u64(const json& obj, const std::string& at, std::string_view key,
                          std::uint64_t& out) {
  return !obj.contains(key) || u64(obj, at, key, out);
}

bool Reader::u32(const json& obj, const std::string& at, std::string_view key, std::uint32_t& out) {
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

bool Reader::i32(const json& obj, const std::string& at, std::string_view key, std::int32_t min,
                 std::int32_t& out) {
  const json* v = find(obj, at, key);
  if (v == nullptr) {
    return false;
  }
  // An unsigned number in range is also a signed one; a fraction is neither.
  const bool whole = v->is_number_integer();
  const bool in_range =
      whole && (v->is_number_unsigned()
                    ? v->get<std::uint64_t>() <= INT32_MAX
                    : v->get<std::int64_t>() >= min && v->get<std::int64_t>() <= INT32_MAX);
  if (!in_range) {
    return fail(join(at, key), "expected an integer in [" + std::to_string(min) + ", 2^31 - 1]");
  }
  out = static_cast<std::int32_t>(v->is_number_unsigned()
                                      ? static_cast<std::int64_t>(v->get<std::uint64_t>())
                                      : v->get<std::int64_t>());
  return true;
}

bool Reader::number(const json& obj, const std::string& at, std::string_view key, double& out) {
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

bool Reader::boolean(const json& obj, const std::string& at, std::string_view key, bool& out) {
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

bool Reader::string(const json& obj, const std::string& at, std::string_view key,
                    std::size_t max_chars, std::string& out) {
  const json* v = find(obj, at, key);
  if (v == nullptr) {
    return false;
  }
  if (!v->is_string()) {
    return fail(join(at, key), "expected a string");
  }
  if (v->get_ref<const std::string&>().size() > max_chars) {
    return fail(join(at, key), "longer than " + std::to_string(max_chars) + " bytes");
  }
  out = v->get<std::string>();
  return true;
}

bool Reader::distribution(const json& obj, const std::string& at, std::string_view key,
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

bool Reader::loss(const json& obj, const std::string& at, std::string_view key, LossReport& out) {
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

bool Reader::cpu(const json& v, const std::string& path, CpuUsage& out) {
  return object(v, path) && number(v, path, "user_s", out.user_s) &&
         number(v, path, "sys_s", out.sys_s) &&
         u64(v, path, "voluntary_switches", out.voluntary_switches) &&
         u64(v, path, "involuntary_switches", out.involuntary_switches) &&
         u64(v, path, "threads", out.threads);
}

bool Reader::side(const json& obj, std::string_view key, SideStats& s) {
  const json* v = find(obj, "", key);
  if (v == nullptr) {
    return false;
  }
  const std::string p(key);
  if (!object(*v, p)) {
    return false;
  }
  const json* c = find(*v, p, "cpu");
  if (c == nullptr || !cpu(*c, p + ".cpu", s.cpu)) {
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
    const json& tc = (*v)["tcp_congestion"];
    if (!tc.is_string() || tc.get_ref<const std::string&>().size() > 64) {
      return fail(p + ".tcp_congestion", "expected a short string");
    }
    s.tcp_congestion = tc.get<std::string>();
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

bool Reader::short_string(const json& v, const std::string& path, std::string& out) {
  if (!v.is_string() || v.get_ref<const std::string&>().size() > 64) {
    return fail(path, "expected a short string");
  }
  out = v.get<std::string>();
  return true;
}

bool Reader::uring(const json& v, const std::string& p, UringPath& u) {
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

bool Reader::histogram(const json& obj, const std::string& at, std::string_view key,
                       LatencyHistogram& out) {
  const json* v = find(obj, at, key);
  if (v == nullptr) {
    return false;
  }
  const std::string p = join(at, key);
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

}  // namespace netbench::app::codec
