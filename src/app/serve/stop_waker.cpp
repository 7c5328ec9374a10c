#include "app/serve/stop_waker.hpp"

#include <utility>

namespace netbench::app {

StopWaker::StopWaker(std::stop_token stop) : waker_("stop waker") {
  // Registered last: the callback may run at once (stop already requested).
  on_stop_.emplace(std::move(stop), Notify{this});
}

}  // namespace netbench::app
