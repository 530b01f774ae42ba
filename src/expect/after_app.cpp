#include "expect/after_app.hpp"

#include <algorithm>
#include <string_view>

#include "expect/evaluate.hpp"

namespace maildog::expect {

namespace {

using runner::Failure;
using std::chrono::milliseconds;

// Lines of a then step's output shown under its failure, from the end of each stream.
constexpr std::size_t k_then_output_lines = 10;

template <typename Item>
void add_windows(std::string_view name, const std::vector<Item>& items, const scenario::Expectations& expect,
                 bool (*negative)(const Item&), std::vector<Window>& out) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (auto length = items[i].within ? items[i].within : expect.within) {
      out.push_back({"expect." + std::string(name) + "[" + std::to_string(i) + "]", *length, negative(items[i])});
    }
  }
}

// A maximum (max, count: 0, max_attempts) makes an expectation one that time can only break.
bool negative_reply(const scenario::ReplyExpect& item) { return item.max || item.count == 0U; }
bool negative_delivered(const scenario::DeliveredExpect& item) { return item.count == 0U; }
bool negative_rejected(const scenario::RejectedExpect& item) { return item.count == 0U; }
bool negative_retry(const scenario::RetryExpect& item) { return item.max_attempts.has_value(); }

std::vector<std::string> tail(std::string_view stream, const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    start = end == std::string::npos ? text.size() : end + 1;
  }
  std::vector<std::string> out;
  if (lines.empty()) {
    out.push_back(std::string(stream) + ": empty");
    return out;
  }
  const std::size_t shown = std::min(lines.size(), k_then_output_lines);
  out.push_back(std::string(stream) + (shown < lines.size() ? ", last " + std::to_string(shown) + " lines:" : ":"));
  for (std::size_t i = lines.size() - shown; i < lines.size(); ++i) {
    out.push_back("  " + lines[i]);
  }
  return out;
}

std::string wanted_exit(const scenario::ThenStep& step) {
  if (step.expect_exit) {
    return "exit code " + std::to_string(*step.expect_exit);
  }
  return "exit code 0 (expect_exit names another code, or any)";
}

}  // namespace

std::string duration_text(milliseconds duration) {
  const auto count = duration.count();
  if (count > 0 && count % 60000 == 0) {
    return std::to_string(count / 60000) + "m";
  }
  if (count % 1000 == 0) {
    return std::to_string(count / 1000) + "s";
  }
  return std::to_string(count) + "ms";
}

std::vector<Window> windows(const scenario::Expectations& expect) {
  std::vector<Window> out;
  add_windows("replies", expect.replies, expect, &negative_reply, out);
  add_windows("delivered", expect.delivered, expect, &negative_delivered, out);
  if (expect.within) {
    for (std::size_t i = 0; i < expect.not_delivered.size(); ++i) {
      out.push_back({"expect.not_delivered[" + std::to_string(i) + "]", *expect.within, true});
    }
  }
  add_windows("rejected", expect.rejected, expect, &negative_rejected, out);
  add_windows("retries", expect.retries, expect, &negative_retry, out);
  return out;
}

std::optional<milliseconds> keep_watching(const scenario::Scenario& scenario, const runner::ScenarioResult& snapshot,
                                          milliseconds elapsed) {
  std::vector<Window> open;
  for (auto& window : windows(scenario.expect)) {
    if (window.length > elapsed) {
      open.push_back(std::move(window));
    }
  }
  const bool positives_open = std::any_of(open.begin(), open.end(), [](const Window& w) { return !w.negative; });
  std::vector<Failure> failing;
  if (positives_open) {
    failing = evaluate_mail(scenario, scenario.expect, "expect", snapshot);
  }
  std::optional<milliseconds> longest;
  for (const auto& window : open) {
    const bool pending = window.negative || std::any_of(failing.begin(), failing.end(), [&](const Failure& failure) {
                           return failure.expectation == window.path;
                         });
    if (pending) {
      longest = std::max(longest.value_or(milliseconds(0)), window.length - elapsed);
    }
  }
  if (!longest) {
    return std::nullopt;
  }
  // Waking sooner than the longest window is left to the runner's wait for a new session.
  return longest;
}

runner::ExpectationHooks expectation_hooks(GoldenChanged golden_changed) {
  runner::ExpectationHooks hooks;
  hooks.unmet = [](const scenario::Scenario& scenario, const scenario::Expectations& block, const std::string& path,
                   const runner::ScenarioResult& snapshot) { return evaluate_mail(scenario, block, path, snapshot); };
  hooks.keep_watching = &keep_watching;
  // The golden file is written before it is compared with, so an updated run judges the new one.
  hooks.judge = [golden_changed = std::move(golden_changed)](const scenario::Scenario& scenario,
                                                             const runner::ScenarioResult& observed) {
    if (golden_changed) {
      if (auto change = update_golden(scenario, observed)) {
        golden_changed(*change);
      }
    }
    return evaluate(scenario, observed);
  };
  return hooks;
}

void mark_timed_out(const scenario::Expectations& expect, std::vector<Failure>& failures) {
  const auto all = windows(expect);
  for (auto& failure : failures) {
    auto window = std::find_if(all.begin(), all.end(), [&](const Window& w) { return w.path == failure.expectation; });
    if (window != all.end() && !window->negative && window->length.count() > 0) {
      failure.actual = "did not hold within " + duration_text(window->length) + ": " + failure.actual;
    }
  }
}

void check_then_steps(const scenario::Scenario& scenario, const runner::ScenarioResult& observed,
                      std::vector<Failure>& failures) {
  if (!scenario.app) {
    return;
  }
  const auto& steps = scenario.app->then;
  for (std::size_t i = 0; i < observed.then_steps.size() && i < steps.size(); ++i) {
    const auto& step = steps[i];
    const auto& outcome = observed.then_steps[i];
    const std::string name = "app.then[" + std::to_string(i) + "]";
    for (const auto& unmet : outcome.unmet) {
      failures.push_back({unmet.expectation, outcome.line,
                          unmet.expected + ", within " + duration_text(outcome.within) + ", before " + name +
                              " (line " + std::to_string(outcome.line) + ") runs",
                          "did not hold within " + duration_text(outcome.within) + ": " + unmet.actual +
                              (step.run ? "; the step's command did not run" : ""),
                          unmet.context});
    }
    if (!outcome.process || runner::then_exit_accepted(step, *outcome.process)) {
      continue;
    }
    const auto& process = *outcome.process;
    const std::string actual = process.describe();
    std::vector<std::string> context = tail("step stdout", process.stdout_text);
    auto err = tail("step stderr", process.stderr_text);
    context.insert(context.end(), err.begin(), err.end());
    failures.push_back({name, outcome.line, name + " exits with " + wanted_exit(step), actual, std::move(context)});
  }
}

}  // namespace maildog::expect
