#include "run/interval_reporter.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "netbench/clock.hpp"
#include "netbench/interval_meter.hpp"

namespace netbench::run {

IntervalReporter::IntervalReporter(const TestSpec& spec, const RunHooks& hooks, Sender& tx,
                                   ReceiverProbe probe)
    : spec_(spec), hooks_(hooks), tx_(tx), rx_(std::move(probe)) {}

IntervalReporter::Snapshot IntervalReporter::snapshot() const {
  return Snapshot{now_ns(), tx_.live(), rx_.live ? rx_.live() : ReceiverLive{}};
}

LatencyHistogram IntervalReporter::take_latency() {
  if (spec_.replies()) {
    return tx_.take_interval_latency();
  }
  return rx_.take_interval_latency ? rx_.take_interval_latency() : LatencyHistogram{};
}

void IntervalReporter::emit(const Snapshot& a, const Snapshot& b) {
  const LatencyHistogram lat = take_latency();
  IntervalRecord r;
  r.start_ns = a.at_ns - origin_;
  r.end_ns = b.at_ns - origin_;
  r.sent_messages = b.tx.messages - a.tx.messages;
  r.sent_bytes = b.tx.bytes - a.tx.bytes;
  if (spec_.replies()) {
    r.received_messages = b.tx.replies - a.tx.replies;
    r.received_bytes = b.tx.reply_bytes - a.tx.reply_bytes;
  } else {
    r.received_messages = b.rx.messages - a.rx.messages;
    r.received_bytes = b.rx.bytes - a.rx.bytes;
  }
  r.reordered = b.rx.reordered - a.rx.reordered;
  r.duplicates = b.rx.duplicates - a.rx.duplicates;
  r.latency_samples = lat.count();
  r.latency_p50_ns = lat.percentile(50);
  r.latency_p99_ns = lat.percentile(99);
  if (hooks_.on_interval) {
    hooks_.on_interval(r);
  }
  records_.push_back(r);
}

void IntervalReporter::run(std::stop_token stop) {
  if (hooks_.on_start) {
    hooks_.on_start();
  }
  // The sender's loops signal their end, so the reporter sleeps until the
  // next interval boundary instead of polling (a polling thread steals the
  // CPU the engines are measured on).
  tx_.start(std::move(stop));
  // Wait for the measured period to begin (warm-up samples are discarded).
  prev_ = snapshot();
  while (!prev_.tx.finished &&
         (prev_.tx.measured_start_ns == 0 || now_ns() < prev_.tx.measured_start_ns)) {
    tx_.wait_finished_until(prev_.tx.measured_start_ns != 0 ? prev_.tx.measured_start_ns
                                                            : now_ns() + 1'000'000);
    prev_ = snapshot();
  }
  static_cast<void>(take_latency());
  origin_ = prev_.tx.measured_start_ns != 0 ? prev_.tx.measured_start_ns : prev_.at_ns;
  // The live counters count measured messages only, so the first interval
  // starts from zero at the measured start: nothing sent before the first
  // snapshot is lost from the intervals.
  prev_.at_ns = origin_;
  prev_.tx.messages = prev_.tx.bytes = prev_.tx.replies = prev_.tx.reply_bytes = 0;
  prev_.rx.messages = prev_.rx.bytes = prev_.rx.reordered = prev_.rx.duplicates = 0;
  // The reporting grid: deadlines at origin + k × interval, each interval
  // closed at the measured time it ends.
  IntervalMeter grid(origin_, spec_.interval_ns);
  // A --duration run's last interval runs from its last boundary to the end
  // of the run (finish()), drain included: a boundary at the very end of the
  // schedule would leave a sliver of an interval behind it.
  const std::uint64_t schedule_end = spec_.count == 0 ? origin_ + spec_.duration_ns : UINT64_MAX;
  while (!tx_.wait_finished_until(grid.deadline_ns() < schedule_end ? grid.deadline_ns()
                                                                    : UINT64_MAX)) {
    const Snapshot cur = snapshot();
    emit(prev_, cur);
    prev_ = cur;
    grid.close(cur.at_ns);
  }
  tx_.join();
}

void IntervalReporter::finish(std::uint64_t end_cap_ns) {
  Snapshot last = snapshot();
  if (end_cap_ns != 0) {
    last.at_ns = std::min(last.at_ns, end_cap_ns);
  }
  if (last.at_ns > prev_.at_ns) {
    emit(prev_, last);
  }
}

std::vector<IntervalRecord> IntervalReporter::take_records() noexcept {
  return std::exchange(records_, {});
}

}  // namespace netbench::run
