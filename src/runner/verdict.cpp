#include "runner/verdict.hpp"

#include "lint/transaction.hpp"
#include "runner/secrets.hpp"

namespace maildog::runner {

void finish_result(const scenario::Scenario& scenario, const ExpectationHooks& hooks, ScenarioResult& result) {
  // Judged after the notes: the reports and golden files read them from the transactions.
  for (auto& session : result.sessions) {
    for (auto& transaction : session.transactions) {
      transaction.lint = lint::lint_notes(transaction);
    }
  }
  if (hooks.judge) {
    result.failures = hooks.judge(scenario, result);
  }
  // An error (no sandbox, an app that never started) stays an error: it says more than a failure.
  if (result.status == Status::passed && !result.failures.empty()) {
    result.status = Status::failed;
  }
  redact_result(result, scenario_secrets(scenario));
}

}  // namespace maildog::runner
