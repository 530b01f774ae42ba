#include "support/skip.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

namespace maildog::test {

namespace {
std::atomic<int> g_skip_exit_code{0};
std::atomic<int> g_failed_assertions{0};
}  // namespace

void set_skip_exit_code(int code) { g_skip_exit_code = code; }

void note_failed_assertion() { ++g_failed_assertions; }

void skip_test(std::string_view reason) {
  const std::string text(reason);
  if (g_skip_exit_code != 0 && g_failed_assertions == 0) {
    std::fprintf(stdout, "SKIPPED: %s\n", text.c_str());
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(g_skip_exit_code);
  }
  WARN("SKIPPED: " << text);
}

}  // namespace maildog::test
