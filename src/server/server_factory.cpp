#include "server/epoll_model.hpp"
#include "server/poll_model.hpp"
#include "server/select_model.hpp"
#include "server/server_model.hpp"
#include "server/thread_model.hpp"

namespace netbench::server {

std::unique_ptr<ServerModel> make_server_model(ModelKind kind, ReceiverState& state) {
  switch (kind) {
    case ModelKind::kThread:
      return std::make_unique<ThreadModel>(state);
    case ModelKind::kSelect:
      return std::make_unique<SelectModel>(state);
    case ModelKind::kPoll:
      return std::make_unique<PollModel>(state);
    case ModelKind::kEpoll:
      return std::make_unique<EpollModel>(state);
  }
  return nullptr;
}

unsigned loop_count(const TestSpec& spec) noexcept {
  return spec.model == ModelKind::kThread ? 1U : std::max(1U, spec.threads);
}

}  // namespace netbench::server
