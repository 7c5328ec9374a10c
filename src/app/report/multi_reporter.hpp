#pragma once

#include <memory>
#include <vector>

#include "app/report/reporter.hpp"

namespace netbench::app {

/// Fans every report out to a list of reporters, in the order they were
/// added. Order matters where two share a terminal: a progress line added
/// first is erased (on_run) before the others print their end. Owns them.
/// Not thread-safe (one runner thread, as Reporter).
class MultiReporter final : public Reporter {
 public:
  /// Appends `reporter` (not null).
  void add(std::unique_ptr<Reporter> reporter);
  [[nodiscard]] bool empty() const noexcept { return reporters_.empty(); }

  void on_context(const ReportContext& context) override;
  void on_start(const TestSpec& spec) override;
  void on_interval(const IntervalRecord& record) override;
  void on_run(const RunResult& result, const RunPoint& point) override;
  void on_repetition(const RunResult& result, const RunPoint& point,
                     std::size_t repetition) override;
  void on_repeated(const RepeatedRun& run, const RunPoint& point) override;
  void on_error(const std::string& error, const TestSpec* spec, const RunPoint& point) override;
  void finalize(const std::string& error) override;

 private:
  std::vector<std::unique_ptr<Reporter>> reporters_;
};

}  // namespace netbench::app
