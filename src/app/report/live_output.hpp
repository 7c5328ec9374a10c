#pragma once

#include <cstdio>

#include <nlohmann/json.hpp>

#include "netbench/results.hpp"

namespace netbench::app {

/// `--json-lines`: one JSON object per line on `out` while the test runs —
/// {"event":"start","config":...}, {"event":"interval",...} per interval,
/// {"event":"end",...} with the whole document — each flushed at once, so a
/// consumer sees every interval as it happens.
class JsonLines {
 public:
  explicit JsonLines(std::FILE* out) : out_(out) {}
  void start(const TestSpec& spec);
  void interval(const IntervalRecord& r);
  void end(const nlohmann::json& document);

 private:
  void write(const nlohmann::json& event);
  std::FILE* out_;
};

/// A one-line progress display on a terminal: rewritten in place each
/// interval, erased at the end. Does nothing unless `out` is a terminal.
class Progress {
 public:
  Progress(std::FILE* out, const TestSpec& spec);
  void interval(const IntervalRecord& r);
  /// Erases the line.
  void clear();

 private:
  std::FILE* out_;
  const TestSpec* spec_;
  bool tty_;
  bool shown_ = false;
};

}  // namespace netbench::app
