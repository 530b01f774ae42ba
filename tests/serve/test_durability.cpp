// Durability of `maildog-ci serve --data DIR` (issue 8): under a steady smtp-source load and a
// recording client of our own, the server is SIGKILLed at a random moment, 20 times on the same
// store. After every kill the store opens as it is, passes integrity_check, and holds every
// message that got its 250, byte for byte; what it holds beyond that is intact too.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <compare>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "serve/serve_process.hpp"
#include "serve/store.hpp"
#include "support/skip.hpp"
#include "support/smtp_client.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

using namespace maildog;
using namespace maildog::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_smtp_source = "/usr/sbin/smtp-source";  // Debian's postfix package
constexpr int k_rounds = 20;
// The kill comes this long after the server printed its ports: early enough to catch start-up
// work, late enough that the recording client usually got a few 250s (also under ASan).
constexpr int k_kill_after_min_ms = 50;
constexpr int k_kill_after_max_ms = 400;
constexpr int k_messages_per_session = 10;  // the recorder reconnects: session records are written too
constexpr int k_messages_per_round_max = 100000;
constexpr auto k_exit_wait = 30s;
constexpr auto k_store_line_wait = 10s;
constexpr const char* k_recorder_rcpt = "recorder@inbox.test";
constexpr std::size_t k_problems_shown = 20;

// One message of the recording client; its envelope sender names it.
struct MessageName {
  int round = 0;
  int number = 0;

  auto operator<=>(const MessageName&) const = default;
  std::string address() const {
    return "r" + std::to_string(round) + "n" + std::to_string(number) + "@durability.test";
  }
  static std::optional<MessageName> parse(const std::string& address) {
    MessageName name;
    int consumed = 0;
    if (std::sscanf(address.c_str(), "r%dn%d@durability.test%n", &name.round, &name.number, &consumed) != 2 ||
        static_cast<std::size_t>(consumed) != address.size()) {
      return std::nullopt;
    }
    return name;
  }
};

// The bytes sent for `name`, regenerated for the comparison. From one line to about 13 KiB, so
// that some messages span several database pages.
std::string recorded_message(const MessageName& name) {
  const std::string address = name.address();
  std::string message = "From: <" + address + ">\r\nTo: <" + std::string(k_recorder_rcpt) +
                        ">\r\nSubject: durability " + address + "\r\nMessage-ID: <" + address + ">\r\n\r\n";
  const int lines = 1 + (name.number * 37 + name.round * 11) % 160;
  for (int line = 0; line < lines; ++line) {
    message += "round " + std::to_string(name.round) + " message " + std::to_string(name.number) + " line " +
               std::to_string(line) + " " + std::string(48, static_cast<char>('a' + (name.number + line) % 26)) +
               "\r\n";
  }
  return message;
}

// The reply to the final dot; nothing when the server went away before it.
std::optional<smtp::Reply> send_recorded(SmtpClient& client, const MessageName& name) {
  if (!client.command("MAIL FROM:<" + name.address() + ">") ||
      !client.command("RCPT TO:<" + std::string(k_recorder_rcpt) + ">")) {
    return std::nullopt;
  }
  auto go = client.command("DATA");
  if (!go || go->code != 354 || !client.send_raw(recorded_message(name) + ".\r\n")) {
    return std::nullopt;
  }
  return client.read_reply();
}

struct Recorded {
  std::vector<int> acknowledged;  // numbers that got 250 to their DATA
  int refused = 0;                // any other final reply
};

// Sends numbered messages, a few per session, until the server is gone or `stop` is set.
Recorded record_until_gone(std::uint16_t port, int round, const std::atomic<bool>& stop) {
  Recorded recorded;
  int number = 0;
  while (!stop && number < k_messages_per_round_max) {
    SmtpClient client;
    if (!client.connect(port) || !client.read_reply() || !client.command("EHLO recorder.test")) {
      return recorded;
    }
    for (int sent = 0; sent < k_messages_per_session && !stop; ++sent, ++number) {
      auto reply = send_recorded(client, MessageName{round, number});
      if (!reply) {
        return recorded;
      }
      if (reply->code == 250) {
        recorded.acknowledged.push_back(number);
      } else {
        ++recorded.refused;
      }
    }
    client.command("QUIT");
  }
  return recorded;
}

// smtp-source as the steady background load: its own process group, output appended to `log`,
// killed and reaped when the round ends.
class LoadProcess {
 public:
  LoadProcess(std::uint16_t port, const std::string& log) {
    std::vector<std::string> argv{k_smtp_source,
                                  "-s",
                                  "5",
                                  "-m",
                                  "100000",
                                  "-l",
                                  "2048",
                                  "-f",
                                  "load@example.test",
                                  "-t",
                                  "load@inbox.test",
                                  "127.0.0.1:" + std::to_string(port)};
    std::vector<char*> raw;
    for (auto& arg : argv) {
      raw.push_back(arg.data());
    }
    raw.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    if (::posix_spawn(&m_pid, raw[0], &actions, &attributes, raw.data(), environ) != 0) {
      m_pid = -1;
    }
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
  }
  ~LoadProcess() {
    if (m_pid > 0) {
      ::kill(-m_pid, SIGKILL);
      int status = 0;
      ::waitpid(m_pid, &status, 0);
    }
  }
  LoadProcess(const LoadProcess&) = delete;
  LoadProcess& operator=(const LoadProcess&) = delete;
  bool started() const { return m_pid > 0; }

 private:
  pid_t m_pid = -1;
};

std::string integrity_check(const std::string& file) {
  sqlite3* db = nullptr;
  std::string result = "cannot open " + file;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    } else {
      result = sqlite3_errmsg(db);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return result;
}

struct StoreCheck {
  std::size_t size = 0;           // every message in the store
  std::size_t from_recorder = 0;  // of them, the recording client's
  std::vector<std::string> problems;
};

// Opens the store the way serve does and compares the recording client's messages in it with
// what was sent: every acknowledged one present once, every stored one byte-identical.
StoreCheck check_store(const std::string& data, const std::set<MessageName>& acknowledged) {
  StoreCheck check;
  auto store = serve::make_sqlite_store(data, 0);
  serve::MessageQuery query;
  query.to = k_recorder_rcpt;
  query.limit = std::numeric_limits<std::size_t>::max();
  std::set<MessageName> stored;
  for (const auto& message : store->find(query)) {
    const std::string& sender = message.transaction.mail_from;
    const auto name = MessageName::parse(sender);
    if (!name) {
      check.problems.push_back("a message from an unknown sender: " + sender);
      continue;
    }
    if (!stored.insert(*name).second) {
      check.problems.push_back(sender + " is stored twice");
    }
    if (!message.transaction.message || *message.transaction.message != recorded_message(*name)) {
      check.problems.push_back(sender + " is not byte-identical to what was sent");
    }
  }
  for (const auto& name : acknowledged) {
    if (stored.count(name) == 0) {
      check.problems.push_back(name.address() + " got 250 but is not in the store");
    }
  }
  check.size = store->size();
  check.from_recorder = stored.size();
  return check;
}

std::string first_problems(const std::vector<std::string>& problems) {
  std::string text;
  for (std::size_t i = 0; i < std::min(problems.size(), k_problems_shown); ++i) {
    text += problems[i] + "\n";
  }
  return text + std::to_string(problems.size()) + " problems";
}

// MAILDOG_DURABILITY_SEED repeats a run's kill moments; otherwise a fresh seed, printed.
std::uint32_t durability_seed() {
  if (const char* from_env = std::getenv("MAILDOG_DURABILITY_SEED")) {
    return static_cast<std::uint32_t>(std::strtoul(from_env, nullptr, 10));
  }
  return std::random_device{}();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("every message that got its 250 survives 20 SIGKILLs under smtp-source load",
          "[.durability][serve][integration][persistence]") {
  if (::access(k_smtp_source, X_OK) != 0) {
    MAILDOG_SKIP(k_smtp_source << " is not installed (ci/install-deps.sh installs postfix for it)");
    return;
  }
  const std::uint32_t seed = durability_seed();
  INFO("seed " << seed << " (MAILDOG_DURABILITY_SEED=" << seed << " repeats the kill moments)");
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> kill_after_ms(k_kill_after_min_ms, k_kill_after_max_ms);
  TempDir dir;
  const std::string data = (dir.path() / "data").string();
  const std::string load_log = (dir.path() / "smtp-source.log").string();
  std::set<MessageName> acknowledged;
  std::size_t stored_before = 0;  // the store's size after the last kill
  std::size_t load_total = 0;     // smtp-source's messages stored
  std::ostringstream summary;
  summary << "durability: seed " << seed << ", " << k_rounds << " SIGKILLs\n";
  for (int round = 0; round < k_rounds; ++round) {
    INFO("round " << round);
    const std::chrono::milliseconds kill_after{kill_after_ms(random)};
    Recorded recorded;
    {
      ServeProcess serve({"--data", data, "--smtp-port", "0", "--keep", "0"});
      // It opened the store as the kill left it: nothing repaired away, nothing lost.
      const bool opened = serve.wait_for_output("(" + std::to_string(stored_before) + " messages)", k_store_line_wait);
      INFO(serve.output());
      REQUIRE(serve.started());
      REQUIRE(opened);
      LoadProcess load(serve.port(), load_log);
      REQUIRE(load.started());
      std::atomic<bool> stop{false};
      std::thread recorder([&] { recorded = record_until_gone(serve.port(), round, stop); });
      // Reading the server's output meanwhile keeps its one line per message from blocking it.
      const bool store_failed = serve.wait_for_output("cannot store", kill_after);
      serve.send_signal(SIGKILL);
      stop = true;
      recorder.join();
      auto exit = serve.wait_exit(k_exit_wait);
      REQUIRE_FALSE(store_failed);
      REQUIRE(exit);
      REQUIRE(exit->signal == SIGKILL);
    }
    REQUIRE(recorded.refused == 0);
    for (int number : recorded.acknowledged) {
      acknowledged.insert(MessageName{round, number});
    }
    REQUIRE(integrity_check(data + "/maildog.sqlite3") == "ok");
    const StoreCheck check = check_store(data, acknowledged);
    INFO(first_problems(check.problems));
    REQUIRE(check.problems.empty());
    const std::size_t load_before = load_total;
    load_total = check.size - check.from_recorder;
    summary << "  round " << round << ": killed after " << kill_after.count() << " ms, " << recorded.acknowledged.size()
            << " acknowledged to the recorder, " << load_total - load_before << " load messages stored\n";
    stored_before = check.size;
  }
  summary << "  total: " << acknowledged.size() << " acknowledged to the recorder, all present and intact; "
          << load_total << " load messages stored";
  std::cout << summary.str() << std::endl;
  REQUIRE(acknowledged.size() > 0);
  INFO(read_file(load_log));
  REQUIRE(load_total > 0);
}
