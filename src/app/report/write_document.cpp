#include "app/report/write_document.hpp"

#include <cerrno>
#include <cstdio>
#include <fstream>

#include "netbench/error.hpp"

namespace netbench::app {

void write_document(const nlohmann::json& doc, bool to_stdout, const std::string& path) {
  const std::string text = doc.dump(2) + "\n";
  if (to_stdout) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }
  if (!path.empty()) {
    // Write beside the target and rename: a reader never sees half a document.
    const std::string tmp = path + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc);
      f << text;
      if (!f.flush()) {
        throw SystemError("write", path, errno);
      }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      throw SystemError("rename", path, errno);
    }
  }
}

}  // namespace netbench::app
