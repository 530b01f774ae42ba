// Golden outputs: every real-world reply in golden/replies.txt is explained and the JSON of all of
// them compared with the reviewed golden/replies.approved.json. After a deliberate change to the
// knowledge base, run with MAILDOG_APPROVE=1, then read the diff of the approved file line by line.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "explain/explanation.hpp"
#include "explain/render.hpp"
#include "support/paths.hpp"

using namespace maildog::explain;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_real_world_minimum = 60;

struct GoldenCase {
  std::string source;
  std::string input;
};

const fs::path k_golden_dir = maildog::test::source_dir() / "tests" / "explain" / "golden";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "# source: ..." then the input line; other "# " lines and blank lines are commentary. An input
// may itself start with '#' ("#550 5.1.1 ... ##", Exchange's style) as long as no space follows.
std::vector<GoldenCase> read_cases() {
  std::ifstream in(k_golden_dir / "replies.txt");
  REQUIRE(in);
  std::vector<GoldenCase> cases;
  std::string source;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.starts_with("# source:")) {
      INFO("line " << number << ": a source must be followed by its input");
      REQUIRE(source.empty());
      source = line.substr(9);
      source.erase(0, source.find_first_not_of(' '));
      continue;
    }
    if (line.empty() || line == "#" || line.starts_with("# ")) {
      continue;
    }
    INFO("line " << number << ": every input needs a '# source:' line before it");
    REQUIRE_FALSE(source.empty());
    cases.push_back({source, line});
    source.clear();
  }
  return cases;
}

}  // namespace

TEST_CASE("real-world replies get the approved explanations", "[explain][golden]") {
  const auto cases = read_cases();
  REQUIRE(cases.size() >= k_real_world_minimum);

  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  for (const auto& golden : cases) {
    const auto search = find_reply(golden.input);
    INFO(golden.input);
    REQUIRE(search.reply);
    nlohmann::ordered_json entry;
    entry["input"] = golden.input;
    entry["published"] = golden.source;
    const auto explained = render_json(explain(*search.reply));
    for (const auto& [key, value] : explained.items()) {
      entry[key] = value;
    }
    all.push_back(entry);
  }
  const std::string received = all.dump(2) + "\n";

  const fs::path approved = k_golden_dir / "replies.approved.json";
  const char* approve = std::getenv("MAILDOG_APPROVE");
  if (approve != nullptr && std::string_view(approve) == "1") {
    std::ofstream(approved, std::ios::binary) << received;
    WARN("approved " << approved.string() << ": review the diff before committing it");
    return;
  }
  const fs::path received_path = maildog::test::received_path("replies.received.json");
  if (read_file(approved) != received) {
    std::ofstream(received_path, std::ios::binary) << received;
    FAIL("explanations differ from " << approved.string() << "; see " << received_path.string()
                                     << " (diff them; run with MAILDOG_APPROVE=1 to approve)");
  }
  SUCCEED();
}
