#include "sys/open_fds.hpp"

#include <dirent.h>

namespace netbench::sys {

std::size_t open_fd_count() noexcept {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) {
    return 0;
  }
  std::size_t n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') {
      ++n;
    }
  }
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;  // minus the directory's own descriptor
}

}  // namespace netbench::sys
