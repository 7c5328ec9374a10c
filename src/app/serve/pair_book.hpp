#pragma once

#include <sys/socket.h>

#include <map>
#include <mutex>

#include "netbench/endpoint.hpp"
#include "netbench/registration.hpp"

namespace netbench::app {

/// --bidir against `netbench serve`: the two halves of one test come on two
/// control connections. The forward half's session opens a pair token (sent
/// in its "ready"); the reverse half's "test" names it, and the control loop
/// starts it at once, beside the forward half in that test's slot. A token
/// is claimed once, from the forward half's host only, while that session
/// runs: no one else can add a test through it. Thread-safe (sessions run on
/// their own threads, the control loop on its own).
class PairBook {
 public:
  /// A fresh token for the forward half of the client at `host`.
  [[nodiscard]] RegistrationToken open(const Endpoint& host);
  /// The forward half ended: its token claims nothing any more.
  void close(const RegistrationToken& token) noexcept;
  /// True once for an open `token` claimed from `host`'s address; the
  /// token is then spent.
  [[nodiscard]] bool claim(const RegistrationToken& token, const sockaddr_storage& host);

 private:
  std::mutex mutex_;
  std::map<RegistrationToken, Endpoint> open_;
};

/// Closes a token of `book` when the forward half's session ends.
class PairGuard {
 public:
  PairGuard(PairBook& book, const RegistrationToken& token) : book_(book), token_(token) {}
  PairGuard(const PairGuard&) = delete;
  PairGuard& operator=(const PairGuard&) = delete;
  ~PairGuard() { book_.close(token_); }

 private:
  PairBook& book_;
  RegistrationToken token_;
};

}  // namespace netbench::app
