#include "netbench/error.hpp"

#include <cstring>

namespace netbench {
namespace {

std::string describe(std::string_view syscall, std::string_view endpoint, int err) {
  std::string text(syscall);
  if (!endpoint.empty()) {
    text += ' ';
    text += endpoint;
  }
  text += ": ";
  text += std::strerror(err);  // NOLINT(concurrency-mt-unsafe): glibc's is thread-safe
  return text;
}

}  // namespace

SystemError::SystemError(std::string_view syscall, std::string_view endpoint, int err)
    : std::runtime_error(describe(syscall, endpoint, err)),
      syscall_(syscall),
      endpoint_(endpoint),
      err_(err) {}

SystemError::SystemError(Verbatim, const std::string& message, std::string_view syscall, int err)
    : std::runtime_error(message), syscall_(syscall), err_(err) {}

SystemError SystemError::with_message(const std::string& message, std::string_view syscall,
                                      int err) {
  return {Verbatim{}, message, syscall, err};
}

}  // namespace netbench
