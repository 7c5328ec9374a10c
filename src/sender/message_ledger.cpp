#include "sender/message_ledger.hpp"

#include <algorithm>

#include "measure/saturating.hpp"

namespace netbench::sender {

std::optional<Outgoing> MessageLedger::take(
    const SendFlow& f, MessageCursor& c, std::uint64_t now, bool first,
    std::span<std::byte, kWireHeaderBytes> header) const noexcept {
  const std::uint64_t intended = c.pacer.unlimited() ? now : c.pacer.next_ns();
  if (!first && intended > now) {
    return std::nullopt;  // a batch takes only what is due
  }
  const bool warm = intended < state_.warm_end_ns();
  if (!warm && (!sending_ || c.seq >= f.quota || intended >= state_.end_ns())) {
    return std::nullopt;
  }
  WireHeader h;
  h.flags = warm ? static_cast<std::uint8_t>(MessageFlag::kWarmup) : 0;
  h.flow_id = f.id;
  h.seq = warm ? c.warm_seq++ : c.seq++;
  h.send_ns = now;
  h.intended_ns = intended;
  h.length = state_.size();
  encode_header(h, header);
  c.pacer.advance();
  return Outgoing{warm, intended};
}

void MessageLedger::sent(SendFlow& f, std::uint64_t now, const Outgoing& m) {
  book(f, now, m);
  if (m.warm) {
    ++f.warm_seq;
  }
  f.pacer.advance();
}

void MessageLedger::book(SendFlow& f, std::uint64_t now, const Outgoing& m) {
  f.in_progress = false;
  last_progress_ns_ = now;
  if (m.warm) {
    ++f.stats.warmup_messages;
  } else {
    if (!f.pacer.unlimited()) {
      pacing_.lateness.record(now > m.intended_ns ? now - m.intended_ns : 0);
    }
    ++f.stats.messages;
    f.stats.bytes += state_.size();
    bump(live_.messages);
    bump(live_.bytes, state_.size());
    if (pacing_.sends++ == 0) {
      pacing_.first_send_ns = now;
    }
    pacing_.last_send_ns = now;
    last_send_ns_ = now;
  }
  if (state_.echo()) {
    ++f.outstanding;
  }
}

bool MessageLedger::reply(SendFlow& f, const WireHeader& h, std::uint64_t now) {
  const TestSpec& spec = state_.spec();
  last_progress_ns_ = now;
  if (f.outstanding > 0) {
    --f.outstanding;
  }
  if (!h.has(MessageFlag::kWarmup)) {
    ++f.stats.replies;
    f.stats.reply_bytes += h.length;
    bump(live_.replies);
    bump(live_.reply_bytes, h.length);
    last_reply_ns_ = now;
    // --stats counts: replies are counted, nothing else (no RTT, no order).
    if (spec.full_stats()) {
      // Coordinated-omission corrected: from when the request *should* have gone.
      rtt_.record(now > h.intended_ns ? now - h.intended_ns : 0);
      const std::uint64_t actual = now > h.send_ns ? now - h.send_ns : 0;
      rtt_actual_.record(actual);
      interval_.record(spec.open_loop() ? now - std::min(now, h.intended_ns) : actual);
      switch (f.replies.on_arrival(h.seq)) {
        case Arrival::kReordered:
          ++f.stats.reply_reordered;
          break;
        case Arrival::kDuplicate:
          ++f.stats.reply_duplicates;
          break;
        default:
          break;
      }
    }
  }
  if (f.parked && f.outstanding < spec.outstanding && !f.done) {
    f.parked = false;
    return true;
  }
  return false;
}

std::uint64_t MessageLedger::last_activity_ns() const noexcept {
  return state_.echo() ? std::max(last_send_ns_, last_reply_ns_) : last_send_ns_;
}

}  // namespace netbench::sender
