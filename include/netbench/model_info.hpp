#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace netbench {

/// Receiver (server) I/O model. Every enumerator has its entry in kModels
/// (checked below), and receiver::make_server_model switches over it with no
/// default, so -Wswitch names a model the factory cannot build.
enum class ModelKind : std::uint8_t { kThread, kSelect, kPoll, kEpoll, kUring };

/// How a model spreads the sockets of a test over threads.
enum class ModelFamily : std::uint8_t {
  kThreadPerConnection,   ///< one blocking thread per TCP connection or UDP flow
  kReadinessMultiplexer,  ///< K event loops, each waiting for readiness of its share
  kCompletionRing,        ///< K event loops, each reaping completions of its io_uring
};

/// One server model: its enumerator, its name (command line, JSON, test
/// names) and its family.
struct ModelInfo {
  ModelKind kind;
  std::string_view name;
  ModelFamily family;
};

/// Every server model, in enumerator order: the one list from which parsing,
/// printing, the help text, the schema check and the parameterised test
/// suites derive. A model is added here, to ModelKind, to the factory (the
/// compiler insists) and to docs/netbench.schema.json (a test insists).
inline constexpr std::array kModels{
    ModelInfo{ModelKind::kThread, "thread", ModelFamily::kThreadPerConnection},
    ModelInfo{ModelKind::kSelect, "select", ModelFamily::kReadinessMultiplexer},
    ModelInfo{ModelKind::kPoll, "poll", ModelFamily::kReadinessMultiplexer},
    ModelInfo{ModelKind::kEpoll, "epoll", ModelFamily::kReadinessMultiplexer},
    ModelInfo{ModelKind::kUring, "uring", ModelFamily::kCompletionRing},
};

/// The enumerators of kModels, in its order (for ::testing::ValuesIn and
/// loops over every model).
inline constexpr std::array<ModelKind, kModels.size()> kModelKinds = [] {
  std::array<ModelKind, kModels.size()> kinds{};
  for (std::size_t i = 0; i < kModels.size(); ++i) {
    kinds[i] = kModels[i].kind;
  }
  return kinds;
}();

namespace detail {

/// True if entry i of kModels is enumerator i: each listed once, in order,
/// so that model_info() may index.
constexpr bool models_dense_and_ordered() noexcept {
  for (std::size_t i = 0; i < kModels.size(); ++i) {
    if (static_cast<std::size_t>(kModels[i].kind) != i) {
      return false;
    }
  }
  return true;
}

/// True if no two models share a name (parsing would be ambiguous).
constexpr bool model_names_unique() noexcept {
  for (std::size_t i = 0; i < kModels.size(); ++i) {
    for (std::size_t j = i + 1; j < kModels.size(); ++j) {
      if (kModels[i].name == kModels[j].name) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace detail

static_assert(detail::models_dense_and_ordered(),
              "kModels lists every ModelKind once, in enumerator order");
static_assert(detail::model_names_unique(), "two server models share a name");

/// The entry of `kind`; nullptr for a value that is no listed enumerator.
[[nodiscard]] constexpr const ModelInfo* find_model(ModelKind kind) noexcept {
  const auto i = static_cast<std::size_t>(kind);
  return i < kModels.size() ? &kModels[i] : nullptr;
}

/// The entry named `name` ("epoll"); nullptr if none is.
[[nodiscard]] constexpr const ModelInfo* find_model(std::string_view name) noexcept {
  for (const ModelInfo& m : kModels) {
    if (m.name == name) {
      return &m;
    }
  }
  return nullptr;
}

/// Every model's name, in list order, joined by `separator`
/// ("thread, select, poll, epoll, uring"): for help text and error messages.
[[nodiscard]] inline std::string model_names(std::string_view separator = ", ") {
  std::string out;
  for (const ModelInfo& m : kModels) {
    if (!out.empty()) {
      out += separator;
    }
    out += m.name;
  }
  return out;
}

}  // namespace netbench
