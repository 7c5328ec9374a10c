#include "netbench/model_info.hpp"

#include <set>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "netbench/test_spec.hpp"

namespace netbench {
namespace {

TEST(ModelInfoTest, EveryListedModelRoundTripsThroughItsName) {
  for (const ModelInfo& m : kModels) {
    EXPECT_EQ(to_string(m.kind), m.name);
    ModelKind parsed{};
    ASSERT_TRUE(parse(m.name, parsed)) << m.name;
    EXPECT_EQ(parsed, m.kind) << m.name;
  }
}

TEST(ModelInfoTest, KindsFollowTheListInOrder) {
  ASSERT_EQ(kModelKinds.size(), kModels.size());
  for (std::size_t i = 0; i < kModels.size(); ++i) {
    EXPECT_EQ(kModelKinds[i], kModels[i].kind) << i;
  }
}

TEST(ModelInfoTest, NamesAreLowerCaseAndDistinct) {
  std::set<std::string_view> seen;
  for (const ModelInfo& m : kModels) {
    EXPECT_FALSE(m.name.empty());
    EXPECT_EQ(m.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos)
        << m.name;
    EXPECT_TRUE(seen.insert(m.name).second) << m.name;
  }
}

TEST(ModelInfoTest, AnUnlistedValueHasNoEntryAndPrintsAsQuestionMark) {
  const auto unlisted = static_cast<ModelKind>(kModels.size());
  EXPECT_EQ(find_model(unlisted), nullptr);
  EXPECT_EQ(to_string(unlisted), "?");
  EXPECT_EQ(find_model("kqueue"), nullptr);
  ModelKind untouched = ModelKind::kPoll;
  EXPECT_FALSE(parse("Epoll", untouched));
  EXPECT_EQ(untouched, ModelKind::kPoll);
}

TEST(ModelInfoTest, NamesJoinInListOrderForTheHelpText) {
  std::string expected;
  for (const ModelInfo& m : kModels) {
    expected += (expected.empty() ? "" : ", ") + std::string(m.name);
  }
  EXPECT_EQ(model_names(), expected);
  EXPECT_EQ(model_names("|").find(", "), std::string::npos);
}

TEST(ModelInfoTest, OnlyTheThreadModelIsThreadPerConnection) {
  // The families decide the number of event loops (receiver::loop_count).
  for (const ModelInfo& m : kModels) {
    EXPECT_EQ(m.family == ModelFamily::kThreadPerConnection, m.kind == ModelKind::kThread)
        << m.name;
  }
}

}  // namespace
}  // namespace netbench
