// The tests' main: Catch2's session with one option of ours, `--skip-exit-code N`, which
// tests/CMakeLists.txt passes together with CTest's SKIP_RETURN_CODE (see support/skip.hpp).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "support/skip.hpp"

namespace {

// Counts failed assertions, so that a skip never turns an earlier failure into "skipped".
class FailureCounter : public Catch::TestEventListenerBase {
 public:
  using TestEventListenerBase::TestEventListenerBase;
  bool assertionEnded(const Catch::AssertionStats& stats) override {
    if (!stats.assertionResult.isOk()) {
      maildog::test::note_failed_assertion();
    }
    return true;
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(FailureCounter)

int main(int argc, char* argv[]) {
  Catch::Session session;
  int skip_exit_code = 0;
  session.cli(session.cli() | Catch::clara::Opt(skip_exit_code, "code")["--skip-exit-code"](
                                  "exit with this code when a test skips for absent data"));
  if (const int status = session.applyCommandLine(argc, argv); status != 0) {
    return status;
  }
  maildog::test::set_skip_exit_code(skip_exit_code);
  return session.run();
}
