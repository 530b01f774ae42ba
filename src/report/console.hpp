// The console report: one line per scenario as it finishes, then every failure with what was
// expected, what happened and the transcript around it, then "N passed, N failed".
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>

#include "core/name_table.hpp"
#include "runner/result.hpp"

namespace maildog::report {

class ConsoleReporter {
 public:
  // `color`: ANSI colors; the caller decides (a terminal and no NO_COLOR).
  explicit ConsoleReporter(std::ostream& out, bool color = false);

  // With a total, each line starts with a progress counter "[ 3/12]" so a long run shows how
  // far it is, on a terminal and in CI logs alike.
  void set_total(std::size_t total) { m_total = total; }
  // "  PASS  name (file:line) 12 ms", "  FAIL  ...", "  ERROR ...".
  void scenario_finished(const runner::ScenarioResult& result);
  // Every failure and error in detail, in run order, then the summary line.
  void finish(const runner::RunResult& run);

 private:
  std::string paint(std::string_view text, std::string_view color) const;

  std::ostream& m_out;
  bool m_color;
  std::size_t m_total = 0;
  std::size_t m_done = 0;
};

// "file:line" of a scenario or of one of its expectations (line 0: the scenario's line).
std::string location(const std::filesystem::path& file, std::size_t line);

// One failure as indented plain text, shared by the console and JUnit reports:
//   expect.replies[0] at scenarios/reset.yaml:31
//     expected: RCPT ghost@inbox.test -> 550 5.1.1
//     actual:   RCPT ghost@inbox.test -> 250 2.1.5 Recipient ok
//     transcript:
//       C: RCPT TO:<ghost@inbox.test>
// Every line starts with `indent` and ends with "\n".
std::string format_failure(const runner::Failure& failure, const runner::ScenarioResult& scenario,
                           std::string_view indent = "");

// "passed", "failed", "error".
// How every report names a scenario's status; the JSON report reader looks names up here too.
inline constexpr NameTable<runner::Status, 3> k_status_names{{
    {runner::Status::passed, "passed"},
    {runner::Status::failed, "failed"},
    {runner::Status::error, "error"},
}};
std::string_view status_name(runner::Status status);

}  // namespace maildog::report
