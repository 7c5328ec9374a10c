#include "app/sweep/sweep.hpp"

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <stop_token>
#include <utility>

#include "app/cli/exit_codes.hpp"
#include "app/cli/signal_stop.hpp"
#include "app/cli/units.hpp"
#include "app/remote/remote_client.hpp"
#include "app/repeat/run_noise.hpp"
#include "app/sweep/sweep_repeat.hpp"
#include "netbench/paired_run.hpp"
#include "netbench/probe_run.hpp"

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

/// An --outstanding element: a whole number of at least 1.
std::uint32_t outstanding_of(const std::string& element) {
  std::size_t used = 0;
  unsigned long value = 0;
  try {
    value = std::stoul(element, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != element.size() || element.find_first_not_of("0123456789") != std::string::npos ||
      value < 1 || value > 1'000'000) {
    throw UsageError("--outstanding '" + element +
                     "' is not a whole number from 1 to 1000000 (requests in flight per flow)");
  }
  return static_cast<std::uint32_t>(value);
}

/// The --outstanding values a point of `mode` runs: a stream point has no
/// requests in flight, so it runs once, as the default 1.
std::vector<std::string> outstanding_for(const std::string& mode,
                                         const std::vector<std::string>& list) {
  if (list.empty() || mode == "stream") {
    return {""};
  }
  return list;
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

/// Runs one point. A point that cannot be set up (select beyond FD_SETSIZE,
/// a refused connection, ...) gives nullopt and `failure`, not an exception:
/// the sweep goes on.
std::optional<RunResult> run_point(const SweepPoint& p, const Remote& remote,
                                   const std::string& auth_token, const RunHooks& hooks,
                                   std::stop_token stop, std::string& failure) {
  try {
    const TestRunner run = [&remote, &auth_token](const TestSpec& spec, const RunHooks& h,
                                                  std::stop_token st) {
      return remote ? run_remote(spec, remote->first, remote->second, h, st, auth_token)
                    : run_paired(spec, h, st);
    };
    return run_with_probe(p.spec, run, hooks, stop);
  } catch (const std::exception& e) {
    failure = e.what();
    return std::nullopt;
  }
}

}  // namespace

SweepMatrix split_matrix(const RunArgs& a) {
  SweepMatrix m;
  m.proto = split_list("--proto", a.proto);
  m.model = split_list("--model", a.model);
  m.mode = split_list("--mode", a.mode);
  m.direction = split_list("--direction", a.direction);
  for (const std::string& d : m.direction) {
    Direction unused{};
    if (!parse(d, unused)) {
      throw UsageError("--direction '" + d + "' is not forward, reverse or bidir");
    }
  }
  m.flows = split_list("--flows", a.flows);
  m.outstanding = split_list("--outstanding", a.outstanding_list);
  for (const std::string& o : m.outstanding) {
    (void)outstanding_of(o);
  }
  m.size = split_list("--size", a.size);
  m.rate = split_list("--rate", a.rate);
  m.bitrate = split_list("--bitrate", a.bitrate);
  if (m.proto.empty() || m.model.empty() || m.mode.empty() || m.flows.empty() ||
      m.direction.empty()) {
    throw UsageError(
        "--proto, --model, --mode, --direction and --flows need at least one value each");
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
  std::size_t per_model = 0;  // points of one proto and model
  for (const std::string& mode : m.mode) {
    per_model += m.flows.size() * outstanding_for(mode, m.outstanding).size() * sizes.size() *
                 m.direction.size() * rates.size();
  }
  const std::size_t total = m.proto.size() * m.model.size() * per_model;
  std::vector<SweepPoint> points;
  points.reserve(total);
  for (const std::string& proto : m.proto) {
    for (const std::string& model : m.model) {
      for (const std::string& mode : m.mode) {
        for (const std::string& flows : m.flows) {
          for (const std::string& outstanding : outstanding_for(mode, m.outstanding)) {
            for (const std::string& size : sizes) {
              for (const std::string& direction : m.direction) {
                for (const std::string& rate : rates) {
                  RunArgs a = base;
                  a.direction = direction;
                  a.sweep_point = true;
                  a.proto = proto;
                  a.model = model;
                  a.mode = mode;
                  a.flows = flows;
                  a.outstanding = outstanding.empty() ? 1 : outstanding_of(outstanding);
                  a.size = size;
                  a.rate = bitrate ? "" : rate_arg(rate);
                  a.bitrate = bitrate ? rate_arg(rate) : "";
                  std::string label = proto + " " + model + " " + mode + " flows=" + flows;
                  if (!outstanding.empty()) {
                    label += " outstanding=" + outstanding;
                  }
                  try {
                    SweepPoint p{make_spec(a), {}};
                    label += " size=" + std::to_string(p.spec.message_bytes());
                    if (direction != "forward") {
                      label += " " + direction;
                    }
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
  json outstanding = json::array();
  for (const std::string& o : m.outstanding) {
    outstanding.push_back(outstanding_of(o));
  }
  return {{"proto", m.proto},
          {"model", m.model},
          {"mode", m.mode},
          {"direction", m.direction},
          {"flows", flows},
          {"outstanding", outstanding},
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

int run_sweep(const RunArgs& a, Reporter& reporter) {
  SweepMatrix matrix;
  std::vector<SweepPoint> points;
  Remote remote;
  std::optional<RepeatOptions> repeat;
  try {
    matrix = split_matrix(a);
    repeat = repeat_options(a);
    points = expand_matrix(matrix, a);
    if (!a.connect.empty()) {
      if (!points.empty() && points.front().spec.fanout()) {
        throw UsageError(kRemoteFanoutRefusal);
      }
      remote = connect_target(a, kDefaultServePort);
    }
  } catch (const UsageError& e) {
    reporter.on_error(e.what(), nullptr, {});
    throw;
  }
  std::stop_source stop;
  const SignalStop signals(stop);
  if (repeat) {
    const PointRunner runner = [&remote, &a](const SweepPoint& p, const RunHooks& hooks,
                                             std::stop_token token, std::string& failure) {
      return run_point(p, remote, a.auth_token, hooks, token, failure);
    };
    return run_sweep_rounds(points, matrix_json(matrix), *repeat, runner, reporter, stop, signals,
                            a.quiet);
  }
  reporter.on_context({points.size(), matrix_json(matrix), false, nullptr});
  std::size_t done = 0;
  std::size_t failed = 0;
  const auto t0 = std::chrono::steady_clock::now();
  std::string sweep_clock;  // the first remote point's clock applies to all
  for (std::size_t i = 0; i < points.size() && !stop.stop_requested(); ++i) {
    const SweepPoint& p = points[i];
    RunPoint at{i, points.size(), p.label, PointStatus::kCompleted, std::nullopt};
    std::string failure;
    const HostLoadProbe probe;
    std::optional<RunResult> r =
        run_point(p, remote, a.auth_token, run_hooks(reporter, p.spec), stop.get_token(), failure);
    if (r) {
      probe.finish(*r);
      print_warnings(*r, a.quiet);
    }
    if (r && remote && !r->clock.empty() && sweep_clock.empty()) {
      sweep_clock = r->clock;
    }
    if (!r) {
      at.status = PointStatus::kFailed;
    } else if (remote && r->clock != sweep_clock) {
      // One-way delays and delay variations cannot share a chart: refuse.
      at.status = PointStatus::kFailed;
      r->error = "clock changed within the sweep: '" + r->clock + "' after '" + sweep_clock +
                 "' at the first point; refused";
    } else if (!r->complete) {
      at.status = signals.signal() != 0 ? PointStatus::kInterrupted : PointStatus::kIncomplete;
      if (at.status == PointStatus::kInterrupted) {
        r->error = interruption(signals);
      }
    }
    if (i + 1 < points.size() && !stop.stop_requested()) {
      at.eta_ns = estimate_remaining_ns(points, i + 1, ns_since(t0));
    }
    if (r) {
      reporter.on_run(*r, at);
    } else {
      reporter.on_error(failure, &p.spec, at);
    }
    ++done;
    failed += at.status == PointStatus::kFailed || at.status == PointStatus::kIncomplete ? 1 : 0;
  }
  const std::string why = signals.signal() == 0
                              ? std::string()
                              : interruption(signals) + " at point " + std::to_string(done) +
                                    " of " + std::to_string(points.size());
  return finish_sweep(reporter, why, failed, points.size());
}

}  // namespace netbench::app
