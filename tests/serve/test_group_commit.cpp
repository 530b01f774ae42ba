#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <stdexcept>
#include <thread>
#include <vector>

#include "serve/group_commit.hpp"

using namespace maildog::serve;
using namespace std::chrono_literals;

TEST_CASE("group commit: concurrent writes are committed together, each exactly once", "[serve][group_commit]") {
  constexpr int k_threads = 8;
  constexpr int k_writes_each = 20;
  std::atomic<int> arrived{0};
  std::vector<std::size_t> group_sizes;  // only the committing thread touches it, one at a time
  std::atomic<bool> committing{false};
  bool overlapped = false;
  GroupCommit group([&](const std::vector<GroupCommit::Write*>& writes) {
    if (committing.exchange(true)) {
      overlapped = true;
    }
    // The first group waits until every thread has a write on its way, so the next group has company.
    while (group_sizes.empty() && arrived.load() < k_threads) {
      std::this_thread::sleep_for(1ms);
    }
    std::this_thread::sleep_for(group_sizes.empty() ? 50ms : 1ms);
    for (auto* write : writes) {
      write->apply();
    }
    group_sizes.push_back(writes.size());
    committing = false;
  });

  std::map<int, int> applied;  // (thread * 1000 + n) -> times applied; written inside commits only
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < k_writes_each; ++n) {
        GroupCommit::Write write;
        write.apply = [&applied, key = t * 1000 + n] { ++applied[key]; };
        if (n == 0) {
          ++arrived;
        }
        group.write(write);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  CHECK_FALSE(overlapped);
  REQUIRE(applied.size() == std::size_t{k_threads * k_writes_each});
  for (const auto& [key, times] : applied) {
    INFO(key);
    CHECK(times == 1);
  }
  std::size_t total = 0;
  std::size_t largest = 0;
  for (auto size : group_sizes) {
    total += size;
    largest = std::max(largest, size);
  }
  CHECK(total == std::size_t{k_threads * k_writes_each});
  CHECK(largest > 1);
  CHECK(group_sizes.size() < total);
}

TEST_CASE("group commit: a failed group fails each of its writes, and the next group goes on",
          "[serve][group_commit]") {
  bool fail = true;
  int committed = 0;
  GroupCommit group([&](const std::vector<GroupCommit::Write*>& writes) {
    if (fail) {
      throw std::runtime_error("database or disk is full");
    }
    for (auto* write : writes) {
      write->apply();
    }
  });
  GroupCommit::Write first;
  first.apply = [&] { ++committed; };
  REQUIRE_THROWS_WITH(group.write(first), "database or disk is full");
  CHECK(committed == 0);
  fail = false;
  GroupCommit::Write second;
  second.apply = [&] { ++committed; };
  group.write(second);
  CHECK(committed == 1);
}

TEST_CASE("group commit: submit() calls back once committed, and stopping commits what is queued",
          "[serve][group_commit]") {
  int applied = 0;
  std::vector<int> done;  // applied at the time each callback came
  std::size_t groups = 0;
  {
    GroupCommit group([&](const std::vector<GroupCommit::Write*>& writes) {
      ++groups;
      for (auto* write : writes) {
        write->apply();
      }
    });
    for (int i = 0; i < 100; ++i) {
      GroupCommit::Write write;
      write.apply = [&] { ++applied; };
      write.done = [&](std::exception_ptr error) {
        CHECK_FALSE(error);
        done.push_back(applied);
      };
      group.submit(std::move(write));
    }
  }
  REQUIRE(applied == 100);
  REQUIRE(done.size() == 100);
  // Each callback comes after its whole group is applied, never in the middle of one.
  CHECK(done.back() == 100);
  CHECK(groups <= 100);
}
