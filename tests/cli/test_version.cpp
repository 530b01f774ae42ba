// `--version` says what the binary is: the project's version and, in a git checkout, the commit
// and whether the tree had changes (cmake/build_info.cmake, made at build time).
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "cli/build_info.hpp"
#include "support/child.hpp"
#include "support/paths.hpp"

using namespace maildog::test;

namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

TEST_CASE("the version line names the version, the commit and the tree's state", "[cli][version]") {
  const std::string line(maildog::cli::version_line());
  CAPTURE(line);
  REQUIRE(line.rfind(std::string("maildog-ci ") + MAILDOG_TEST_PROJECT_VERSION + " (", 0) == 0);

  const auto source = source_dir();
  if (!std::filesystem::exists(source / ".git") || !program_available("git")) {
    REQUIRE(line.find("(not built from a git checkout)") != std::string::npos);
    return;
  }
  ChildSpec git;
  git.argv = {"git", "-C", source.string(), "rev-parse", "--short=12", "HEAD"};
  const auto head = run_child(git);
  REQUIRE(head.exit_code == 0);
  CHECK(line.find("commit " + trimmed(head.out)) != std::string::npos);
  const bool tree_state = line.find(", clean tree)") != std::string::npos ||
                          line.find(", modified tree)") != std::string::npos ||
                          line.find("(release v") != std::string::npos;
  CHECK(tree_state);
}

TEST_CASE("maildog-ci --version prints that line", "[cli][version]") {
  ChildSpec version;
  version.argv = {binary_path().string(), "--version"};
  const auto run = run_child(version);
  INFO(run.describe());
  REQUIRE(run.exit_code == 0);
  CHECK(trimmed(run.out) == std::string(maildog::cli::version_line()));
}
