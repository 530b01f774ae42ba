// run_process through real children (its process group and captured output: runner/child_group.hpp,
// which the services share).
#include "runner/process.hpp"
#include "support/temp_dir.hpp"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace maildog::runner {
namespace {

using namespace std::chrono_literals;
using Outcome = ProcessResult::Outcome;
namespace fs = std::filesystem;

// Generous: only proves a kill happened instead of a 60 s sleep running out.
constexpr auto k_kill_proof_bound = 10s;

ProcessSpec shell(std::string command) {
  ProcessSpec spec;
  spec.shell_command = std::move(command);
  return spec;
}

ProcessSpec program(std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.argv = std::move(argv);
  return spec;
}

using maildog::test::TempDir;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// True when no process with this pid exists any more, not even as a zombie.
bool process_gone(pid_t pid) { return ::kill(pid, 0) == -1 && errno == ESRCH; }

std::size_t open_fd_count() {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator()));
}

// Nothing the runner started is left over, running or as a zombie.
bool no_children_left() { return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD; }

}  // namespace

TEST_CASE("run_process reports the app's exit code", "[runner]") {
  const int code = GENERATE(0, 3, 255);
  const auto result = run_process(shell("exit " + std::to_string(code)));
  CHECK(result.outcome == Outcome::exited);
  CHECK(result.exit_code == code);
  CHECK(result.signal == 0);
  CHECK(result.error.empty());
}

TEST_CASE("run_process passes argv intact and looks the program up in PATH", "[runner]") {
  const auto result = run_process(program({"printf", "[%s]", "two words", "  padded  ", "", "$HOME"}));
  CHECK(result.outcome == Outcome::exited);
  CHECK(result.stdout_text == "[two words][  padded  ][][$HOME]");
}

TEST_CASE("run_process runs shell commands with pipes", "[runner]") {
  const auto result = run_process(shell("printf 'b\\na\\nc\\n' | sort | tr -d '\\n'"));
  CHECK(result.outcome == Outcome::exited);
  CHECK(result.stdout_text == "abc");
}

TEST_CASE("run_process builds the environment from the runner's plus overrides", "[runner]") {
  REQUIRE(::setenv("MAILDOG_RUNNER_INHERITED", "from the runner", 1) == 0);
  ProcessSpec spec = shell("printf '%s|%s' \"$MAILDOG_RUNNER_INHERITED\" \"$MAILDOG_RUNNER_ADDED\"");

  SECTION("inherited variables are visible") { CHECK(run_process(spec).stdout_text == "from the runner|"); }
  SECTION("an added variable is visible, value kept byte for byte") {
    spec.environment_overrides["MAILDOG_RUNNER_ADDED"] = "a b=c";
    CHECK(run_process(spec).stdout_text == "from the runner|a b=c");
  }
  SECTION("an override replaces the inherited variable, which appears once") {
    spec.environment_overrides["MAILDOG_RUNNER_INHERITED"] = "overridden";
    CHECK(run_process(spec).stdout_text == "overridden|");
    spec.shell_command = "env | grep -c '^MAILDOG_RUNNER_INHERITED='";
    CHECK(run_process(spec).stdout_text == "1\n");
  }
  SECTION("a name that cannot be a variable is refused") {
    spec.environment_overrides["A=B"] = "x";
    const auto result = run_process(spec);
    CHECK(result.outcome == Outcome::failed_to_start);
    CHECK_THAT(result.error, Catch::Contains("'A=B'"));
  }
  ::unsetenv("MAILDOG_RUNNER_INHERITED");
}

TEST_CASE("run_process honours the working directory", "[runner]") {
  const TempDir dir;
  SECTION("the app starts there") {
    ProcessSpec spec = program({"pwd", "-P"});
    spec.working_directory = dir.path();
    const auto result = run_process(spec);
    CHECK(result.outcome == Outcome::exited);
    CHECK(result.stdout_text == fs::canonical(dir.path()).string() + "\n");
  }
  SECTION("a missing directory is a start failure that names it") {
    ProcessSpec spec = program({"pwd"});
    spec.working_directory = dir.path() / "missing";
    const auto result = run_process(spec);
    CHECK(result.outcome == Outcome::failed_to_start);
    CHECK_THAT(result.error,
               Catch::Contains("working directory") && Catch::Contains((dir.path() / "missing").string()));
  }
}

TEST_CASE("run_process captures stdout and stderr separately", "[runner]") {
  const auto result = run_process(shell("echo out; echo err >&2; echo more out"));
  CHECK(result.outcome == Outcome::exited);
  CHECK(result.stdout_text == "out\nmore out\n");
  CHECK(result.stderr_text == "err\n");
}

TEST_CASE("run_process keeps output up to the limit and lets the app finish", "[runner]") {
  constexpr std::size_t produced = 5'000'000;
  const auto result = run_process(program({"head", "-c", std::to_string(produced), "/dev/zero"}));
  CHECK(result.outcome == Outcome::exited);
  CHECK(result.exit_code == 0);
  CHECK(result.stdout_text.size() == k_output_limit_default);
  CHECK(result.stdout_truncated);
  CHECK(result.stdout_dropped == produced - k_output_limit_default);
  CHECK_FALSE(result.stderr_truncated);
  CHECK_THAT(result.describe(), Catch::Contains("stdout truncated"));

  SECTION("a small limit applies to each stream on its own") {
    ProcessSpec spec = shell("printf 0123456789; printf abcdefghij >&2");
    spec.output_limit = 4;
    const auto limited = run_process(spec);
    CHECK(limited.stdout_text == "0123");
    CHECK(limited.stderr_text == "abcd");
    CHECK(limited.stdout_dropped == 6);
    CHECK(limited.stderr_dropped == 6);
  }
}

TEST_CASE("run_process reports apps that cannot start", "[runner]") {
  SECTION("a program that is not in PATH") {
    const auto result = run_process(program({"maildog-no-such-program", "arg"}));
    CHECK(result.outcome == Outcome::failed_to_start);
    CHECK_THAT(result.error,
               Catch::Contains("'maildog-no-such-program'") && Catch::Contains("No such file or directory"));
    CHECK_THAT(result.describe(), Catch::StartsWith("failed to start: "));
  }
  SECTION("a file that is not executable") {
    const TempDir dir;
    const auto script = dir.path() / "not-executable.sh";
    std::ofstream(script) << "#!/bin/sh\nexit 0\n";
    const auto result = run_process(program({script.string()}));
    CHECK(result.outcome == Outcome::failed_to_start);
    CHECK_THAT(result.error, Catch::Contains("Permission denied"));
  }
  SECTION("an empty command") {
    const auto result = run_process(ProcessSpec{});
    CHECK(result.outcome == Outcome::failed_to_start);
    CHECK_FALSE(result.error.empty());
  }
}

TEST_CASE("run_process kills the whole group when the deadline passes", "[runner]") {
  const TempDir dir;
  const auto pid_file = dir.path() / "grandchild.pid";

  SECTION("the app and its background grandchild") {
    ProcessSpec spec = shell("sleep 60 & echo $! > '" + pid_file.string() + "'; sleep 60");
    spec.timeout = 1s;
    const auto began = std::chrono::steady_clock::now();
    const auto result = run_process(spec);
    CHECK(std::chrono::steady_clock::now() - began < k_kill_proof_bound);
    CHECK(result.outcome == Outcome::timed_out);
    CHECK_THAT(result.error, Catch::StartsWith("timed out after 1s; process group "));
    const std::string grandchild = read_text(pid_file);
    REQUIRE_FALSE(grandchild.empty());
    CHECK(process_gone(std::stoi(grandchild)));
  }
  SECTION("an app that ignores SIGTERM is killed after the grace period") {
    ProcessSpec spec = shell("trap '' TERM; echo started; sleep 60");
    spec.timeout = 300ms;
    spec.kill_grace = 100ms;
    const auto began = std::chrono::steady_clock::now();
    const auto result = run_process(spec);
    CHECK(std::chrono::steady_clock::now() - began < k_kill_proof_bound);
    CHECK(result.outcome == Outcome::timed_out);
    CHECK(result.signal == SIGKILL);
    CHECK(result.stdout_text == "started\n");
  }
}

TEST_CASE("run_process does not wait for a grandchild that keeps stdout open", "[runner]") {
  ProcessSpec spec = shell("sleep 60 & echo $!; exit 4");
  spec.timeout = 60s;
  const auto began = std::chrono::steady_clock::now();
  const auto result = run_process(spec);
  CHECK(std::chrono::steady_clock::now() - began < k_kill_proof_bound);
  CHECK(result.outcome == Outcome::exited);
  CHECK(result.exit_code == 4);
  REQUIRE_FALSE(result.stdout_text.empty());
  CHECK(process_gone(std::stoi(result.stdout_text)));
}

TEST_CASE("run_process reports an app killed by a signal", "[runner]") {
  const auto result = run_process(shell("kill -9 $$"));
  CHECK(result.outcome == Outcome::signaled);
  CHECK(result.signal == SIGKILL);
  CHECK_THAT(result.describe(), Catch::StartsWith("killed by signal 9 (SIGKILL) in "));
}

TEST_CASE("run_process runs apps from several threads at once", "[runner]") {
  constexpr int runs = 8;
  std::vector<ProcessResult> results(runs);
  {
    std::vector<std::jthread> threads;
    for (int index = 0; index < runs; ++index) {
      threads.emplace_back([index, &results] {
        // Odd runs leave a grandchild holding stdout, which must not delay or confuse the others.
        ProcessSpec spec = shell(index % 2 == 1 ? "sleep 30 & printf '%s' \"$RUN\"; exit \"$RUN\""
                                                : "printf '%s' \"$RUN\"; exit \"$RUN\"");
        spec.environment_overrides["RUN"] = std::to_string(index);
        results[static_cast<std::size_t>(index)] = run_process(spec);
      });
    }
  }
  for (int index = 0; index < runs; ++index) {
    INFO("run " << index);
    const auto& result = results[static_cast<std::size_t>(index)];
    CHECK(result.outcome == Outcome::exited);
    CHECK(result.exit_code == index);
    CHECK(result.stdout_text == std::to_string(index));
  }
  CHECK(no_children_left());
}

TEST_CASE("run_process leaves no file descriptors or children behind", "[runner]") {
  run_process(shell("true"));  // let one-time setup (subreaper, library state) happen first
  const std::size_t before = open_fd_count();
  for (int run = 0; run < 50; ++run) {
    switch (run % 4) {
      case 0:
        CHECK(run_process(shell("echo out; echo err >&2")).outcome == Outcome::exited);
        break;
      case 1:
        CHECK(run_process(program({"maildog-no-such-program"})).outcome == Outcome::failed_to_start);
        break;
      case 2:
        CHECK(run_process(shell("sleep 60 & exit 0")).outcome == Outcome::exited);
        break;
      default: {
        ProcessSpec spec = shell("sleep 60");
        spec.timeout = 10ms;
        CHECK(run_process(spec).outcome == Outcome::timed_out);
        break;
      }
    }
  }
  CHECK(open_fd_count() == before);
  CHECK(no_children_left());
}

TEST_CASE("ProcessResult describes each outcome in one line", "[runner]") {
  ProcessResult result;
  result.duration = 12ms;
  SECTION("exited") {
    result.outcome = Outcome::exited;
    result.exit_code = 3;
    CHECK(result.describe() == "exited with code 3 in 12ms");
  }
  SECTION("signaled") {
    result.outcome = Outcome::signaled;
    result.signal = SIGTERM;
    CHECK(result.describe() == "killed by signal 15 (SIGTERM) in 12ms");
  }
  SECTION("timed out, with truncated stderr") {
    result.outcome = Outcome::timed_out;
    result.error = "timed out after 2s; process group 1234 killed";
    result.stderr_truncated = true;
    result.stderr_dropped = 10;
    CHECK(result.describe() == "timed out after 2s; process group 1234 killed; stderr truncated, 10 bytes dropped");
  }
  SECTION("failed to start") {
    result.outcome = Outcome::failed_to_start;
    result.error = "cannot execute 'x': No such file or directory";
    CHECK(result.describe() == "failed to start: cannot execute 'x': No such file or directory");
  }
  CHECK(outcome_name(result.outcome) != "unknown");
}

TEST_CASE("outcome names are the ones reports use", "[runner]") {
  CHECK(outcome_name(Outcome::exited) == "exited");
  CHECK(outcome_name(Outcome::signaled) == "signaled");
  CHECK(outcome_name(Outcome::timed_out) == "timed_out");
  CHECK(outcome_name(Outcome::failed_to_start) == "failed_to_start");
}

}  // namespace maildog::runner
