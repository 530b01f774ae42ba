#include <algorithm>
#include <string>
#include <string_view>

#include "core/signals.hpp"
#include "expect/checks.hpp"
#include "expect/describe.hpp"

namespace maildog::expect::detail {

namespace {

using runner::Failure;

std::string describe_exit(const runner::ProcessResult& app) {
  using Outcome = runner::ProcessResult::Outcome;
  switch (app.outcome) {
    case Outcome::exited:
      return "exit code " + std::to_string(app.exit_code);
    case Outcome::signaled:
      return "killed by signal " + signals::describe(app.signal);
    case Outcome::timed_out:
      // The runner's error already reads "timed out after 2s; process group 123 killed".
      return app.error.empty() ? std::string("timed out") : app.error;
    case Outcome::failed_to_start:
      return app.error.empty() ? std::string("failed to start") : "failed to start: " + app.error;
  }
  return "unknown outcome";
}

void check_output(const Observation& observation, const scenario::OutputExpect& expect, std::string_view stream,
                  const std::string& output, std::size_t line, std::vector<Failure>& failures) {
  const std::string base = "expect.app." + std::string(stream);
  const std::string stream_name(stream);
  auto nothing_or_excerpt = [&](std::string_view prefix) {
    return output.empty() ? stream_name + " was empty"
                          : std::string(prefix) + stream_name + ": " + quote(output, k_excerpt_max);
  };
  for (std::size_t i = 0; i < expect.contains.size(); ++i) {
    const auto& fragment = expect.contains[i];
    if (output.find(fragment) == std::string::npos) {
      failures.push_back({base + ".contains[" + std::to_string(i) + "]", line,
                          stream_name + " contains " + quote(fragment), nothing_or_excerpt("not found in "),
                          observation.last_lines()});
    }
  }
  for (std::size_t i = 0; i < expect.not_contains.size(); ++i) {
    const auto& fragment = expect.not_contains[i];
    auto found = output.find(fragment);
    if (fragment.empty() || found == std::string::npos) {
      continue;
    }
    const std::size_t line_start = output.rfind('\n', found) == std::string::npos ? 0 : output.rfind('\n', found) + 1;
    const std::size_t line_end = std::min(output.find('\n', found + fragment.size()), output.size());
    const auto line_number = static_cast<std::size_t>(std::count(
                                 output.begin(), output.begin() + static_cast<std::ptrdiff_t>(found), '\n')) +
                             1;
    failures.push_back({base + ".not_contains[" + std::to_string(i) + "]", line,
                        stream_name + " does not contain " + quote(fragment),
                        "found in " + stream_name + " line " + std::to_string(line_number) + ": " +
                            quote(std::string_view(output).substr(line_start, line_end - line_start), k_excerpt_max),
                        observation.last_lines()});
  }
  if (expect.regex && !expect.regex->matches(output)) {
    failures.push_back({base + ".regex", line, stream_name + " matches " + expect.regex->pattern(),
                        nothing_or_excerpt("no match in "), observation.last_lines()});
  }
}

}  // namespace

// How the app ended, judged on `expect.app`'s exit, timed_out and signal, or without them on the
// rule of any test runner: exit 0 within the timeout. A failure names the key that decides, so
// the user sees what to write when the outcome was intended.
void check_app_outcome(const Observation& observation, const scenario::AppExpect* expect, const scenario::AppSpec* spec,
                       std::vector<Failure>& failures) {
  using Outcome = runner::ProcessResult::Outcome;
  const auto& app = *observation.result.app;
  if (app.outcome == Outcome::failed_to_start) {
    return;  // the scenario's error says why; an expectation on an app that never ran adds nothing
  }
  // Explicit keys point at `expect.app`; the default points at the `app:` that failed.
  const std::size_t line = expect ? expect->line : (spec ? spec->line : 0);
  auto fail = [&](std::string path, std::string expected, std::string actual) {
    failures.push_back({std::move(path), line, std::move(expected), std::move(actual), observation.last_lines()});
  };
  const std::string actual = describe_exit(app);
  if (expect && expect->timed_out.value_or(false)) {
    if (app.outcome != Outcome::timed_out) {
      fail("expect.app.timed_out", "the app runs into its timeout", actual + ", before its timeout");
    }
    return;
  }
  if (expect && expect->signal) {
    const bool holds = app.outcome == Outcome::signaled && app.signal == *expect->signal;
    if (!holds) {
      // The runner's SIGTERM/SIGKILL at the deadline is not the app dying of a signal.
      const std::string hint = app.outcome == Outcome::timed_out ? " (the runner's kill; expect timed_out: true)" : "";
      fail("expect.app.signal", "killed by signal " + signals::describe(*expect->signal), actual + hint);
    }
    return;
  }
  if (expect && (expect->exit || expect->exit_any)) {
    const bool holds = app.outcome == Outcome::exited && (expect->exit_any || app.exit_code == *expect->exit);
    if (!holds) {
      fail("expect.app.exit",
           expect->exit_any ? std::string("the app exits (any code)") : "exit code " + std::to_string(*expect->exit),
           actual);
    }
    return;
  }
  switch (app.outcome) {
    case Outcome::timed_out:
      fail("expect.app.timed_out", "the app exits before its timeout (expect.app.timed_out: true if it should not)",
           actual);
      return;
    case Outcome::signaled:
      fail("expect.app.signal", "the app exits (expect.app.signal names a signal it may die of)", actual);
      return;
    case Outcome::exited:
      if (app.exit_code != 0) {
        fail("expect.app.exit", "exit code 0 (expect.app.exit names another code, or any)", actual);
      }
      return;
    case Outcome::failed_to_start:
      return;
  }
}

void check_app(const Observation& observation, const scenario::AppExpect& expect, std::vector<Failure>& failures) {
  const auto& app = observation.result.app;
  if (!app) {
    failures.push_back(
        {"expect.app", expect.line, "the app's result", "the scenario ran no app", observation.last_lines()});
    return;
  }
  if (expect.stdout_expect) {
    check_output(observation, *expect.stdout_expect, "stdout", app->stdout_text, expect.line, failures);
  }
  if (expect.stderr_expect) {
    check_output(observation, *expect.stderr_expect, "stderr", app->stderr_text, expect.line, failures);
  }
}

}  // namespace maildog::expect::detail
