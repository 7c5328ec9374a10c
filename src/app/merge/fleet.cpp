#include "app/merge/fleet.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <string_view>

#include "app/control/base64.hpp"
#include "measure/saturating.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;

/// Run-object fields summed into FleetTotals (JSON pointer, member).
struct CountField {
  const char* pointer;
  std::uint64_t FleetTotals::*member;
};
constexpr std::array<CountField, 10> kCounts{{
    {"/sender/messages", &FleetTotals::sent_messages},
    {"/sender/bytes", &FleetTotals::sent_bytes},
    {"/sender/warmup_messages", &FleetTotals::warmup_sent},
    {"/sender/send_failures", &FleetTotals::send_failures},
    {"/receiver/messages", &FleetTotals::received_messages},
    {"/receiver/bytes", &FleetTotals::received_bytes},
    {"/receiver/unique", &FleetTotals::unique},
    {"/receiver/duplicates", &FleetTotals::duplicates},
    {"/receiver/reordered", &FleetTotals::reordered},
    {"/receiver/malformed", &FleetTotals::malformed},
}};

/// The value at `pointer` in `j` when it is a number, else nullopt (absent,
/// or null: not measured).
const json* at(const json& j, const char* pointer) {
  const json::json_pointer p(pointer);
  return j.contains(p) ? &j[p] : nullptr;
}

std::uint64_t u64_at(const json& j, const char* pointer) {
  const json* v = at(j, pointer);
  return v != nullptr && v->is_number_unsigned() ? v->get<std::uint64_t>() : 0;
}

double number_at(const json& j, const char* pointer) {
  const json* v = at(j, pointer);
  return v != nullptr && v->is_number() ? v->get<double>() : 0.0;
}

std::string text_of(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

/// The run object of a single-run document; MergeError otherwise.
const json& run_of(const FleetInput& in) {
  const json& d = in.doc;
  if (!d.is_object() || !d.contains("schema") || !d["schema"].is_string() ||
      !d["schema"].get<std::string>().starts_with("netbench/")) {
    throw MergeError(in.name + " is not a netbench document (no \"schema\": \"netbench/...\")");
  }
  if (d.contains("fleet")) {
    throw MergeError(in.name +
                     " is already a merged fleet document: merge the runs it was made of");
  }
  if (d.contains("runs") || d.contains("repeated")) {
    throw MergeError(in.name + " is a " + (d.contains("runs") ? "sweep" : "--repeat") +
                     " document: merge takes single-run documents (one per client of the plan)");
  }
  if (!d.contains("run") || !d["run"].is_object() || !d["run"].contains("config")) {
    throw MergeError(in.name + " holds no run" +
                     (d.contains("error") ? ": " + text_of(d["error"]) : std::string()));
  }
  return d["run"];
}

/// The one-way clock of a run ("" for echo runs, whose RTT needs none).
std::string clock_of(const json& run) {
  const json* c = at(run, "/latency/clock");
  return c != nullptr && c->is_string() ? c->get<std::string>() : std::string();
}

/// The histogram at `pointer` (a latency object), decoded; MergeError when
/// absent or malformed.
LatencyHistogram histogram_at(const FleetInput& in, const json& run, const std::string& pointer) {
  const json* h = at(run, (pointer + "/histogram_base64").c_str());
  if (h == nullptr || !h->is_string()) {
    throw MergeError(in.name + ": run" + pointer + " has no histogram_base64 to merge");
  }
  const auto bytes = unbase64(h->get<std::string>());
  std::optional<LatencyHistogram> decoded;
  if (bytes) {
    decoded = LatencyHistogram::deserialize(*bytes);
  }
  if (!decoded) {
    throw MergeError(in.name + ": run" + pointer +
                     "/histogram_base64 is not a netbench latency histogram");
  }
  return std::move(*decoded);
}

/// The host part of "host:port" or "[v6]:port".
std::string host_of(const std::string& address) {
  if (address.starts_with('[')) {
    const std::size_t close = address.find(']');
    return close == std::string::npos ? address : address.substr(1, close - 1);
  }
  const std::size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

void add_to_group(std::vector<FleetGroup>& groups, const std::string& name, const FleetRun& r,
                  const json& run) {
  auto it = std::find_if(groups.begin(), groups.end(),
                         [&name](const FleetGroup& g) { return g.name == name; });
  if (it == groups.end()) {
    groups.push_back(FleetGroup{name, 0, 0, 0, 0, 0});
    it = groups.end() - 1;
  }
  ++it->runs;
  it->sent_messages = add_saturating(it->sent_messages, u64_at(run, "/sender/messages"));
  it->received_messages = add_saturating(it->received_messages, u64_at(run, "/receiver/messages"));
  it->received_bytes = add_saturating(it->received_bytes, u64_at(run, "/receiver/bytes"));
  it->received_bps += r.throughput_bps;
}

}  // namespace

std::string base_name(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

double FleetTotals::loss_ratio() const noexcept {
  if (!lost || sent_messages == 0) {
    return 0;
  }
  return std::min(1.0, static_cast<double>(*lost) / static_cast<double>(sent_messages));
}

bool fleet_key_may_differ(const std::string& key) noexcept {
  static constexpr std::array<std::string_view, 5> kFree{"bind", "port", "sender_cpus",
                                                         "receiver_cpus", "per_flow"};
  return std::find(kFree.begin(), kFree.end(), key) != kFree.end();
}

std::vector<std::string> fleet_mismatches(const std::vector<FleetInput>& inputs) {
  std::vector<std::string> out;
  if (inputs.empty()) {
    return out;
  }
  const json& first = run_of(inputs.front());
  const json& base = first["config"];
  std::map<std::string, bool> reported;
  const auto report = [&](const std::string& key, const std::string& a, const FleetInput& other,
                          const std::string& b) {
    if (!reported[key]) {
      reported[key] = true;
      out.push_back(key + ": " + inputs.front().name + " has " + a + ", " + other.name + " has " +
                    b);
    }
  };
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    const json& run = run_of(inputs[i]);
    const json& config = run["config"];
    // Every key of either side, so that a key one document lacks is named too.
    std::vector<std::string> keys;
    for (const auto& [k, v] : base.items()) {
      keys.push_back(k);
    }
    for (const auto& [k, v] : config.items()) {
      if (!base.contains(k)) {
        keys.push_back(k);
      }
    }
    for (const std::string& k : keys) {
      if (fleet_key_may_differ(k)) {
        continue;
      }
      const json a = base.contains(k) ? base[k] : json("(absent)");
      const json b = config.contains(k) ? config[k] : json("(absent)");
      if (a != b) {
        report(k, text_of(a), inputs[i], text_of(b));
      }
    }
    if (clock_of(first) != clock_of(run)) {
      report("latency clock", "'" + clock_of(first) + "'", inputs[i], "'" + clock_of(run) + "'");
    }
  }
  return out;
}

Fleet merge_fleet(const std::vector<FleetInput>& inputs, bool force) {
  if (inputs.size() < 2) {
    throw MergeError("merge needs at least two documents (one per run of the plan)");
  }
  Fleet f;
  f.forced = force;
  for (const FleetInput& in : inputs) {
    const json& run = run_of(in);
    if (!run.value("complete", false)) {
      const std::string why =
          in.name + " is an incomplete run (" + text_of(run.value("error", json(""))) + ")";
      if (!force) {
        throw MergeError(why + ": its counts stop early; give --force to merge it anyway");
      }
      f.warnings.push_back("merged despite --force: " + why);
    }
  }
  f.mismatches = fleet_mismatches(inputs);
  if (!f.mismatches.empty()) {
    if (!force) {
      throw MergeError("the runs are not of one test plan: " + f.mismatches.front() +
                       (f.mismatches.size() > 1
                            ? " (and " + std::to_string(f.mismatches.size() - 1) + " more)"
                            : std::string()) +
                       "; give --force to merge them anyway");
    }
    for (const std::string& m : f.mismatches) {
      f.warnings.push_back("merged despite --force: configurations differ in " + m);
    }
  }
  const json& first = run_of(inputs.front());
  f.config = first["config"];
  f.clock = clock_of(first);
  f.latency_kind = f.config.value("mode", "stream") == "echo" ? "rtt" : "one_way_delay";
  f.latency_measured = std::all_of(inputs.begin(), inputs.end(), [](const FleetInput& in) {
    return run_of(in).contains("latency") && run_of(in)["latency"].is_object();
  });
  // Delay variation exists for stream runs only (a forced merge of stream
  // and echo runs has none to pool).
  if (f.latency_measured && std::all_of(inputs.begin(), inputs.end(), [](const FleetInput& in) {
        const json* v = at(run_of(in), "/latency/delay_variation");
        return v != nullptr && v->is_object();
      })) {
    f.delay_variation.emplace();
  }
  bool all_lost = true;
  std::uint64_t lost = 0;
  std::vector<double> throughputs;
  std::vector<double> p99s;
  std::vector<double> skews;
  for (const FleetInput& in : inputs) {
    const json& run = run_of(in);
    FleetRun r;
    r.name = in.name;
    r.hostname = in.doc.contains("host") ? in.doc["host"].value("hostname", "") : "";
    const json* peer = at(run, "/peer/address");
    r.peer = peer != nullptr && peer->is_string() ? peer->get<std::string>() : "";
    r.throughput_bps = number_at(run, "/receiver/throughput_bps");
    r.messages_per_s = number_at(run, "/receiver/messages_per_s");
    for (const CountField& c : kCounts) {
      f.totals.*c.member = add_saturating(f.totals.*c.member, u64_at(run, c.pointer));
    }
    const json* l = at(run, "/receiver/loss/lost");
    if (l != nullptr && l->is_number_unsigned()) {
      lost = add_saturating(lost, l->get<std::uint64_t>());
    } else {
      all_lost = false;
    }
    f.totals.sent_bps += number_at(run, "/sender/throughput_bps");
    f.totals.sent_msgs_per_s += number_at(run, "/sender/messages_per_s");
    f.totals.received_bps += r.throughput_bps;
    f.totals.received_msgs_per_s += r.messages_per_s;
    if (f.latency_measured) {
      // Exact: every histogram has the same fixed layout, so the merged
      // one holds the union of the samples (LatencyHistogram::merge).
      const LatencyHistogram h = histogram_at(in, run, "/latency/from_intended_send");
      f.latency.merge(h);
      f.latency_from_actual.merge(histogram_at(in, run, "/latency/from_actual_send"));
      if (f.delay_variation) {
        f.delay_variation->merge(histogram_at(in, run, "/latency/delay_variation"));
      }
      if (h.count() > 0) {
        r.p99_ns = h.percentile(99);
        p99s.push_back(static_cast<double>(*r.p99_ns));
      }
    }
    const json* start = at(run, "/start");
    if (start != nullptr && start->is_object()) {
      r.start_requested_unix_ns = u64_at(*start, "/requested_unix_ns");
      r.start_skew_ns = u64_at(*start, "/skew_ns");
      skews.push_back(static_cast<double>(*r.start_skew_ns));
    }
    throughputs.push_back(r.throughput_bps);
    r.run = run;
    add_to_group(f.hosts, r.hostname, r, run);
    add_to_group(f.peers, r.peer.empty() ? std::string("(this host)") : host_of(r.peer), r, run);
    f.runs.push_back(std::move(r));
  }
  if (all_lost) {
    f.totals.lost = lost;
  }
  f.throughput_spread = distribution_of(throughputs);
  f.jain_fairness = jain_fairness(throughputs);
  if (!p99s.empty()) {
    f.p99_spread = distribution_of(p99s);
  }
  if (!skews.empty()) {
    f.skew_spread = distribution_of(skews);
  }
  // A fleet whose runs did not start together measured something else
  // than the plan: say so.
  const auto started = static_cast<std::size_t>(std::count_if(
      f.runs.begin(), f.runs.end(), [](const FleetRun& r) { return r.start_skew_ns.has_value(); }));
  if (started != 0 && started != f.runs.size()) {
    f.warnings.push_back(std::to_string(f.runs.size() - started) + " of " +
                         std::to_string(f.runs.size()) +
                         " runs had no --start-at: they did not start together with the others");
  }
  for (const FleetRun& r : f.runs) {
    if (r.start_skew_ns && r.start_requested_unix_ns != f.runs.front().start_requested_unix_ns &&
        f.runs.front().start_skew_ns) {
      f.warnings.push_back(r.name + " was asked to start at another time than " +
                           f.runs.front().name + " (--start-at differs)");
    }
    for (const json& w : r.run.value("warnings", json::array())) {
      f.warnings.push_back(base_name(r.name) + ": " + text_of(w));
    }
  }
  return f;
}

}  // namespace netbench::app
