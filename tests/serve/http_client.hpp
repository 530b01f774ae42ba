// What the serve tests that talk HTTP share: a skip when a client program is missing, and one
// request through curl (a real client) with its status and body. Include after catch.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "support/child.hpp"
#include "support/paths.hpp"
#include "support/skip.hpp"

namespace maildog::test {

inline bool have(const std::string& program) {
  if (program_available(program)) {
    return true;
  }
  MAILDOG_SKIP(program << " is not installed: test skipped (ci/install-deps.sh installs it)");
  return false;
}

struct HttpReply {
  int status = 0;
  std::string body;
};

// GET (or what `extra` makes of it) http://127.0.0.1:PORT/TARGET.
inline HttpReply curl(std::uint16_t port, const std::string& target, std::vector<std::string> extra = {}) {
  ChildSpec spec;
  spec.argv = {"curl", "-sS", "--max-time", "30", "-w", "\n%{http_code}"};
  spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
  spec.argv.push_back("http://127.0.0.1:" + std::to_string(port) + target);
  spec.timeout = std::chrono::seconds(40);
  auto result = run_child(spec);
  INFO(result.describe());
  const auto cut = result.out.rfind('\n');
  REQUIRE(cut != std::string::npos);
  return {std::stoi(result.out.substr(cut + 1)), result.out.substr(0, cut)};
}

}  // namespace maildog::test
