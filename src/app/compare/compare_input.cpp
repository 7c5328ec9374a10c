#include "app/compare/compare_input.hpp"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <stdexcept>
#include <string_view>

#include "app/report/metrics.hpp"
#include "app/report/read_document.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;

std::string text_of(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

/// The configuration keys that make two points the same load; duration,
/// count, warm-up and interval may differ between the documents.
constexpr const char* kKeyFields[] = {"proto",       "model",   "mode",       "pattern",
                                      "family",      "flows",   "size_bytes", "rate_msgs_per_s",
                                      "outstanding", "threads", "batch",      "busy_poll",
                                      "gso",         "stats",   "coalesce_ns"};

bool filtered_on(const PointFilter& filter, std::string_view key) {
  return std::any_of(filter.equals.begin(), filter.equals.end(),
                     [key](const auto& kv) { return kv.first == key; });
}

bool kept_by(const PointFilter& filter, const json& config) {
  return std::all_of(filter.equals.begin(), filter.equals.end(), [&config](const auto& kv) {
    return config.contains(kv.first) && text_of(config[kv.first]) == kv.second;
  });
}

/// Socket knobs: absent from documents before they existed, null when not
/// given; both mean the system default, so they match each other.
constexpr const char* kKnobFields[] = {"congestion", "tos", "mss_bytes", "fq_rate_bps"};

PointSamples samples_of(const json& config, const std::vector<const json*>& runs,
                        const PointFilter& filter) {
  PointSamples p;
  for (const char* f : kKeyFields) {
    if (!filtered_on(filter, f)) {
      p.key += std::string(f) + "=" + (config.contains(f) ? text_of(config[f]) : "?") + ";";
    }
  }
  for (const char* f : kKnobFields) {
    const bool given = config.contains(f) && !config[f].is_null();
    p.key += std::string(f) + "=" + (given ? text_of(config[f]) : "default") + ";";
  }
  const auto field = [&config](const char* f) {
    return config.contains(f) ? text_of(config[f]) : std::string("?");
  };
  const double rate =
      config.contains("rate_msgs_per_s") ? config["rate_msgs_per_s"].get<double>() : 0;
  for (const char* f : {"proto", "model", "mode"}) {
    if (!filtered_on(filter, f)) {
      p.label += (p.label.empty() ? "" : " ") + field(f);
    }
  }
  p.label += " flows=" + field("flows") + " size=" + field("size_bytes");
  if (rate > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", rate);
    p.label += std::string(" rate=") + buf;
  }
  for (const json* run : runs) {
    if (!(*run).value("complete", false)) {
      continue;
    }
    ++p.repetitions;
    for (const MetricDef& m : metrics()) {
      if (const auto v = metric_value(*run, m)) {
        p.values[m.name].push_back(*v);
      }
    }
  }
  return p;
}

/// A run object or a "repeated" object → its point, if any run completed
/// and `filter` keeps it.
void add_entry(const json& entry, const PointFilter& filter, std::vector<PointSamples>& out) {
  std::vector<const json*> runs;
  if (entry.contains("run") && entry["run"].is_object()) {
    runs.push_back(&entry["run"]);
  } else if (entry.contains("repeated") && entry["repeated"].is_object()) {
    for (const json& r : entry["repeated"]["repetitions"]) {
      runs.push_back(&r);
    }
  }
  if (runs.empty() || !runs.front()->contains("config")) {
    return;
  }
  const json& config = (*runs.front())["config"];
  if (!kept_by(filter, config)) {
    return;
  }
  PointSamples p = samples_of(config, runs, filter);
  if (p.repetitions > 0) {
    out.push_back(std::move(p));
  }
}

}  // namespace

std::optional<PointFilter> PointFilter::parse(const std::string& text, std::string& error) {
  PointFilter f;
  std::size_t at = 0;
  while (at <= text.size() && !text.empty()) {
    const std::size_t end = std::min(text.find(',', at), text.size());
    const std::string part = text.substr(at, end - at);
    const std::size_t eq = part.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == part.size()) {
      error = "'" + part + "' is not KEY=VALUE (e.g. model=select)";
      return std::nullopt;
    }
    const std::string key = part.substr(0, eq);
    if (std::none_of(std::begin(kKeyFields), std::end(kKeyFields),
                     [&key](const char* k) { return key == k; })) {
      std::string known;
      for (const char* k : kKeyFields) {
        known += (known.empty() ? "" : ", ") + std::string(k);
      }
      error = "'" + key + "' is not a configuration key points are matched on (" + known + ")";
      return std::nullopt;
    }
    f.equals.emplace_back(key, part.substr(eq + 1));
    at = end + 1;
  }
  return f;
}

std::string PointFilter::text() const {
  std::string out;
  for (const auto& [k, v] : equals) {
    out += (out.empty() ? "" : ",") + k + "=" + v;
  }
  return out;
}

CompareInput read_compare_input(const json& doc, const std::string& name,
                                const PointFilter& filter) {
  if (!doc.is_object() || !doc.contains("schema") || !doc["schema"].is_string() ||
      !doc["schema"].get<std::string>().starts_with("netbench/")) {
    throw std::runtime_error(name +
                             " is not a netbench document (no \"schema\": \"netbench/...\")");
  }
  CompareInput in;
  in.name = filter.equals.empty() ? name : name + " [" + filter.text() + "]";
  if (doc.contains("runs") && doc["runs"].is_array()) {
    for (const json& entry : doc["runs"]) {
      add_entry(entry, filter, in.points);
    }
  } else if (doc.contains("run") || doc.contains("repeated")) {
    add_entry(doc, filter, in.points);
  } else {
    throw std::runtime_error(name + " holds no run" +
                             (doc.contains("error") ? ": " + text_of(doc["error"]) : ""));
  }
  return in;
}

CompareInput load_compare_input(const std::string& path, const PointFilter& filter) {
  return read_compare_input(read_document(path), path, filter);
}

}  // namespace netbench::app
