#include "app/sweep/sweep_report.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "app/cli/units.hpp"
#include "app/report/json_report.hpp"
#include "app/report/repeated_report.hpp"
#include "netbench/summary.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;

const char* status_name(PointStatus s) {
  switch (s) {
    case PointStatus::kCompleted:
      return "ok";
    case PointStatus::kFailed:
      return "failed";
    case PointStatus::kIncomplete:
      return "incomplete";
    case PointStatus::kInterrupted:
      return "interrupted";
  }
  return "?";
}

std::string percent(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", ratio * 100.0);
  return buf;
}

}  // namespace

PointOutcome outcome_of(std::size_t point, std::string label, const RunResult& r,
                        PointStatus status) {
  const RunTotals t = summarize(r);
  PointOutcome o;
  o.point = point;
  o.label = std::move(label);
  o.spec = r.spec;
  o.status = status;
  o.error = status == PointStatus::kCompleted ? "" : r.error;
  o.msgs_per_s = t.received_msgs_per_s;
  o.bits_per_s = t.received_bytes_per_s * 8;
  o.p50_ns = r.latency.percentile(50);
  o.p99_ns = r.latency.percentile(99);
  o.lost = t.lost;
  o.loss_ratio = t.loss_ratio;
  o.receiver_cpu_per_msg_ns = t.receiver_cpu_per_msg_ns;
  return o;
}

PointOutcome repeated_outcome(std::size_t point, std::string label, const RepeatedRun& r,
                              PointStatus status) {
  PointOutcome o = outcome_of(point, std::move(label), r.repetitions.back(), status);
  o.error = r.error;
  std::vector<json> runs;
  for (const RunResult& rep : r.repetitions) {
    runs.push_back(run_json(rep));
  }
  const json agg = aggregates_json(runs);
  const auto median = [&agg](const char* name, double fallback) {
    return agg.contains(name) ? agg[name]["median"].get<double>() : fallback;
  };
  o.msgs_per_s = median("receiver_messages_per_s", o.msgs_per_s);
  o.bits_per_s = median("receiver_throughput_bps", o.bits_per_s);
  o.p50_ns = static_cast<std::uint64_t>(median("latency_p50_ns", static_cast<double>(o.p50_ns)));
  o.p99_ns = static_cast<std::uint64_t>(median("latency_p99_ns", static_cast<double>(o.p99_ns)));
  o.loss_ratio = median("loss_ratio", o.loss_ratio);
  o.receiver_cpu_per_msg_ns = median("receiver_cpu_per_message_ns", o.receiver_cpu_per_msg_ns);
  char buf[64];
  const json& m = agg.contains("receiver_messages_per_s") ? agg["receiver_messages_per_s"] : json();
  if (m.is_object() && m["n"].get<std::size_t>() >= 2 && m["mean"].get<double>() != 0) {
    const double half = (m["mean_ci"]["upper"].get<double>() - m["mean"].get<double>()) /
                        std::fabs(m["mean"].get<double>());
    std::snprintf(buf, sizeof buf, "\u00b1%.1f%% n=%zu", half * 100, r.repetitions.size());
  } else {
    std::snprintf(buf, sizeof buf, "n=%zu", r.repetitions.size());
  }
  o.spread = buf;
  return o;
}

PointOutcome failed_outcome(std::size_t point, std::string label, const TestSpec& spec,
                            std::string error) {
  PointOutcome o;
  o.point = point;
  o.label = std::move(label);
  o.spec = spec;
  o.status = PointStatus::kFailed;
  o.error = std::move(error);
  return o;
}

SweepDocument::SweepDocument(json matrix, std::size_t points, json repeat)
    : doc_(document(nullptr, "")) {
  doc_["sweep"] = {{"matrix", std::move(matrix)},
                   {"points", points},
                   {"completed", 0},
                   {"failed", 0},
                   {"interrupted", false}};
  if (!repeat.is_null()) {
    doc_["sweep"]["repeat"] = std::move(repeat);
  }
  doc_["runs"] = json::array();
}

void SweepDocument::append(json entry, PointStatus status) {
  doc_["runs"].push_back(std::move(entry));
  if (status == PointStatus::kCompleted) {
    doc_["sweep"]["completed"] = doc_["sweep"]["completed"].get<std::size_t>() + 1;
  } else if (status != PointStatus::kInterrupted) {
    doc_["sweep"]["failed"] = doc_["sweep"]["failed"].get<std::size_t>() + 1;
  }
}

void SweepDocument::add_run(std::size_t point, const RunResult& r, PointStatus status) {
  json entry = {{"point", point}, {"run", run_json(r)}};
  if (!r.complete && !r.error.empty()) {
    entry["error"] = r.error;
  }
  append(std::move(entry), status);
}

void SweepDocument::add_repeated(std::size_t point, const RepeatedRun& r, PointStatus status) {
  json entry = {{"point", point}, {"repeated", repeated_json(r)}};
  if (!r.error.empty()) {
    entry["error"] = r.error;
  }
  append(std::move(entry), status);
}

void SweepDocument::add_failure(std::size_t point, const TestSpec& spec, const std::string& error) {
  doc_["runs"].push_back({{"point", point}, {"config", config_json(spec)}, {"error", error}});
  doc_["sweep"]["failed"] = doc_["sweep"]["failed"].get<std::size_t>() + 1;
}

void SweepDocument::set_interrupted(const std::string& why) {
  doc_["sweep"]["interrupted"] = true;
  doc_["error"] = why;
}

std::string format_eta(std::uint64_t ns) {
  const std::uint64_t s = (ns + 500'000'000) / 1'000'000'000;
  char buf[48];
  if (s == 0) {
    return "<1s";
  }
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(s));
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%llum%02llus", static_cast<unsigned long long>(s / 60),
                  static_cast<unsigned long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lluh%02llum", static_cast<unsigned long long>(s / 3600),
                  static_cast<unsigned long long>(s / 60 % 60));
  }
  return buf;
}

std::string progress_line(const PointOutcome& o, std::size_t total,
                          std::optional<std::uint64_t> eta_ns) {
  // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, a false
  // positive) on the chained operator+ form.
  std::string line = "[";
  line += std::to_string(o.point + 1);
  line += '/';
  line += std::to_string(total);
  line += "] ";
  line += o.label;
  line += ": ";
  if (o.status == PointStatus::kFailed) {
    line += "failed: " + o.error;
  } else {
    line += format_count(o.msgs_per_s) + " msg/s";
    if (o.spec.full_stats()) {
      line += ", p99 " + format_ns(static_cast<double>(o.p99_ns));
    }
    if (o.lost > 0 && o.spec.full_stats()) {
      line += ", " + percent(o.loss_ratio) + " lost";
    }
    if (o.status == PointStatus::kInterrupted) {
      line += " (interrupted)";
    } else if (o.status == PointStatus::kIncomplete) {
      line += " (incomplete: " + o.error + ")";
    }
  }
  if (eta_ns) {
    line += " \u2014 ETA " + format_eta(*eta_ns);
  }
  return line;
}

void print_sweep_table(std::FILE* out, const std::vector<PointOutcome>& rows) {
  // --direction: the mode column says a point's direction too ("stream R",
  // "echo bidir"; a bidir row's figures are its forward direction's), and
  // widens only when some point is not forward.
  const bool directions = std::any_of(rows.begin(), rows.end(), [](const PointOutcome& o) {
    return o.spec.direction != Direction::kForward;
  });
  const int mode_width = directions ? 12 : 6;
  const auto mode_cell = [](const TestSpec& s) {
    std::string cell(to_string(s.mode));
    if (s.direction == Direction::kReverse) {
      cell += " R";
    } else if (s.direction == Direction::kBidir) {
      cell += " bidir";
    }
    return cell;
  };
  std::fprintf(out, "%5s  %-5s %-6s %-*s %6s %7s %8s %10s %13s %9s %9s %7s %9s  %s\n", "point",
               "proto", "model", mode_width, "mode", "flows", "size", "rate", "msg/s", "throughput",
               "p50", "p99", "lost", "cpu/msg", "status");
  for (const PointOutcome& o : rows) {
    const TestSpec& s = o.spec;
    const std::string rate = s.rate_msgs_per_s > 0 ? format_count(s.rate_msgs_per_s) : "-";
    const bool ran = o.status != PointStatus::kFailed;
    const auto or_dash = [ran](const std::string& text) { return ran ? text : std::string("-"); };
    // --stats counts: latency and loss were not measured.
    const auto measured = [ran, &s](const std::string& text) {
      return ran && s.full_stats() ? text : std::string("-");
    };
    std::fprintf(
        out, "%5zu  %-5s %-6s %-*s %6u %7u %8s %10s %13s %9s %9s %7s %9s  %s\n", o.point + 1,
        std::string(to_string(s.proto)).c_str(), std::string(to_string(s.model)).c_str(),
        mode_width, mode_cell(s).c_str(), s.flows, s.message_bytes(), rate.c_str(),
        or_dash(format_count(o.msgs_per_s)).c_str(),
        or_dash(format_bits_per_second(o.bits_per_s / 8)).c_str(),
        measured(format_ns(static_cast<double>(o.p50_ns))).c_str(),
        measured(format_ns(static_cast<double>(o.p99_ns))).c_str(),
        measured(percent(o.loss_ratio)).c_str(),
        or_dash(format_ns(o.receiver_cpu_per_msg_ns)).c_str(),
        (std::string(status_name(o.status)) + (o.spread.empty() ? "" : " " + o.spread)).c_str());
  }
  for (const PointOutcome& o : rows) {
    if (o.status != PointStatus::kCompleted) {
      std::fprintf(out, "point %zu (%s): %s\n", o.point + 1, o.label.c_str(), o.error.c_str());
    }
  }
}

}  // namespace netbench::app
