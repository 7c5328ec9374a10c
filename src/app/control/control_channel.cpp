#include "app/control/control_channel.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "app/control/control_frame_reader.hpp"
#include "app/control/messages.hpp"
#include "netbench/clock.hpp"

namespace netbench::app {
namespace {

/// Waits until `fd` is ready for `events` or the deadline passes.
bool wait_for(int fd, short events, std::uint64_t deadline_ns) {
  for (;;) {
    const std::uint64_t now = now_ns();
    if (now >= deadline_ns) {
      return false;
    }
    pollfd p{fd, events, 0};
    const auto ms = static_cast<int>((deadline_ns - now + 999'999) / 1'000'000);
    const int n = ::poll(&p, 1, ms);
    if (n > 0) {
      return true;
    }
    if (n < 0 && errno != EINTR) {
      return false;
    }
  }
}

/// When `prefix` is printable text (a peer that speaks HTTP, SSH, SMTP…
/// rather than netbench's length-prefixed frames): the prefix and what else
/// of the peer's first line arrives within 100 ms, at most 60 characters,
/// non-printables escaped. Otherwise empty.
std::string text_answer(int fd, const std::array<std::byte, 4>& prefix) {
  const auto printable_char = [](unsigned char c) { return c >= 0x20 && c < 0x7F; };
  std::string out;
  for (const std::byte b : prefix) {
    const auto c = static_cast<unsigned char>(b);
    if (!printable_char(c)) {
      return {};
    }
    out += static_cast<char>(c);
  }
  constexpr std::size_t kShown = 60;
  std::array<char, kShown> more{};
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 100) > 0) {
    const ssize_t n = ::recv(fd, more.data(), kShown - out.size(), MSG_DONTWAIT);
    for (ssize_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned char>(more[static_cast<std::size_t>(i)]);
      if (c == '\r' || c == '\n') {
        break;
      }
      out += printable_char(c) ? static_cast<char>(c) : '?';
    }
  }
  return out;
}

std::uint64_t deadline(int timeout_ms) {
  return now_ns() + static_cast<std::uint64_t>(timeout_ms) * std::uint64_t{1'000'000};
}

}  // namespace

bool ControlChannel::send(const nlohmann::json& message, int timeout_ms, std::string& error,
                          std::string_view trailer) {
  const std::string frame = encode_control(message, kMaxControlBytes, trailer);
  if (frame.empty()) {
    error = "control message too large";
    return false;
  }
  const std::uint64_t until = deadline(timeout_ms);
  std::size_t off = 0;
  while (off < frame.size()) {
    const ssize_t n =
        ::send(fd_.get(), frame.data() + off, frame.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!wait_for(fd_.get(), POLLOUT, until)) {
        error = "the peer did not take the control message in time";
        return false;
      }
      continue;
    }
    error = std::string("control connection: ") + std::strerror(errno);
    return false;
  }
  return true;
}

bool ControlChannel::read_exact(std::byte* out, std::size_t n, int timeout_ms, std::string& error) {
  const std::uint64_t until = deadline(timeout_ms);
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::recv(fd_.get(), out + got, n - got, MSG_DONTWAIT);
    if (r > 0) {
      got += static_cast<std::size_t>(r);
      continue;
    }
    if (r == 0) {
      error = "the peer closed the control connection";
      return false;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (!wait_for(fd_.get(), POLLIN, until)) {
        error = "no control message within " + std::to_string(timeout_ms) + " ms";
        return false;
      }
      continue;
    }
    error = std::string("control connection: ") + std::strerror(errno);
    return false;
  }
  return true;
}

std::optional<nlohmann::json> ControlChannel::receive(int timeout_ms, std::string& error) {
  std::array<std::byte, 4> prefix{};
  if (!read_exact(prefix.data(), prefix.size(), timeout_ms, error)) {
    return std::nullopt;
  }
  const std::uint32_t len = control_length(prefix);
  error = check_control_length(len, max_receive_);
  if (!error.empty()) {
    if (const std::string text = text_answer(fd_.get(), prefix); !text.empty()) {
      error = "not a netbench control connection: the peer answered in text, \"" + text + "\"";
    }
    return std::nullopt;
  }
  std::string body(len, '\0');
  if (!read_exact(reinterpret_cast<std::byte*>(body.data()), len, timeout_ms, error)) {  // NOLINT
    return std::nullopt;
  }
  return parse_control_body(body, error);
}

bool ControlChannel::wait_readable(int timeout_ms) const {
  pollfd p{fd_.get(), POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

bool ControlChannel::peer_closed() const {
  pollfd p{fd_.get(), POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) {
    return false;
  }
  if ((p.revents & (POLLHUP | POLLERR)) != 0) {
    return true;
  }
  char c = 0;
  const ssize_t n = ::recv(fd_.get(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

bool send_error(ControlChannel& channel, const std::string& text) {
  std::string ignored;
  channel.send(encode(Error{text}), 1000, ignored);
  return false;
}

}  // namespace netbench::app
