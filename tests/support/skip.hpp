// Skipping a test whose data is absent (the shared conformance data on a user's fresh clone).
// Catch2 2.13 (Debian 12) has no SKIP(), and a test with no assertions fails under
// `--warn NoAssertions`; so under CTest the process ends with a dedicated exit code that
// tests/CMakeLists.txt declares as SKIP_RETURN_CODE, and CTest reports the test as skipped.
#pragma once

#include <sstream>
#include <string_view>

namespace maildog::test {

// The exit code that means "skipped" (0: none given, as when a test binary is run by hand).
void set_skip_exit_code(int code);

// Ends the running test as skipped, saying why: with a skip exit code, the process exits with it,
// unless an assertion has already failed in this process (a failure is never hidden by a skip).
// Without one, or after a failure, it only WARNs and returns: the caller then returns too.
void skip_test(std::string_view reason);

// Counted by the listener in catch_main.cpp.
void note_failed_assertion();

}  // namespace maildog::test

// skip_test with a message built like WARN's: MAILDOG_SKIP("curl is missing: " << what).
#define MAILDOG_SKIP(message)                            \
  do {                                                   \
    std::ostringstream maildog_skip_text;                \
    maildog_skip_text << message;                        \
    ::maildog::test::skip_test(maildog_skip_text.str()); \
  } while (false)
