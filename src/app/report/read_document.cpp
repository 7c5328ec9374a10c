#include "app/report/read_document.hpp"

#include <fstream>
#include <stdexcept>

namespace netbench::app {

nlohmann::json read_document(const std::string& path) {
  std::ifstream f(path);
  if (!f) {
    throw std::runtime_error("cannot open " + path);
  }
  nlohmann::json doc = nlohmann::json::parse(f, nullptr, false);
  if (doc.is_discarded()) {
    throw std::runtime_error(path + " is not valid JSON");
  }
  return doc;
}

}  // namespace netbench::app
