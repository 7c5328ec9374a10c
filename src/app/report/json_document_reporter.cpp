#include "app/report/json_document_reporter.hpp"

#include "app/report/json_report.hpp"
#include "app/report/repeated_report.hpp"
#include "app/report/write_document.hpp"

namespace netbench::app {

void JsonDocumentReporter::on_run(const RunResult& result, const RunPoint& /*point*/) {
  write_document(run_document(result), to_stdout_, path_);
}

void JsonDocumentReporter::on_repeated(const RepeatedRun& run, const RunPoint& /*point*/) {
  write_document(repeated_document(run), to_stdout_, path_);
}

void JsonDocumentReporter::on_error(const std::string& error, const TestSpec* /*spec*/,
                                    const RunPoint& /*point*/) {
  write_document(document(nullptr, error), to_stdout_, path_);
}

}  // namespace netbench::app
