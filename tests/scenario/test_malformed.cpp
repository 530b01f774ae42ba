// Table-driven: every file in malformed/ names the diagnostics it must produce in comment lines
// "# expect-error: LINE:COL substring-of-message"; the loader must report exactly those.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "scenario/loader.hpp"
#include "support/paths.hpp"

namespace scn = maildog::scenario;

namespace {

struct ExpectedError {
  std::size_t line = 0;
  std::size_t column = 0;
  std::string fragment;
};

std::filesystem::path malformed_dir() { return maildog::test::source_dir() / "tests" / "scenario" / "malformed"; }

std::vector<std::string> corpus() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(malformed_dir())) {
    if (entry.path().extension() == ".yaml") {
      files.push_back(entry.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<ExpectedError> expected_errors(const std::filesystem::path& file) {
  const std::string marker = "# expect-error: ";
  std::vector<ExpectedError> expected;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(marker)) {
      continue;
    }
    std::istringstream fields(line.substr(marker.size()));
    ExpectedError error;
    char colon = 0;
    fields >> error.line >> colon >> error.column;
    std::getline(fields >> std::ws, error.fragment);
    expected.push_back(error);
  }
  return expected;
}

}  // namespace

TEST_CASE("the malformed corpus is large enough", "[scenario]") { CHECK(corpus().size() >= 30); }

TEST_CASE("every malformed scenario reports exactly its expected diagnostics", "[scenario]") {
  const std::string name = GENERATE(from_range(corpus()));
  const auto path = malformed_dir() / name;
  const auto expected = expected_errors(path);
  auto result = scn::load_paths({path}, scn::Environment::from_map({{"DEFINED", "yes"}}));

  std::string reported;
  for (const auto& diagnostic : result.diagnostics) {
    reported += diagnostic.format() + "\n";
  }
  INFO(name << " reported:\n" << reported);
  REQUIRE_FALSE(expected.empty());
  for (const auto& want : expected) {
    INFO("expected " << want.line << ":" << want.column << " " << want.fragment);
    bool found = std::any_of(result.diagnostics.begin(), result.diagnostics.end(), [&](const scn::Diagnostic& d) {
      return d.line == want.line && d.column == want.column && d.message.find(want.fragment) != std::string::npos;
    });
    CHECK(found);
  }
  CHECK(result.diagnostics.size() == expected.size());
  for (const auto& diagnostic : result.diagnostics) {
    CHECK(diagnostic.file == path);
  }
}
