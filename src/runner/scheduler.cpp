#include "runner/scheduler.hpp"

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

namespace maildog::runner {

std::vector<ScenarioResult> run_all(const std::vector<scenario::Scenario>& scenarios, const ScheduleOptions& options,
                                    const RunOne& run_one, const OnFinished& on_finished) {
  std::vector<std::optional<ScenarioResult>> slots(scenarios.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex report_mutex;
  auto worker = [&] {
    for (;;) {
      if (stop.load()) {
        return;
      }
      std::size_t index = next.fetch_add(1);
      if (index >= scenarios.size()) {
        return;
      }
      ScenarioResult result = run_one(scenarios[index]);
      if (options.fail_fast && result.status != Status::passed) {
        stop = true;
      }
      std::lock_guard lock(report_mutex);
      on_finished(result);
      slots[index] = std::move(result);
    }
  };
  const unsigned jobs = std::max(1U, std::min<unsigned>(options.jobs, static_cast<unsigned>(scenarios.size())));
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < jobs; ++i) {
    threads.emplace_back(worker);
  }
  worker();
  for (auto& thread : threads) {
    thread.join();
  }
  std::vector<ScenarioResult> results;
  for (auto& slot : slots) {
    if (slot) {
      results.push_back(std::move(*slot));
    }
  }
  return results;
}

}  // namespace maildog::runner
