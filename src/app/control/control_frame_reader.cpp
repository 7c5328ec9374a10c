#include "app/control/control_frame_reader.hpp"

#include <algorithm>
#include <array>

namespace netbench::app {

std::uint32_t control_length(std::span<const std::byte, 4> prefix) noexcept {
  return (std::to_integer<std::uint32_t>(prefix[0]) << 24) |
         (std::to_integer<std::uint32_t>(prefix[1]) << 16) |
         (std::to_integer<std::uint32_t>(prefix[2]) << 8) |
         std::to_integer<std::uint32_t>(prefix[3]);
}

std::string check_control_length(std::uint32_t length, std::uint32_t max_bytes) {
  if (length == 0 || length > max_bytes) {
    return "control message length " + std::to_string(length) + " is outside 1.." +
           std::to_string(max_bytes);
  }
  return {};
}

std::string encode_control(const nlohmann::json& message, std::uint32_t max_bytes,
                           std::string_view trailer) {
  std::string body = message.dump();
  body += trailer;
  if (body.size() > max_bytes) {
    return {};
  }
  std::string frame(4, '\0');
  const auto len = static_cast<std::uint32_t>(body.size());
  frame[0] = static_cast<char>((len >> 24) & 0xFF);
  frame[1] = static_cast<char>((len >> 16) & 0xFF);
  frame[2] = static_cast<char>((len >> 8) & 0xFF);
  frame[3] = static_cast<char>(len & 0xFF);
  return frame + body;
}

bool nesting_within(std::string_view body, std::size_t max_depth) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return false;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

std::optional<nlohmann::json> parse_control_body(std::string_view body, std::string& error) {
  if (!nesting_within(body, kMaxControlDepth)) {
    error = "control message nested deeper than " + std::to_string(kMaxControlDepth) + " levels";
    return std::nullopt;
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    error = "control message is not a JSON object with a \"type\"";
    return std::nullopt;
  }
  return j;
}

std::size_t ControlFrameReader::wanted() const noexcept {
  if (state_ != State::kPartial) {
    return 0;
  }
  return prefix_got_ < prefix_.size() ? prefix_.size() - prefix_got_ : length_ - body_.size();
}

std::size_t ControlFrameReader::feed(std::span<const std::byte> bytes) {
  std::size_t used = 0;
  while (state_ == State::kPartial && used < bytes.size()) {
    const std::size_t n = std::min(wanted(), bytes.size() - used);
    if (prefix_got_ < prefix_.size()) {
      std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(used), n,
                  prefix_.begin() + static_cast<std::ptrdiff_t>(prefix_got_));
      prefix_got_ += n;
      used += n;
      if (prefix_got_ == prefix_.size()) {
        length_ = control_length(prefix_);
        error_ = check_control_length(length_, max_bytes_);
        if (!error_.empty()) {
          state_ = State::kFailed;  // refused without reading the body
        }
      }
      continue;
    }
    const auto* first = reinterpret_cast<const char*>(bytes.data() + used);  // NOLINT
    body_.append(first, n);
    used += n;
    if (body_.size() == length_) {
      state_ = State::kComplete;
    }
  }
  return used;
}

std::optional<nlohmann::json> ControlFrameReader::take() {
  if (state_ != State::kComplete) {
    return std::nullopt;
  }
  auto message = parse_control_body(body_, error_);
  state_ = message ? State::kPartial : State::kFailed;
  prefix_got_ = 0;
  length_ = 0;
  body_.clear();
  body_.shrink_to_fit();
  return message;
}

}  // namespace netbench::app
