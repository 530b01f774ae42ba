// End-to-end: `services:` through the built binary. Services ready by port, by HTTP and by log
// serve the app; one that exits early or is never ready fails the scenario with its output; and
// nothing a scenario started outlives it, daemons that called setsid or double-forked included,
// while parallel scenarios (-j 2) keep their own processes (each checks its own at the end).
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "e2e/maildog_run.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;

namespace {

// Every process of ours whose environment holds `variable`.
std::vector<pid_t> processes_with(const std::string& variable) {
  std::vector<pid_t> found;
  DIR* proc = ::opendir("/proc");
  REQUIRE(proc != nullptr);
  while (const dirent* entry = ::readdir(proc)) {
    const std::string name = entry->d_name;
    if (name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const std::string environment = read_text(fs::path("/proc") / name / "environ");
    std::size_t at = 0;
    while (at < environment.size()) {
      const auto end = std::min(environment.find('\0', at), environment.size());
      if (environment.compare(at, end - at, variable) == 0) {
        found.push_back(std::stoi(name));
        break;
      }
      at = end + 1;
    }
  }
  ::closedir(proc);
  return found;
}

std::string random_marker() {
  std::random_device device;
  return "e2e-" + std::to_string(device()) + "-" + std::to_string(device());
}

// A service that leaves a setsid'd child and a double-forked one running, and a setsid'd one
// that exits at once (a zombie of maildog-ci, the subreaper, unless it is reaped); the app
// checks, after `pause`, that its own service and both children are still there.
std::string daemon_scenario(int index, const std::string& marker, const std::string& pause) {
  const std::string n = std::to_string(index);
  return "name: daemon " + n + "\n" +
         "services:\n"
         "  - name: web\n"
         "    env: {MAILDOG_E2E_MARKER: \"" +
         marker +
         "\"}\n"
         "    run: >-\n"
         "      setsid sh -c 'echo $$$$ > {{scenario.tmp}}/setsid.pid; exec sleep 1000' &\n"
         "      ( sleep 1000 & echo $! > {{scenario.tmp}}/double.pid ) ;\n"
         "      ( setsid sleep 0.1 & ) ;\n"
         "      exec /usr/bin/python3 -m http.server --bind 127.0.0.1 {{port.web}}\n"
         "    ready: {http: \"http://127.0.0.1:{{port.web}}/\", timeout: 20s}\n"
         "app:\n"
         "  env: {MAILDOG_E2E_MARKER: \"" +
         marker +
         "\"}\n"
         "  run: >-\n"
         "    sleep " +
         pause +
         " &&\n"
         "    /usr/bin/python3 -c 'import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:{{port.web}}/\")' &&\n"
         "    kill -0 $(cat {{scenario.tmp}}/setsid.pid) && kill -0 $(cat {{scenario.tmp}}/double.pid) &&\n"
         "    echo mine-alive\n"
         "expect:\n"
         "  app: {stdout: {contains: [mine-alive]}}\n";
}

// Runs last: waits until the other scenarios' marked processes are gone, then until maildog-ci
// (its parent) has no zombie children; both waits bounded.
const std::string k_probe = R"py(import os, sys, time
marker = sys.argv[1].encode()
parent = os.getppid()

def marked():
    found = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/environ' % pid, 'rb') as f:
                if b'MAILDOG_E2E_MARKER=' + marker in f.read().split(b'\0'):
                    found.append(pid)
        except OSError:
            pass
    return found

def zombies():
    found = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/stat' % pid) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if fields[0] == 'Z' and int(fields[1]) == parent:
            found.append(pid)
    return found

for check in (marked, zombies):
    deadline = time.monotonic() + 30
    while check() and time.monotonic() < deadline:
        time.sleep(0.1)
    if check():
        print('left behind (%s): %s' % (check.__name__, check()))
        sys.exit(1)
print('nothing left')
)py";

ChildResult run_file(const fs::path& file, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"run", file.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_maildog(args);
}

}  // namespace

TEST_CASE("services ready by port, http and log serve the app, and {{scenario.dir}} is absolute", "[e2e][services]") {
  TempDir dir;
  const std::string yaml = R"yaml(name: three kinds of ready
services:
  - name: web
    run: [/usr/bin/python3, -m, http.server, --bind, 127.0.0.1, "{{port.web}}"]
    ready: {http: "http://127.0.0.1:{{port.web}}/", timeout: 20s}
  - name: raw
    run: [/usr/bin/python3, -c, "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', {{port.raw}})); s.listen(); time.sleep(1000)"]
    ready: {port: "{{port.raw}}", timeout: 20s}
  - name: talker
    run: "echo starting; sleep 0.2; echo 'Listening on {{port.talker}}'; exec sleep 1000"
    ready: {log: "^Listening on [0-9]+$", timeout: 20s}   # ^ and $: a line of the output
    stop_timeout: 500ms
app:
  run: >-
    /usr/bin/python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:{{port.web}}/")' &&
    /usr/bin/python3 -c 'import socket; socket.create_connection(("127.0.0.1", {{port.raw}}))' &&
    test -d '{{scenario.tmp}}' && touch '{{scenario.tmp}}/written' &&
    echo "dir={{scenario.dir}}" && echo "tmp={{scenario.tmp}}"
expect:
  app: {stdout: {contains: ["dir=/"]}}
)yaml";
  const fs::path file = dir.write("services.yaml", yaml);
  const fs::path artifacts = dir.path() / "artifacts";
  // A relative path, as from a repository root: {{scenario.dir}} must still be absolute.
  auto run = run_file(fs::relative(file, fs::current_path()), {"--artifacts", artifacts.string()});
  INFO(run.describe());
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("1 passed, 0 failed"));
  // The service's output is kept: http.server logs the app's GET on stderr.
  const fs::path folder = artifacts / "001-three-kinds-of-ready";
  CHECK_THAT(read_text(folder / "service-web.stderr.txt"), Catch::Contains("\"GET / HTTP/1.1\" 200"));
  CHECK_THAT(read_text(folder / "service-talker.stdout.txt"), Catch::Contains("Listening on"));
  CHECK(fs::exists(folder / "service-raw.stdout.txt"));
}

TEST_CASE("{{scenario.dir}} is the scenario's absolute folder and {{scenario.tmp}} is removed afterwards",
          "[e2e][services]") {
  TempDir dir;
  const fs::path file = dir.write("tmp.yaml", R"yaml(name: folders
app:
  run: "echo '{{scenario.dir}}' > dir-was && echo '{{scenario.tmp}}' > tmp-was && test -d {{scenario.tmp}}"
)yaml");
  auto run = run_file(fs::relative(file, fs::current_path()));
  INFO(run.describe());
  REQUIRE(run.exit_code == 0);
  std::string tmp = read_text(dir.path() / "tmp-was");
  REQUIRE(!tmp.empty());
  tmp.pop_back();  // echo's newline
  CHECK(fs::path(tmp).is_absolute());
  CHECK_FALSE(fs::exists(tmp));
  // The app runs in the scenario's folder, so the files land there.
  std::string written = read_text(dir.path() / "dir-was");
  REQUIRE(!written.empty());
  written.pop_back();
  CHECK(fs::path(written).is_absolute());
  CHECK(fs::canonical(written) == fs::canonical(dir.path()));
}

TEST_CASE("a service that exits early or is never ready fails the scenario with its output", "[e2e][services]") {
  TempDir dir;
  const fs::path file = dir.write("failing.yaml", R"yaml(name: exits early
services:
  - name: dies
    run: "echo about to die; echo 'no config file' >&2; exit 4"
    ready: {port: "{{port.dies}}", timeout: 20s}
app: {run: "echo app ran"}
---
name: never ready
services:
  - name: slow
    run: "echo still warming up; exec sleep 1000"
    ready: {log: "^ready$", timeout: 1s}
    stop_timeout: 200ms
app: {run: "echo app ran"}
)yaml");
  auto run = run_file(file);
  INFO(run.describe());
  REQUIRE(run.exit_code == 1);  // the scenario's own failure, not maildog-ci's environment
  CHECK_THAT(run.out, Catch::Contains("0 passed, 2 failed"));
  CHECK_THAT(run.out, Catch::Contains("error: service 'dies' exited before it was ready (exited with code 4"));
  CHECK_THAT(run.out, Catch::Contains("service dies stderr:\n    no config file"));
  CHECK_THAT(run.out,
             Catch::Contains("error: service 'slow' was not ready within 1s: its output never matched /^ready$/"));
  CHECK_THAT(run.out, Catch::Contains("service slow stdout:\n    still warming up"));
  CHECK_THAT(run.out, !Catch::Contains("app ran"));
}

TEST_CASE("no process a scenario started outlives it, and -j 2 scenarios keep their own", "[e2e][services]") {
  TempDir dir;
  const std::string marker = random_marker();
  std::string yaml;
  // Short and long scenarios side by side: the short ones end, and sweep, while the long ones
  // still need their services and daemons.
  for (int i = 1; i <= 4; ++i) {
    yaml += daemon_scenario(i, marker, i % 2 == 1 ? "0.2" : "2") + "---\n";
  }
  dir.write("probe.py", k_probe);
  yaml += "name: probe\napp:\n  run: [/usr/bin/python3, probe.py, \"" + marker + "\"]\n  timeout: 90s\n";
  yaml += "expect:\n  app: {stdout: {contains: [nothing left]}}\n";
  const fs::path file = dir.write("daemons.yaml", yaml);

  auto run = run_file(file, {"-j", "2"});
  const auto left = processes_with("MAILDOG_E2E_MARKER=" + marker);
  for (const pid_t pid : left) {
    ::kill(pid, SIGKILL);  // leave nothing behind even when the test fails
  }
  INFO(run.describe());
  CHECK(left.empty());
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("5 passed, 0 failed"));
}

TEST_CASE("a client scenario starts its own MX as a service and probes it on {{port.mx}}", "[e2e][services]") {
  TempDir dir;
  dir.write("mx.py", R"py(import socket, sys
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(('127.0.0.1', int(sys.argv[1])))
listener.listen()
print('mx listening', flush=True)
while True:
    conn, _ = listener.accept()
    try:  # the readiness probe connects and closes at once: its reset must not end the MX
        conn.sendall(b'220 mx.test ESMTP ours\r\n')
        reader = conn.makefile('rb')
        for line in reader:
            if line.upper().startswith(b'QUIT'):
                conn.sendall(b'221 bye\r\n')
                break
            conn.sendall(b'250 ok\r\n')
    except OSError:
        pass
    conn.close()
)py");
  const fs::path file = dir.write("mx.yaml", R"yaml(name: our MX answers
services:
  - name: mx
    run: [/usr/bin/python3, mx.py, "{{port.mx}}"]
    ready: {port: "{{port.mx}}", timeout: 20s}
client:
  target: {host: 127.0.0.1, port: "{{port.mx}}"}
  steps:
    - expect: {code: 220, text: "/ours/"}
    - send: EHLO probe.test
      expect: {code: 250}
    - quit: true
      expect: {code: 221}
)yaml");
  auto run = run_file(file);
  INFO(run.describe());
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("1 passed, 0 failed"));
}

TEST_CASE("a service's daemon that clears its environment and leaves its session is ended too", "[e2e][services]") {
  // As Postfix's master does: its environment scrubbed (no cookie), setsid, and orphaned when
  // the service's own process is stopped. It is found as a descendant before the services stop.
  TempDir dir;
  const std::string marker = random_marker();
  const fs::path file = dir.write("scrubbed.yaml",
                                  "name: a daemon without the cookie\nservices:\n  - name: daemon\n"
                                  "    run: \"setsid env -i MAILDOG_E2E_MARKER=" +
                                      marker +
                                      " /bin/sleep 1000 & echo started; wait\"\n"
                                      "    ready: {log: started}\napp: {run: [\"true\"]}\n");
  auto run = run_file(file);
  const auto left = processes_with("MAILDOG_E2E_MARKER=" + marker);
  for (const pid_t pid : left) {
    ::kill(pid, SIGKILL);
  }
  INFO(run.describe());
  CHECK(left.empty());
  REQUIRE(run.exit_code == 0);
}
