#pragma once

#include <utility>

namespace netbench {

/// Move-only owner of one file descriptor; closes it on destruction.
///
/// A bare `int` elsewhere in netbench is a *borrowed* descriptor. Not
/// thread-safe: one owner at a time, as with any value type.
class Fd {
 public:
  Fd() noexcept = default;
  /// Takes ownership of `fd` (may be -1 for "none").
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() noexcept { reset(); }

  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset(std::exchange(other.fd_, -1));
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  /// The descriptor, still owned by this object (-1 when empty).
  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  /// Gives up ownership without closing; returns the descriptor.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

  /// Closes the owned descriptor (if any) and takes `fd` instead.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

}  // namespace netbench
