#pragma once

#include <stdexcept>

namespace netbench::app {

/// Process exit codes (README, "Exit codes").
inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;     ///< a bug: please report it
inline constexpr int kExitUsage = 2;        ///< bad flag or value
inline constexpr int kExitSetup = 3;        ///< a system call failed: port in use, unreachable, ...
inline constexpr int kExitIncomplete = 4;   ///< the test ran but ended early (peer died, stalled)
inline constexpr int kExitInterrupted = 5;  ///< SIGINT or SIGTERM; partial results written
/// `netbench compare`: a significant change beyond --threshold made a
/// metric worse (so that CI can gate on it).
inline constexpr int kExitWorse = 6;

/// A command line that cannot be run; its message is the one line shown.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace netbench::app
