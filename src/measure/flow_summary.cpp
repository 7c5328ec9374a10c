#include "netbench/flow_summary.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "measure/saturating.hpp"
#include "netbench/interval_meter.hpp"

namespace netbench {
namespace {

/// The value at 1-based rank ceil(percent/100 · n) of `sorted` (n > 0),
/// computed in integers so that e.g. 5% of 20 is exactly rank 1.
double nearest_rank(const std::vector<double>& sorted, std::size_t percent) {
  const std::size_t n = sorted.size();
  const std::size_t rank = std::max<std::size_t>(1, (percent * n + 99) / 100);
  return sorted[rank - 1];
}

/// One flow's figures, before they become distributions.
struct FlowFigures {
  std::uint32_t id = 0;
  double throughput_bps = 0;
  double loss_ratio = 0;
};

/// A stream flow as the receiver saw it: its records of one id merged.
struct ReceivedFlow {
  std::uint64_t bytes = 0;
  std::uint64_t lost = 0;
  std::uint64_t sent = 0;
  double jitter_ns = 0;
};

/// `bytes` over `measured_ns` in bit/s; 0 for an empty period.
double bits_per_second(std::uint64_t bytes, std::uint64_t measured_ns) {
  return per_second(bytes, measured_ns) * 8.0;
}

/// lost / sent in [0, 1]; 0 when nothing was sent.
double ratio_of(std::uint64_t lost, std::uint64_t sent) {
  return sent == 0 ? 0.0 : std::min(1.0, static_cast<double>(lost) / static_cast<double>(sent));
}

/// Echo: one entry per sender flow, from the replies at the client.
std::vector<FlowFigures> echo_flows(const RunResult& r) {
  std::vector<FlowFigures> out;
  out.reserve(r.sender_flows.size());
  for (const FlowSendStats& f : r.sender_flows) {
    out.push_back({f.flow_id, bits_per_second(f.reply_bytes, r.measured_ns),
                   ratio_of(f.reply_loss.lost, f.reply_loss.sent)});
  }
  return out;
}

/// Stream: one entry per flow id of either side; the jitter of
/// each flow the receiver heard from is appended to `jitter`.
std::vector<FlowFigures> stream_flows(const RunResult& r, std::vector<double>& jitter) {
  std::map<std::uint32_t, ReceivedFlow> received;
  for (const FlowRecvStats& f : r.receiver_flows) {
    ReceivedFlow& m = received[f.flow_id];
    m.bytes = add_saturating(m.bytes, f.bytes);
    m.lost = add_saturating(m.lost, f.loss.lost);
    m.sent = add_saturating(m.sent, f.loss.sent);
    m.jitter_ns = std::max(m.jitter_ns, std::isfinite(f.jitter_ns) ? f.jitter_ns : 0.0);
  }
  // Flows the sender opened that the receiver never heard from: nothing
  // arrived, so everything sent was lost.
  std::map<std::uint32_t, std::uint64_t> unheard;
  for (const FlowSendStats& f : r.sender_flows) {
    if (!received.contains(f.flow_id)) {
      unheard[f.flow_id] = add_saturating(unheard[f.flow_id], f.messages);
    }
  }
  std::vector<FlowFigures> out;
  out.reserve(received.size() + unheard.size());
  for (const auto& [id, m] : received) {
    out.push_back({id, bits_per_second(m.bytes, r.measured_ns), ratio_of(m.lost, m.sent)});
    jitter.push_back(m.jitter_ns);
  }
  for (const auto& [id, sent] : unheard) {
    out.push_back({id, 0.0, sent > 0 ? 1.0 : 0.0});
  }
  return out;
}

}  // namespace

FlowDistribution distribution_of(std::span<const double> values) {
  FlowDistribution d;
  if (values.empty()) {
    return d;
  }
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  d.min = sorted.front();
  d.max = sorted.back();
  d.p5 = nearest_rank(sorted, 5);
  d.p95 = nearest_rank(sorted, 95);
  d.median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
  d.mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(n);
  return d;
}

double jain_fairness(std::span<const double> values) noexcept {
  double sum = 0;
  double sum_of_squares = 0;
  for (const double x : values) {
    sum += x;
    sum_of_squares += x * x;
  }
  if (!(sum_of_squares > 0) || !std::isfinite(sum_of_squares)) {
    return 1.0;
  }
  return std::min(1.0, sum * sum / (static_cast<double>(values.size()) * sum_of_squares));
}

FlowSummary summarize_flows(const RunResult& r) {
  FlowSummary s;
  const bool echo = r.spec.replies();
  const bool full = r.spec.full_stats();
  std::vector<double> jitter;
  std::vector<FlowFigures> flows = echo ? echo_flows(r) : stream_flows(r, jitter);
  s.flows = static_cast<std::uint32_t>(flows.size());

  std::vector<double> throughput;
  std::vector<double> loss;
  throughput.reserve(flows.size());
  loss.reserve(flows.size());
  for (const FlowFigures& f : flows) {
    throughput.push_back(f.throughput_bps);
    loss.push_back(f.loss_ratio);
  }
  s.throughput_bps = distribution_of(throughput);
  s.jain_fairness = jain_fairness(throughput);

  std::sort(flows.begin(), flows.end(), [](const FlowFigures& a, const FlowFigures& b) {
    return a.throughput_bps != b.throughput_bps ? a.throughput_bps < b.throughput_bps : a.id < b.id;
  });
  for (std::size_t i = 0; i < flows.size() && i < kWorstFlows; ++i) {
    s.slowest_flows.push_back(flows[i].id);
  }

  if (full) {
    s.loss_ratio = distribution_of(loss);
    std::sort(flows.begin(), flows.end(), [](const FlowFigures& a, const FlowFigures& b) {
      return a.loss_ratio != b.loss_ratio ? a.loss_ratio > b.loss_ratio : a.id < b.id;
    });
    for (const FlowFigures& f : flows) {
      if (f.loss_ratio > 0) {
        ++s.flows_with_loss;
        if (s.lossiest_flows.size() < kWorstFlows) {
          s.lossiest_flows.push_back(f.id);
        }
      }
    }
    if (!echo) {
      s.jitter_ns = distribution_of(jitter);
    }
  }
  return s;
}

}  // namespace netbench
