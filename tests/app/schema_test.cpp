// docs/netbench.schema.json against the code's own lists: the schema is
// written by hand, so a model added to kModels alone (or to the schema
// alone) fails here.

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "netbench/model_info.hpp"

namespace netbench {
namespace {

nlohmann::json load_schema() {
  std::ifstream in(std::string(NETBENCH_SOURCE_DIR) + "/docs/netbench.schema.json");
  EXPECT_TRUE(in.good()) << "docs/netbench.schema.json is unreadable";
  return nlohmann::json::parse(in);
}

/// Every enum that constrains a property named "model", directly or as the
/// items of an array (the sweep matrix), anywhere in `node`.
void collect_model_enums(const nlohmann::json& node, std::vector<nlohmann::json>& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "model" && value.is_object()) {
        if (value.contains("enum")) {
          out.push_back(value["enum"]);
        }
        if (value.contains("items") && value["items"].contains("enum")) {
          out.push_back(value["items"]["enum"]);
        }
      }
      collect_model_enums(value, out);
    }
  } else if (node.is_array()) {
    for (const auto& value : node) {
      collect_model_enums(value, out);
    }
  }
}

TEST(SchemaTest, EveryModelEnumIsTheModelListInOrder) {
  nlohmann::json names = nlohmann::json::array();
  for (const ModelInfo& m : kModels) {
    names.push_back(std::string(m.name));
  }
  std::vector<nlohmann::json> enums;
  collect_model_enums(load_schema(), enums);
  // The run's config and the sweep's matrix, at least.
  ASSERT_GE(enums.size(), 2U);
  for (const nlohmann::json& e : enums) {
    EXPECT_EQ(e, names);
  }
}

}  // namespace
}  // namespace netbench
