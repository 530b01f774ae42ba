#include "runner/result.hpp"

#include <algorithm>

namespace maildog::runner {

std::size_t RunResult::passed() const {
  return static_cast<std::size_t>(std::count_if(scenarios.begin(), scenarios.end(),
                                                [](const ScenarioResult& s) { return s.status == Status::passed; }));
}

bool app_not_started(const ScenarioResult& result) {
  if (result.status != Status::error) {
    return false;
  }
  const bool service_failed = std::any_of(result.services.begin(), result.services.end(),
                                          [](const ServiceResult& service) { return !service.problem.empty(); });
  return service_failed || (result.app && result.app->outcome == ProcessResult::Outcome::failed_to_start);
}

std::size_t RunResult::failed() const { return scenarios.size() - passed(); }

}  // namespace maildog::runner
