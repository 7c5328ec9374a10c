#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace netbench {

/// A setup failure of a system call: carries the call's name, the endpoint it
/// concerned (may be empty) and `errno`. Thrown only outside the hot path.
class SystemError : public std::runtime_error {
 public:
  /// `err` is an errno value; the message reads
  /// "<syscall> <endpoint>: <strerror(err)>".
  SystemError(std::string_view syscall, std::string_view endpoint, int err);
  /// A failure whose cause takes more than strerror to say (io_uring
  /// disabled by a sysctl, blocked by seccomp): `message` is the whole line.
  [[nodiscard]] static SystemError with_message(const std::string& message,
                                                std::string_view syscall, int err);

  [[nodiscard]] const std::string& syscall() const noexcept { return syscall_; }
  [[nodiscard]] const std::string& endpoint() const noexcept { return endpoint_; }
  /// The errno value of the failed call.
  [[nodiscard]] int error_code() const noexcept { return err_; }

 private:
  struct Verbatim {};
  SystemError(Verbatim, const std::string& message, std::string_view syscall, int err);

  std::string syscall_;
  std::string endpoint_;
  int err_;
};

/// A configuration the engines cannot run (bad value, impossible limit).
/// The message is one line that says what was wrong and what to do.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace netbench
