#include "app/compare/compare_input.hpp"

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "app/report/metrics.hpp"

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

PointSamples samples_of(const json& config, const std::vector<const json*>& runs) {
  PointSamples p;
  for (const char* f : kKeyFields) {
    p.key += std::string(f) + "=" + (config.contains(f) ? text_of(config[f]) : "?") + ";";
  }
  const auto field = [&config](const char* f) {
    return config.contains(f) ? text_of(config[f]) : std::string("?");
  };
  const double rate =
      config.contains("rate_msgs_per_s") ? config["rate_msgs_per_s"].get<double>() : 0;
  p.label = field("proto") + " " + field("model") + " " + field("mode") +
            " flows=" + field("flows") + " size=" + field("size_bytes");
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

/// A run object or a "repeated" object → its point, if any run completed.
void add_entry(const json& entry, std::vector<PointSamples>& out) {
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
  PointSamples p = samples_of((*runs.front())["config"], runs);
  if (p.repetitions > 0) {
    out.push_back(std::move(p));
  }
}

}  // namespace

CompareInput read_compare_input(const json& doc, const std::string& name) {
  if (!doc.is_object() || !doc.contains("schema") || !doc["schema"].is_string() ||
      !doc["schema"].get<std::string>().starts_with("netbench/")) {
    throw std::runtime_error(name +
                             " is not a netbench document (no \"schema\": \"netbench/...\")");
  }
  CompareInput in;
  in.name = name;
  if (doc.contains("runs") && doc["runs"].is_array()) {
    for (const json& entry : doc["runs"]) {
      add_entry(entry, in.points);
    }
  } else if (doc.contains("run") || doc.contains("repeated")) {
    add_entry(doc, in.points);
  } else {
    throw std::runtime_error(name + " holds no run" +
                             (doc.contains("error") ? ": " + text_of(doc["error"]) : ""));
  }
  return in;
}

CompareInput load_compare_input(const std::string& path) {
  std::ifstream f(path);
  if (!f) {
    throw std::runtime_error("cannot open " + path);
  }
  json doc = json::parse(f, nullptr, false);
  if (doc.is_discarded()) {
    throw std::runtime_error(path + " is not valid JSON");
  }
  return read_compare_input(doc, path);
}

}  // namespace netbench::app
