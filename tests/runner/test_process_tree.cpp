// What a scenario leaves behind: processes found by the scenario's cookie, ended and reaped,
// orphaned zombies reaped except children a run still waits for; and the per-run templates'
// resources (ports, the scratch folder) and the readiness probes of services.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runner/process.hpp"
#include "runner/process_tree.hpp"
#include "runner/run_resources.hpp"
#include "runner/services.hpp"
#include "runner/spawn.hpp"

namespace maildog::runner {
namespace {

using namespace std::chrono_literals;

// Bounded polling for something the kernel does soon (a process exiting).
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds bound = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// Runs `command` with `cookie` set, as the runner runs an app.
ProcessResult run_with_cookie(const std::string& command, const std::string& cookie) {
  ProcessSpec spec;
  spec.shell_command = command;
  spec.environment_overrides[k_scenario_cookie_variable] = cookie;
  spec.timeout = 10s;
  return run_process(spec);
}

char state_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? '?' : stat[close + 2];
}

// Zombies whose parent is this test process, read from /proc (waitpid would reap them).
std::vector<pid_t> zombie_children() {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos || close + 4 >= stat.size() || stat[close + 2] != 'Z') {
      continue;
    }
    if (std::stoi(stat.substr(close + 4)) == ::getpid()) {
      found.push_back(std::stoi(name));
    }
  }
  return found;
}

}  // namespace

TEST_CASE("scenario cookies are 32 random hex digits", "[runner][process_tree]") {
  const std::string a = new_scenario_cookie();
  CHECK(a.size() == 32);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != new_scenario_cookie());
}

TEST_CASE("a daemon that escaped with setsid is ended by its own cookie only", "[runner][process_tree]") {
  const std::string mine = new_scenario_cookie();
  const std::string theirs = new_scenario_cookie();
  // The app exits once its child has left the group (setsid), which keeps running.
  const std::string daemon =
      "f=$(mktemp -u); setsid sh -c \"touch $f; exec sleep 1000\" >/dev/null 2>&1 & "
      "while [ ! -e $f ]; do sleep 0.01; done; rm $f";
  REQUIRE(run_with_cookie(daemon, mine).exit_code == 0);
  REQUIRE(run_with_cookie(daemon, theirs).exit_code == 0);
  REQUIRE(eventually([&] { return processes_with_cookie(mine).size() == 1; }));
  REQUIRE(eventually([&] { return processes_with_cookie(theirs).size() == 1; }));
  // A cookie that only starts like ours is not ours.
  CHECK(processes_with_cookie(mine.substr(0, 31)).empty());

  const auto swept = end_scenario_processes(mine);
  CHECK(swept.terminated == 1);
  CHECK(processes_with_cookie(mine).empty());
  CHECK(processes_with_cookie(theirs).size() == 1);  // another scenario's daemon is left alone

  // One that ignores SIGTERM is killed after the grace.
  const std::string stubborn =
      "f=$(mktemp -u); setsid sh -c \"trap '' TERM; touch $f; while :; do sleep 1; done\" >/dev/null 2>&1 & "
      "while [ ! -e $f ]; do sleep 0.01; done; rm $f";
  REQUIRE(run_with_cookie(stubborn, mine).exit_code == 0);
  REQUIRE(eventually([&] { return !processes_with_cookie(mine).empty(); }));
  const auto killed = end_scenario_processes(mine, 200ms);
  CHECK(killed.killed >= 1);
  CHECK(processes_with_cookie(mine).empty());

  end_scenario_processes(theirs);
  CHECK(processes_with_cookie(theirs).empty());
}

TEST_CASE("orphaned zombies are reaped, a child a run waits for is not", "[runner][process_tree]") {
  // A double-forked child reparented to us (the subreaper) that exits: our zombie.
  const std::string cookie = new_scenario_cookie();
  // The app waits until the child has left its group, so the group kill cannot take it.
  REQUIRE(run_with_cookie("f=$(mktemp -u); ( setsid sh -c \"touch $f\" & ) ; "
                          "while [ ! -e $f ]; do sleep 0.01; done; rm $f",
                          cookie)
              .exit_code == 0);

  ProcessSpec waited;
  waited.shell_command = "exit 7";
  SpawnedChild child = spawn_child(waited);
  REQUIRE(child.pid > 0);
  ::close(child.stdout_fd);
  ::close(child.stderr_fd);
  REQUIRE(eventually([&] { return state_of(child.pid) == 'Z'; }));

  // The double-forked child, reparented to us, has exited too: two zombies of ours.
  REQUIRE(eventually([] { return zombie_children().size() >= 2; }));
  reap_orphaned_zombies();
  // The waited-for child is still there for its owner to reap, with its status.
  int status = 0;
  REQUIRE(::waitpid(child.pid, &status, 0) == child.pid);
  CHECK(WEXITSTATUS(status) == 7);
  unregister_waited_child(child.pid);
  // And the orphan is gone: no zombie child of ours is left.
  CHECK(eventually([] {
    reap_orphaned_zombies();
    return zombie_children().empty();
  }));
}

TEST_CASE("{{port.NAME}} ports are distinct and free, and {{scenario.tmp}} is removed with everything in it",
          "[runner][process_tree]") {
  const auto ports = free_loopback_ports({"a", "b", "web"});
  REQUIRE(ports.size() == 3);
  std::set<std::uint16_t> distinct;
  for (const auto& [name, port] : ports) {
    CHECK(port != 0);
    distinct.insert(port);
    CHECK_FALSE(loopback_port_open(port));  // closed again, for the service to bind
  }
  CHECK(distinct.size() == 3);

  std::filesystem::path kept;
  {
    ScratchFolder scratch;
    kept = scratch.path();
    REQUIRE(std::filesystem::is_directory(kept));
    CHECK(std::filesystem::is_empty(kept));
    std::filesystem::create_directories(kept / "postfix" / "queue");
    std::ofstream(kept / "postfix" / "main.cf") << "x\n";
  }
  CHECK_FALSE(std::filesystem::exists(kept));
}

TEST_CASE("readiness probes: a listening port, and http only to loopback", "[runner][process_tree]") {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  const std::uint16_t port = ntohs(address.sin_port);
  CHECK(loopback_port_open(port));
  // Not an HTTP server: no 2xx, and no hang past the probe's timeout.
  CHECK_FALSE(http_answers_2xx("http://127.0.0.1:" + std::to_string(port) + "/", 300ms));
  ::close(listener);
  CHECK_FALSE(http_answers_2xx("http://example.com/", 300ms));
  CHECK_FALSE(http_answers_2xx("https://127.0.0.1/", 300ms));
}

}  // namespace maildog::runner
