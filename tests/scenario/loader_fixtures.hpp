// Fixtures shared by the scenario loader tests: loading a YAML text, the diagnostics as text
// and a folder tree of scenario files.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "scenario/loader.hpp"
#include "support/paths.hpp"

namespace loader_fixtures {

namespace scn = maildog::scenario;
using maildog::rules::TextMatch;
using maildog::smtp::EnhancedCode;

inline std::filesystem::path valid_dir() { return maildog::test::source_dir() / "tests" / "scenario" / "valid"; }

inline scn::Environment test_env() { return scn::Environment::from_map({{"RCPT", "late@inbox.test"}}); }

inline std::string messages(const scn::LoadResult& result) {
  std::string out;
  for (const auto& diagnostic : result.diagnostics) {
    out += diagnostic.format() + "\n";
  }
  return out;
}

inline scn::LoadResult load_one(std::string_view yaml) { return scn::load_text(yaml, "mem/test.yaml", test_env()); }

// A folder tree under the build's temporary directory, removed afterwards.
struct TempTree {
  std::filesystem::path root;
  TempTree() : root(std::filesystem::temp_directory_path() / ("maildog-scenario-test-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
  }
  ~TempTree() { std::filesystem::remove_all(root); }
  void write(const std::filesystem::path& relative, std::string_view text) const {
    std::filesystem::create_directories((root / relative).parent_path());
    std::ofstream(root / relative) << text;
  }
};

inline std::string minimal(std::string_view name) {
  return "name: " + std::string(name) + "\nclient: {steps: [{expect: {code: 220}}]}\n";
}

}  // namespace loader_fixtures
