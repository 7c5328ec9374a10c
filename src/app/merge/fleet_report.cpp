#include "app/merge/fleet_report.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "app/cli/units.hpp"
#include "app/report/json_report.hpp"
#include "app/report/text_report.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;

double finite(double v) { return std::isfinite(v) ? v : 0.0; }

json distribution_json(const FlowDistribution& d) {
  return {{"min", finite(d.min)}, {"p5", finite(d.p5)},   {"median", finite(d.median)},
          {"p95", finite(d.p95)}, {"max", finite(d.max)}, {"mean", finite(d.mean)}};
}

json distribution_json(const std::optional<FlowDistribution>& d) {
  return d ? distribution_json(*d) : json(nullptr);
}

json groups_json(const std::vector<FleetGroup>& groups) {
  json out = json::array();
  for (const FleetGroup& g : groups) {
    out.push_back({{"name", g.name},
                   {"runs", g.runs},
                   {"sent_messages", g.sent_messages},
                   {"received_messages", g.received_messages},
                   {"received_bytes", g.received_bytes},
                   {"received_bps", finite(g.received_bps)}});
  }
  return out;
}

json optional_u64(const std::optional<std::uint64_t>& v) { return v ? json(*v) : json(nullptr); }

std::string u64(std::uint64_t v) { return format_grouped(v); }

std::string bps(double bits) { return format_bits_per_second(bits / 8.0); }

std::string spread_text(const FlowDistribution& d, std::string (*format)(double)) {
  return "min " + format(d.min) + "  p5 " + format(d.p5) + "  median " + format(d.median) +
         "  p95 " + format(d.p95) + "  max " + format(d.max);
}

std::string ns_text(double ns) { return format_ns(ns); }

void row(std::FILE* out, const char* name, const std::string& sender, const std::string& receiver) {
  std::fprintf(out, "  %-22s %-22s %s\n", name, sender.c_str(), receiver.c_str());
}

}  // namespace

json fleet_json(const Fleet& f) {
  const FleetTotals& t = f.totals;
  json latency = nullptr;
  if (f.latency_measured) {
    latency = {{"kind", f.latency_kind},
               {"clock", f.clock},
               {"from_intended_send", latency_summary_json(f.latency)},
               {"from_actual_send", latency_summary_json(f.latency_from_actual)}};
    if (f.delay_variation) {
      latency["delay_variation"] = latency_summary_json(*f.delay_variation);
    }
  }
  json runs = json::array();
  for (const FleetRun& r : f.runs) {
    runs.push_back({{"file", r.name},
                    {"hostname", r.hostname},
                    {"peer", r.peer.empty() ? json(nullptr) : json(r.peer)},
                    {"throughput_bps", finite(r.throughput_bps)},
                    {"messages_per_s", finite(r.messages_per_s)},
                    {"latency_p99_ns", optional_u64(r.p99_ns)},
                    {"start_skew_ns", optional_u64(r.start_skew_ns)},
                    {"run", r.run}});
  }
  const bool common_start = !f.runs.empty() && f.runs.front().start_skew_ns &&
                            std::all_of(f.runs.begin(), f.runs.end(), [&f](const FleetRun& r) {
                              return r.start_skew_ns && r.start_requested_unix_ns ==
                                                            f.runs.front().start_requested_unix_ns;
                            });
  return {
      {"runs", f.runs.size()},
      {"config", f.config},
      {"forced", f.forced},
      {"mismatches", f.mismatches},
      {"start",
       {{"requested_unix_ns",
         common_start ? json(f.runs.front().start_requested_unix_ns) : json(nullptr)},
        {"skew_ns", distribution_json(f.skew_spread)}}},
      {"sender",
       {{"messages", t.sent_messages},
        {"bytes", t.sent_bytes},
        {"warmup_messages", t.warmup_sent},
        {"send_failures", t.send_failures},
        {"throughput_bps", finite(t.sent_bps)},
        {"messages_per_s", finite(t.sent_msgs_per_s)}}},
      {"receiver",
       {{"messages", t.received_messages},
        {"bytes", t.received_bytes},
        {"unique", t.unique},
        {"duplicates", t.duplicates},
        {"reordered", t.reordered},
        {"malformed", t.malformed},
        {"lost", optional_u64(t.lost)},
        {"loss_ratio", t.lost ? json(finite(t.loss_ratio())) : json(nullptr)},
        {"throughput_bps", finite(t.received_bps)},
        {"messages_per_s", finite(t.received_msgs_per_s)}}},
      {"latency", latency},
      {"spread",
       {{"throughput_bps", distribution_json(f.throughput_spread)},
        {"jain_fairness", finite(f.jain_fairness)},
        {"latency_p99_ns", distribution_json(f.p99_spread)}}},
      {"hosts", groups_json(f.hosts)},
      {"peers", groups_json(f.peers)},
      {"per_run", runs},
      {"warnings", f.warnings},
  };
}

json fleet_document(const Fleet& f) {
  json doc = document(nullptr, "");
  doc["fleet"] = fleet_json(f);
  return doc;
}

void print_fleet_summary(std::FILE* out, const Fleet& f) {
  const json& c = f.config;
  const auto field = [&c](const char* k) {
    return c.contains(k) ? (c[k].is_string() ? c[k].get<std::string>() : c[k].dump()) : "?";
  };
  const double rate = c.value("rate_msgs_per_s", 0.0);
  const std::uint64_t duration = c.value("duration_ns", std::uint64_t{0});
  const std::uint64_t count = c.value("count_messages", std::uint64_t{0});
  const auto plural = [](std::size_t n, const char* what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
  };
  const std::string length =
      count > 0 ? u64(count) + " messages" : format_ns(static_cast<double>(duration));
  const std::string rate_text =
      rate > 0 ? format_count(rate) + " msg/s per run" : std::string("unlimited rate");
  std::fprintf(
      out, "netbench merge: %s from %s to %s: %s %s, model %s, %s flow%s, %s B messages, %s, %s\n",
      plural(f.runs.size(), "run").c_str(), plural(f.hosts.size(), "host").c_str(),
      plural(f.peers.size(), "receiver").c_str(), field("proto").c_str(), field("mode").c_str(),
      field("model").c_str(), field("flows").c_str(), field("flows") == "1" ? "" : "s",
      field("size_bytes").c_str(), rate_text.c_str(), length.c_str());
  if (f.skew_spread) {
    // The time of the runs that had one: the same for all of them, or not.
    std::optional<std::uint64_t> common;
    bool same = true;
    std::size_t with = 0;
    for (const FleetRun& r : f.runs) {
      if (r.start_skew_ns) {
        ++with;
        same = same && (!common || *common == r.start_requested_unix_ns);
        common = r.start_requested_unix_ns;
      }
    }
    std::fprintf(out, "  start: %s (--start-at of %zu of %zu runs), skew %s\n",
                 same ? format_wall_time(*common).c_str() : "differs between runs", with,
                 f.runs.size(), spread_text(*f.skew_spread, ns_text).c_str());
  }
  std::fprintf(out, "\nFleet summary over %zu runs%s\n", f.runs.size(),
               f.forced ? " (FORCED: see the warnings)" : "");
  if (!f.clock.empty() && f.latency_kind == "one_way_delay") {
    std::fprintf(out, "  clock: %s\n", f.clock.c_str());
  }
  const FleetTotals& t = f.totals;
  row(out, "", "sender", f.latency_kind == "rtt" ? "replies (at clients)" : "receiver");
  row(out, "messages", u64(t.sent_messages), u64(t.received_messages));
  row(out, "bytes", format_bytes(static_cast<double>(t.sent_bytes)),
      format_bytes(static_cast<double>(t.received_bytes)));
  row(out, "throughput (sum)", bps(t.sent_bps), bps(t.received_bps));
  row(out, "messages/s (sum)", format_count(t.sent_msgs_per_s),
      format_count(t.received_msgs_per_s));
  if (t.lost) {
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.4f%%", t.loss_ratio() * 100.0);
    std::fprintf(out, "  %-22s %s (%s)\n", "lost", u64(*t.lost).c_str(), ratio);
  }
  std::fprintf(out, "  %-22s %s reordered, %s duplicates, %s malformed\n", "ordering",
               u64(t.reordered).c_str(), u64(t.duplicates).c_str(), u64(t.malformed).c_str());
  if (f.latency_measured) {
    if (f.latency_kind == "rtt") {
      print_latency_line(out, rate > 0 ? "RTT (from intended)" : "RTT", f.latency);
    } else {
      print_latency_line(out, "one-way delay", f.latency_from_actual);
      if (rate > 0) {
        print_latency_line(out, "delay from intended", f.latency);
      }
      if (f.delay_variation) {
        print_latency_line(out, "delay variation |D|", *f.delay_variation);
      }
    }
  }
  std::fprintf(out, "  %-22s %s  Jain %.3f\n", "per-run throughput",
               spread_text(f.throughput_spread, [](double b) { return bps(b); }).c_str(),
               f.jain_fairness);
  if (f.p99_spread) {
    std::fprintf(out, "  %-22s %s\n", "per-run p99", spread_text(*f.p99_spread, ns_text).c_str());
  }
  std::fprintf(out, "\n  %-24s %-16s %-22s %14s %12s %10s %10s\n", "run", "host", "peer",
               "throughput", "msg/s", "p99", "skew");
  for (const FleetRun& r : f.runs) {
    std::fprintf(out, "  %-24s %-16s %-22s %14s %12s %10s %10s\n", base_name(r.name).c_str(),
                 r.hostname.c_str(), r.peer.empty() ? "-" : r.peer.c_str(),
                 bps(r.throughput_bps).c_str(), format_count(r.messages_per_s).c_str(),
                 r.p99_ns ? format_ns(static_cast<double>(*r.p99_ns)).c_str() : "-",
                 r.start_skew_ns ? format_ns(static_cast<double>(*r.start_skew_ns)).c_str() : "-");
  }
  const auto print_groups = [out](const char* title, const std::vector<FleetGroup>& groups) {
    std::fprintf(out, "\n  %-24s %6s %16s %16s %14s\n", title, "runs", "sent msgs", "received msgs",
                 "throughput");
    for (const FleetGroup& g : groups) {
      std::fprintf(out, "  %-24s %6zu %16s %16s %14s\n", g.name.c_str(), g.runs,
                   u64(g.sent_messages).c_str(), u64(g.received_messages).c_str(),
                   bps(g.received_bps).c_str());
    }
  };
  print_groups("sending host", f.hosts);
  print_groups("receiving host", f.peers);
  for (const std::string& w : f.warnings) {
    std::fprintf(out, "  warning: %s\n", w.c_str());
  }
}

}  // namespace netbench::app
