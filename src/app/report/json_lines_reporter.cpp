#include "app/report/json_lines_reporter.hpp"

#include <string>

#include "app/report/json_report.hpp"
#include "app/report/repeated_report.hpp"

namespace netbench::app {

void JsonLinesReporter::write(const nlohmann::json& event) {
  const std::string line = event.dump() + "\n";
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

void JsonLinesReporter::on_start(const TestSpec& spec) {
  write({{"event", "start"}, {"schema", kSchema}, {"config", config_json(spec)}});
}

void JsonLinesReporter::on_interval(const IntervalRecord& record) {
  nlohmann::json e = interval_json(record);
  e["event"] = "interval";
  write(e);
}

void JsonLinesReporter::on_run(const RunResult& result, const RunPoint& /*point*/) {
  write({{"event", "end"}, {"document", run_document(result)}});
}

void JsonLinesReporter::on_repetition(const RunResult& result, const RunPoint& /*point*/,
                                      std::size_t repetition) {
  write({{"event", "repetition"}, {"repetition", repetition}, {"run", run_json(result)}});
}

void JsonLinesReporter::on_repeated(const RepeatedRun& run, const RunPoint& /*point*/) {
  write({{"event", "end"}, {"document", repeated_document(run)}});
}

}  // namespace netbench::app
