// Everything a scenario started, found and ended when the scenario ends.
//
// Why a cookie: the app and each service run in a process group of their own, and maildog-ci
// is the child subreaper, but a daemon that calls setsid() or double-forks leaves its group, and
// its parent, behind. Waiting by group would leave it running (and its exited children as
// zombies for the whole run), and under -j killing "every orphan" would kill another scenario's
// processes. So, as Jenkins does with BUILD_ID, every process a scenario starts gets
// MAILDOG_SCENARIO_COOKIE=<random per scenario run> in its environment, which children inherit
// through fork, setsid and exec; at the end of the scenario /proc/*/environ (our uid) is scanned
// for exactly that cookie, and what carries it gets SIGTERM, a grace, then SIGKILL, and is reaped.
// A process that clears its environment (env -i) is found while it is a descendant of a process
// with the cookie (processes_of_scenario); one that also double-forks away cannot be told apart.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace maildog::runner {

// The variable that marks a scenario run's processes.
inline constexpr const char* k_scenario_cookie_variable = "MAILDOG_SCENARIO_COOKIE";
// Between SIGTERM and SIGKILL for what a scenario left behind.
inline constexpr std::chrono::milliseconds k_leftover_grace{std::chrono::seconds(1)};

// A fresh random cookie (32 hex digits) for one scenario run.
std::string new_scenario_cookie();

// Direct children a run_process call or a service is still going to wait for by pid: the sweep
// reaps orphaned zombies reparented to us, but never one of these. spawn_lock() is held from
// spawning a child to registering it, and by the sweep while it reaps, so a child that exits at
// once is never taken for an orphan.
std::mutex& spawn_lock();
void register_waited_child(pid_t pid);    // with spawn_lock() held
void unregister_waited_child(pid_t pid);  // after the caller has reaped it

// The processes of our uid whose environment holds `cookie` (not maildog-ci itself).
std::vector<pid_t> processes_with_cookie(const std::string& cookie);

struct SweepResult {
  std::size_t terminated = 0;  // carried the cookie when the sweep began
  std::size_t killed = 0;      // still there after the grace: SIGKILLed
  std::size_t reaped = 0;      // zombies reaped (the leftovers and orphans reparented to us)
};

// The processes carrying `cookie` and every descendant of theirs, with or without it: a daemon
// that scrubs its environment (Postfix's master, `env -i`) is still the child of one that had it.
std::vector<pid_t> processes_of_scenario(const std::string& cookie);

// SIGTERM (and SIGCONT) to every process carrying `cookie`, and to those of `also` (found by
// processes_of_scenario earlier) that are still our descendants, up to `grace` for them to go,
// SIGKILL to the rest, then reaps every zombie child of ours that no run is waiting for.
SweepResult end_scenario_processes(const std::string& cookie, std::chrono::milliseconds grace = k_leftover_grace,
                                   const std::vector<pid_t>& also = {});

// Reaps zombie children of ours that no run_process call or service waits for; returns how many.
std::size_t reap_orphaned_zombies();

// One scenario run's cookie; its processes are ended by end(), or when this goes out of scope
// (a run that ends by an exception leaves nothing behind either).
class ScenarioProcesses {
 public:
  ScenarioProcesses() : m_cookie(new_scenario_cookie()) {}
  ScenarioProcesses(const ScenarioProcesses&) = delete;
  ScenarioProcesses& operator=(const ScenarioProcesses&) = delete;
  ~ScenarioProcesses() {
    if (!m_ended) {
      end();
    }
  }

  const std::string& cookie() const { return m_cookie; }
  // Before the services stop: remembers the descendants without the cookie, which stopping their
  // parents would orphan (reparented to us, they could no longer be told apart), for end().
  void note_descendants() { m_also = processes_of_scenario(m_cookie); }
  SweepResult end() {
    m_ended = true;
    return end_scenario_processes(m_cookie, k_leftover_grace, m_also);
  }

 private:
  std::string m_cookie;
  std::vector<pid_t> m_also;
  bool m_ended = false;
};

}  // namespace maildog::runner
