// Runs an external program (a real SMTP client) for a test: optional stdin bytes, stdout and
// stderr captured, a deadline after which its whole process group is killed.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace maildog::test {

inline constexpr std::chrono::milliseconds k_child_timeout_default{std::chrono::seconds(30)};

struct ChildSpec {
  std::vector<std::string> argv;                   // argv[0] is looked up in PATH
  std::string input;                               // written to stdin, which is then closed
  std::map<std::string, std::string> environment;  // on top of the test's own environment
  std::chrono::milliseconds timeout = k_child_timeout_default;
};

struct ChildResult {
  bool started = false;
  bool timed_out = false;  // killed at the deadline
  int exit_code = -1;      // when it exited
  int signal = 0;          // when a signal ended it
  std::string out;
  std::string err;

  std::string output() const { return out + err; }
  // For failure messages: exit status and both streams.
  std::string describe() const;
};

ChildResult run_child(const ChildSpec& spec);

// `command -v name` in /bin/sh: the program is installed and in PATH.
bool program_available(const std::string& name);

}  // namespace maildog::test
