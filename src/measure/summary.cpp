#include "netbench/summary.hpp"

#include <algorithm>

#include "measure/saturating.hpp"
#include "netbench/interval_meter.hpp"

namespace netbench {
namespace {

double ratio(double a, double b) noexcept { return b > 0 ? a / b : 0.0; }

constexpr std::uint64_t kUdpHeader = 8;
constexpr std::uint64_t kTcpHeaderWithTimestamps = 32;  // 20 + 12 bytes of timestamp option

}  // namespace

RunTotals summarize(const RunResult& r) noexcept {
  RunTotals t;
  const bool echo = r.spec.replies();
  const std::uint64_t ip_header = r.spec.family == Family::kV6 ? 40 : 20;
  for (const FlowSendStats& f : r.sender_flows) {
    t.sent_messages = add_saturating(t.sent_messages, f.messages);
    t.sent_bytes = add_saturating(t.sent_bytes, f.bytes);
    t.warmup_sent = add_saturating(t.warmup_sent, f.warmup_messages);
    t.send_failures = add_saturating(t.send_failures, f.send_failures);
    t.would_block = add_saturating(t.would_block, f.would_block);
    if (r.spec.proto == Proto::kUdp) {
      t.wire_overhead_bytes += (f.messages + f.warmup_messages) * (kUdpHeader + ip_header);
    } else if (f.tcp.valid) {
      t.wire_overhead_bytes += f.tcp.segments_out * (kTcpHeaderWithTimestamps + ip_header);
      t.tcp_retransmits = add_saturating(t.tcp_retransmits, f.tcp.retransmits);
      t.tcp_mean_srtt_us += f.tcp.srtt_us;
    }
    if (echo) {
      t.received_messages = add_saturating(t.received_messages, f.replies);
      t.received_bytes = add_saturating(t.received_bytes, f.reply_bytes);
      t.duplicates = add_saturating(t.duplicates, f.reply_duplicates);
      t.reordered = add_saturating(t.reordered, f.reply_reordered);
      t.max_reorder_extent = std::max(t.max_reorder_extent, f.reply_reorder_extents.max());
      t.malformed = add_saturating(t.malformed, f.replies_malformed);
      t.unique = add_saturating(t.unique, f.reply_loss.unique);
      t.lost = add_saturating(t.lost, f.reply_loss.lost);
      t.loss_bursts = add_saturating(t.loss_bursts, f.reply_loss.bursts);
      t.max_loss_burst = std::max(t.max_loss_burst, f.reply_loss.burst_lengths.max());
    }
  }
  if (r.spec.proto == Proto::kTcp && !r.sender_flows.empty()) {
    t.tcp_mean_srtt_us /= static_cast<double>(r.sender_flows.size());
  }
  std::uint64_t socket_drops = 0;
  std::uint64_t first_arrival = UINT64_MAX;
  std::uint64_t last_arrival = 0;
  for (const FlowRecvStats& f : r.receiver_flows) {
    socket_drops = add_saturating(socket_drops, f.socket_drops);
    if (echo) {
      continue;
    }
    if (f.first_arrival_ns != 0 && f.last_arrival_ns >= f.first_arrival_ns) {
      first_arrival = std::min(first_arrival, f.first_arrival_ns);
      last_arrival = std::max(last_arrival, f.last_arrival_ns);
    }
    t.received_messages = add_saturating(t.received_messages, f.messages);
    t.received_bytes = add_saturating(t.received_bytes, f.bytes);
    t.unique = add_saturating(t.unique, f.unique);
    t.duplicates = add_saturating(t.duplicates, f.duplicates);
    t.reordered = add_saturating(t.reordered, f.reordered);
    t.max_reorder_extent = std::max(t.max_reorder_extent, f.reorder_extents.max());
    t.malformed = add_saturating(t.malformed, f.malformed);
    t.lost = add_saturating(t.lost, f.loss.lost);
    t.loss_bursts = add_saturating(t.loss_bursts, f.loss.bursts);
    t.max_loss_burst = std::max(t.max_loss_burst, f.loss.burst_lengths.max());
  }
  // Fan-out: each message is due at every receiver, and a send failure is
  // lost at all of them.
  const std::uint64_t copies = r.spec.fanout() && !echo ? r.spec.receivers : 1;
  t.loss_ratio = std::min(1.0, ratio(static_cast<double>(t.lost),
                                     static_cast<double>(mul_saturating(t.sent_messages, copies))));
  // Attribution: the sender's own failures first, then what the receiving
  // socket says it dropped, the rest in between (the network).
  t.lost_at_sender = std::min(t.lost, mul_saturating(t.send_failures, copies));
  t.lost_at_receiver_socket = std::min(t.lost - t.lost_at_sender, socket_drops);
  t.lost_in_network = t.lost - t.lost_at_sender - t.lost_at_receiver_socket;

  t.sent_bytes_per_s = per_second(t.sent_bytes, r.measured_ns);
  t.sent_msgs_per_s = per_second(t.sent_messages, r.measured_ns);
  t.receiver_active_ns = last_arrival >= first_arrival ? last_arrival - first_arrival : 0;
  // n arrivals span n − 1 gaps: the first message was on its way for about
  // one mean gap before it arrived, so the receiver's period is that longer.
  std::uint64_t receiver_period = t.receiver_active_ns;
  if (t.received_messages > 1) {
    receiver_period += t.receiver_active_ns / (t.received_messages - 1);
  }
  receiver_period = std::max(r.measured_ns, receiver_period);
  t.received_bytes_per_s = per_second(t.received_bytes, receiver_period);
  t.received_msgs_per_s = per_second(t.received_messages, receiver_period);

  t.sender_cpu_s = r.sender.cpu.user_s + r.sender.cpu.sys_s;
  t.receiver_cpu_s = r.receiver.cpu.user_s + r.receiver.cpu.sys_s;
  t.sender_cpu_share =
      ratio(t.sender_cpu_s * 1e9, static_cast<double>(r.spec.warmup_ns + r.measured_ns));
  t.sender_cpu_per_msg_ns = ratio(t.sender_cpu_s * 1e9, static_cast<double>(t.sent_messages));
  // The receiver handles every message once (stream) or echoes it (echo).
  std::uint64_t handled = 0;
  for (const FlowRecvStats& f : r.receiver_flows) {
    handled = add_saturating(handled, f.messages);
  }
  t.receiver_cpu_per_msg_ns = ratio(t.receiver_cpu_s * 1e9, static_cast<double>(handled));
  t.receiver_ready_per_wakeup = ratio(static_cast<double>(r.receiver.loop.ready_events),
                                      static_cast<double>(r.receiver.loop.wakeups));
  return t;
}

}  // namespace netbench
