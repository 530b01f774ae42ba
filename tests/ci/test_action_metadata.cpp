// action.yml against schemas/github-action.schema.json (GitHub's documented metadata syntax),
// and against itself: every input reaches a script, every output and step output is written by
// the script of the step it names, every script a step calls exists. And release.yml: each job has
// only the permissions it needs.
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "report/json_schema.hpp"
#include "support/paths.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// YAML as GitHub reads action.yml: plain true/false are booleans, plain integers numbers,
// everything else (and anything quoted) a string.
json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json object = json::object();
      for (const auto& entry : node) {
        object[entry.first.as<std::string>()] = to_json(entry.second);
      }
      return object;
    }
    case YAML::NodeType::Sequence: {
      json array = json::array();
      for (const auto& item : node) {
        array.push_back(to_json(item));
      }
      return array;
    }
    case YAML::NodeType::Scalar: {
      const std::string text = node.Scalar();
      if (node.Tag() != "!") {
        if (text == "true" || text == "false") {
          return text == "true";
        }
        if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() < 10) {
          return std::stoi(text);
        }
      }
      return text;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
  }
  return nullptr;
}

std::string schema_errors(const json& document) {
  return maildog::report::json_schema_errors(
      json::parse(read_text(source_dir() / "schemas" / "github-action.schema.json")), document);
}

std::set<std::string> matches(const std::string& text, const std::string& pattern) {
  std::set<std::string> found;
  const std::regex expression(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), expression); it != std::sregex_iterator(); ++it) {
    found.insert((*it)[1].str());
  }
  return found;
}

std::string upper(std::string text) {
  for (char& c : text) {
    c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return text;
}

// The ci/action script a step runs: `bash "$GITHUB_ACTION_PATH/ci/action/NAME.sh"`.
std::string script_of(const json& step) {
  static const std::regex call(R"re(^bash "\$GITHUB_ACTION_PATH/(ci/action/[a-z_-]+\.sh)"$)re");
  std::smatch match;
  const std::string run = step.value("run", "");
  return std::regex_match(run, match, call) ? match[1].str() : std::string();
}

}  // namespace

TEST_CASE("action.yml follows GitHub's action metadata syntax", "[ci][action]") {
  const json action = to_json(YAML::LoadFile((source_dir() / "action.yml").string()));
  CHECK(schema_errors(action) == "");
  CHECK(action["runs"]["using"] == "composite");

  SECTION("the schema rejects what GitHub would") {
    auto no_steps = action;
    no_steps["runs"].erase("steps");
    CHECK(schema_errors(no_steps) != "");
    auto output_without_value = action;
    output_without_value["outputs"]["passed"].erase("value");
    CHECK(schema_errors(output_without_value) != "");
    auto run_without_shell = action;
    run_without_shell["runs"]["steps"][0].erase("shell");
    CHECK(schema_errors(run_without_shell) != "");
    auto run_and_uses = action;
    run_and_uses["runs"]["steps"][0]["uses"] = "actions/cache@v4";
    CHECK(schema_errors(run_and_uses) != "");
    auto required_as_text = action;
    required_as_text["inputs"]["scenarios"]["required"] = "no";
    CHECK(schema_errors(required_as_text) != "");
    auto unknown_key = action;
    unknown_key["runs"]["steps"][0]["timeout"] = 5;
    CHECK(schema_errors(unknown_key) != "");
  }
}

TEST_CASE("action.yml is consistent with the scripts it calls", "[ci][action]") {
  const std::string text = read_text(source_dir() / "action.yml");
  const json action = to_json(YAML::Load(text));
  std::set<std::string> inputs;
  for (const auto& [name, input] : action["inputs"].items()) {
    inputs.insert(name);
  }
  REQUIRE(inputs ==
          std::set<std::string>{"scenarios", "junit", "json", "html", "args", "shard", "seed", "merge", "version"});
  CHECK(matches(text, R"(\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\})") == inputs);  // no undeclared input is read

  std::map<std::string, std::string> script_by_step;  // step id -> script text
  std::set<std::string> passed_inputs;
  for (const auto& step : action["runs"]["steps"]) {
    if (step.contains("uses")) {
      continue;
    }
    const std::string script = script_of(step);
    INFO(step.dump());
    REQUIRE_FALSE(script.empty());
    REQUIRE(fs::exists(source_dir() / script));
    const std::string script_text = read_text(source_dir() / script);
    if (step.contains("id")) {
      script_by_step[step["id"].get<std::string>()] = script_text;
    }
    const json env = step.value("env", json::object());
    for (const auto& [variable, value] : env.items()) {
      const auto input = matches(value.get<std::string>(), R"(^\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}$)");
      if (!input.empty()) {
        CHECK(variable == "INPUT_" + upper(*input.begin()));
        CHECK_THAT(script_text, Catch::Contains(variable));  // the script reads what the step passes
        passed_inputs.insert(*input.begin());
      }
    }
  }
  CHECK(passed_inputs == inputs);  // every input reaches a script

  // Every steps.ID.outputs.NAME the action reads is written by that step's script ("NAME=").
  const std::regex step_output(R"(steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), step_output); it != std::sregex_iterator(); ++it) {
    const std::string id = (*it)[1].str();
    const std::string output = (*it)[2].str();
    CAPTURE(id, output);
    REQUIRE(script_by_step.count(id) == 1);
    CHECK_THAT(script_by_step[id], Catch::Contains("echo \"" + output + "="));
  }
  for (const auto& [name, output] : action["outputs"].items()) {
    CHECK(output["value"] == "${{ steps.run.outputs." + name + " }}");
  }
  // source.sh chooses first; the packages and the compiler only on the build path, the download
  // only on the release path, and the run step takes the binary of whichever ran.
  const auto& steps = action["runs"]["steps"];
  REQUIRE(script_of(steps[0]) == "ci/action/source.sh");
  const std::map<std::string, std::string> path_of{
      {"ci/action/install.sh", "build"}, {"ci/action/build.sh", "build"}, {"ci/action/download.sh", "download"}};
  std::set<std::string> seen;
  for (const auto& step : steps) {
    const auto path = path_of.find(script_of(step));
    if (path != path_of.end()) {
      INFO(step.dump());
      CHECK(step.value("if", "") == "steps.source.outputs.mode == '" + path->second + "'");
      seen.insert(path->first);
    } else {
      CHECK_FALSE(step.contains("if"));
    }
  }
  CHECK(seen.size() == path_of.size());
  CHECK(steps.back()["env"]["MAILDOG_BINARY"] == "${{ steps.download.outputs.binary || steps.build.outputs.binary }}");
}

TEST_CASE("release.yml: every job has only the permissions it needs", "[ci][release]") {
  const json workflow = to_json(YAML::LoadFile((source_dir() / ".github" / "workflows" / "release.yml").string()));
  CHECK(workflow["permissions"] == json::object());  // nothing by default
  const json read = {{"contents", "read"}};
  const std::map<std::string, json> expected{
      {"check", read},
      {"build", read},
      {"image", {{"contents", "read"}, {"packages", "write"}}},
      {"manifest", {{"packages", "write"}}},
      {"publish", {{"contents", "write"}, {"id-token", "write"}, {"attestations", "write"}}},
  };
  std::set<std::string> jobs;
  for (const auto& [name, job] : workflow["jobs"].items()) {
    INFO(name);
    jobs.insert(name);
    REQUIRE(expected.count(name) == 1);
    CHECK(job["permissions"] == expected.at(name));
  }
  CHECK(jobs.size() == expected.size());
  // A tag of a version starts it, and the release is published only after everything was built.
  CHECK(workflow["on"]["push"]["tags"] == json::array({"v[0-9]+.[0-9]+.[0-9]+*"}));
  CHECK(workflow["jobs"]["publish"]["needs"] == json::array({"check", "build", "manifest"}));
}
