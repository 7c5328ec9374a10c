#include "app/sweep/sweep.hpp"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <stop_token>
#include <utility>

#include "app/cli/exit_codes.hpp"
#include "app/report/json_report.hpp"
#include "app/remote/remote_client.hpp"
#include "app/cli/signal_stop.hpp"
#include "app/sweep/sweep_report.hpp"
#include "app/cli/units.hpp"
#include "app/report/write_document.hpp"
#include "netbench/paired_run.hpp"

namespace netbench::app {
namespace {

using nlohmann::json;

/// `text` split at commas, blanks around each element dropped ("tcp, udp");
/// an empty `text` is an empty list.
std::vector<std::string> split_list(const std::string& flag, const std::string& text) {
  std::vector<std::string> out;
  if (text.empty()) {
    return out;
  }
  std::size_t from = 0;
  while (true) {
    const std::size_t comma = text.find(',', from);
    std::string item = text.substr(from, comma == std::string::npos ? comma : comma - from);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item.empty()) {
      throw UsageError(flag + " '" + text +
                       "' has an empty element; separate the values with single commas");
    }
    out.push_back(std::move(item));
    if (comma == std::string::npos) {
      return out;
    }
    from = comma + 1;
  }
}

/// A rate element of a sweep list: "0" means unlimited, which a single run
/// spells by leaving --rate out.
std::string rate_arg(const std::string& element) {
  const auto value = parse_rate(element);
  return value && *value == 0 ? std::string() : element;
}

/// Nominal length of a point: what its flags ask for, without set-up.
std::uint64_t nominal_ns(const TestSpec& s) {
  return s.warmup_ns + (s.count == 0 ? s.duration_ns : 0);
}

std::uint64_t ns_since(std::chrono::steady_clock::time_point t0) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count());
}

/// Where the points run: a `netbench serve` (host, port), or none for paired runs.
using Remote = std::optional<std::pair<std::string, std::uint16_t>>;

std::string interruption(const SignalStop& signals) {
  return std::string("interrupted by ") + (signals.signal() == SIGINT ? "SIGINT" : "SIGTERM");
}

/// Runs point `i` and records it in `doc`. A point that cannot be set up
/// (select beyond FD_SETSIZE, a refused connection, ...) is recorded as
/// failed, not thrown: the sweep goes on.
PointOutcome run_point(std::size_t i, const SweepPoint& p, const Remote& remote,
                       const std::string& auth_token, const SignalStop& signals,
                       std::stop_token stop, SweepDocument& doc) {
  try {
    RunResult r = remote ? run_remote(p.spec, remote->first, remote->second, {}, stop, auth_token)
                         : run_paired(p.spec, {}, stop);
    PointStatus status = PointStatus::kCompleted;
    if (!r.complete) {
      status = signals.signal() != 0 ? PointStatus::kInterrupted : PointStatus::kIncomplete;
      if (status == PointStatus::kInterrupted) {
        r.error = interruption(signals);
      }
    }
    doc.add_run(i, r, status);
    return outcome_of(i, p.label, r, status);
  } catch (const std::exception& e) {
    doc.add_failure(i, p.spec, e.what());
    PointOutcome failed;
    failed.point = i;
    failed.label = p.label;
    failed.spec = p.spec;
    failed.status = PointStatus::kFailed;
    failed.error = e.what();
    return failed;
  }
}

}  // namespace

SweepMatrix split_matrix(const RunArgs& a) {
  SweepMatrix m;
  m.proto = split_list("--proto", a.proto);
  m.model = split_list("--model", a.model);
  m.mode = split_list("--mode", a.mode);
  m.flows = split_list("--flows", a.flows);
  m.size = split_list("--size", a.size);
  m.rate = split_list("--rate", a.rate);
  m.bitrate = split_list("--bitrate", a.bitrate);
  if (m.proto.empty() || m.model.empty() || m.mode.empty() || m.flows.empty()) {
    throw UsageError("--proto, --model, --mode and --flows need at least one value each");
  }
  if (!m.rate.empty() && !m.bitrate.empty()) {
    throw UsageError("give --rate or --bitrate, not both");
  }
  return m;
}

std::vector<SweepPoint> expand_matrix(const SweepMatrix& m, const RunArgs& base) {
  // An empty list stands for one point with the flag left out.
  const auto or_default = [](const std::vector<std::string>& list) {
    return list.empty() ? std::vector<std::string>{""} : list;
  };
  const std::vector<std::string> sizes = or_default(m.size);
  const bool bitrate = !m.bitrate.empty();
  const std::vector<std::string> rates = or_default(bitrate ? m.bitrate : m.rate);
  const std::size_t total = m.proto.size() * m.model.size() * m.mode.size() * m.flows.size() *
                            sizes.size() * rates.size();
  std::vector<SweepPoint> points;
  points.reserve(total);
  for (const std::string& proto : m.proto) {
    for (const std::string& model : m.model) {
      for (const std::string& mode : m.mode) {
        for (const std::string& flows : m.flows) {
          for (const std::string& size : sizes) {
            for (const std::string& rate : rates) {
              RunArgs a = base;
              a.sweep_point = true;
              a.proto = proto;
              a.model = model;
              a.mode = mode;
              a.flows = flows;
              a.size = size;
              a.rate = bitrate ? "" : rate_arg(rate);
              a.bitrate = bitrate ? rate_arg(rate) : "";
              std::string label = proto + " " + model + " " + mode + " flows=" + flows;
              try {
                SweepPoint p{make_spec(a), {}};
                label += " size=" + std::to_string(p.spec.message_bytes());
                if (!rate.empty()) {
                  label += (bitrate ? " bitrate=" : " rate=") + rate;
                }
                p.label = std::move(label);
                points.push_back(std::move(p));
              } catch (const UsageError& e) {
                throw UsageError(std::string(e.what()) + " (sweep point " +
                                 std::to_string(points.size() + 1) + " of " +
                                 std::to_string(total) + ": " + label + ")");
              }
            }
          }
        }
      }
    }
  }
  return points;
}

json matrix_json(const SweepMatrix& m) {
  json flows = json::array();
  for (const std::string& f : m.flows) {
    flows.push_back(std::stoul(f));
  }
  json sizes = json::array();
  for (const std::string& s : m.size) {
    sizes.push_back(parse_size(s).value_or(0));
  }
  const auto numbers = [](const std::vector<std::string>& list) {
    json out = json::array();
    for (const std::string& r : list) {
      out.push_back(parse_rate(r).value_or(0));
    }
    return out;
  };
  return {{"proto", m.proto},
          {"model", m.model},
          {"mode", m.mode},
          {"flows", flows},
          {"size_bytes", sizes},
          {"rate_msgs_per_s", numbers(m.rate)},
          {"bitrate_bps", numbers(m.bitrate)}};
}

std::uint64_t estimate_remaining_ns(const std::vector<SweepPoint>& points, std::size_t done,
                                    std::uint64_t elapsed_ns) {
  if (done == 0 || done >= points.size()) {
    return 0;
  }
  std::uint64_t nominal_done = 0;
  for (std::size_t i = 0; i < done; ++i) {
    nominal_done += nominal_ns(points[i].spec);
  }
  const std::uint64_t overhead = elapsed_ns > nominal_done ? (elapsed_ns - nominal_done) / done : 0;
  std::uint64_t left = 0;
  for (std::size_t i = done; i < points.size(); ++i) {
    left += nominal_ns(points[i].spec) + overhead;
  }
  return left;
}

int run_sweep(const RunArgs& a) {
  SweepMatrix matrix;
  std::vector<SweepPoint> points;
  Remote remote;
  try {
    matrix = split_matrix(a);
    points = expand_matrix(matrix, a);
    if (!a.connect.empty()) {
      remote = split_host_port(a.connect, kDefaultServePort);
    }
  } catch (const UsageError& e) {
    if (a.json || !a.output.empty()) {
      write_document(document(nullptr, e.what()), a.json, a.output);
    }
    throw;
  }
  std::stop_source stop;
  const SignalStop signals(stop);
  SweepDocument doc(matrix_json(matrix), points.size());
  // A valid document exists from the start: a crash in the first point
  // still leaves one (completed + failed < points says the sweep is unfinished).
  write_document(doc.as_json(), false, a.output);
  std::vector<PointOutcome> outcomes;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < points.size() && !stop.stop_requested(); ++i) {
    PointOutcome outcome =
        run_point(i, points[i], remote, a.auth_token, signals, stop.get_token(), doc);
    write_document(doc.as_json(), false, a.output);
    if (!a.quiet) {
      const bool last = i + 1 == points.size() || stop.stop_requested();
      const std::string line = progress_line(
          outcome, points.size(),
          last ? std::nullopt
               : std::optional<std::uint64_t>(estimate_remaining_ns(points, i + 1, ns_since(t0))));
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    outcomes.push_back(std::move(outcome));
  }
  const json& sweep = doc.as_json()["sweep"];
  const auto completed = sweep["completed"].get<std::size_t>();
  const auto failed = sweep["failed"].get<std::size_t>();
  if (signals.signal() != 0) {
    doc.set_interrupted(interruption(signals) + " at point " + std::to_string(outcomes.size()) +
                        " of " + std::to_string(points.size()));
  }
  write_document(doc.as_json(), a.json, a.output);
  if (!a.json && !a.quiet) {
    std::printf("\nSweep: %zu points, %zu completed, %zu failed%s\n", points.size(), completed,
                failed, signals.signal() != 0 ? ", interrupted" : "");
    print_sweep_table(stdout, outcomes);
    std::fflush(stdout);
  }
  if (signals.signal() != 0) {
    std::fprintf(stderr, "netbench: sweep %s\n", doc.as_json()["error"].get<std::string>().c_str());
    return kExitInterrupted;
  }
  if (failed > 0) {
    std::fprintf(stderr, "netbench: %zu of %zu sweep points failed\n", failed, points.size());
    return kExitIncomplete;
  }
  return kExitOk;
}

}  // namespace netbench::app
