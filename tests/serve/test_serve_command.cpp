// `maildog-ci serve` as a child process over real sockets: swaks and Python smtplib deliver,
// the SQLite store is read back with the store API after the server stopped, a SIGKILL loses
// nothing that got its 250, and SIGTERM lets a transaction in flight finish.
#include <signal.h>
#include <sqlite3.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "serve/serve_process.hpp"
#include "serve/store.hpp"
#include "support/child.hpp"
#include "support/paths.hpp"
#include "support/skip.hpp"
#include "support/smtp_client.hpp"
#include "support/temp_dir.hpp"

using namespace maildog;
using namespace maildog::test;
using namespace std::chrono_literals;

namespace {

constexpr auto k_exit_wait = 30s;

bool have(const std::string& program) {
  if (program_available(program)) {
    return true;
  }
  MAILDOG_SKIP(program << " is not installed: test skipped (ci/install-deps.sh installs it)");
  return false;
}

std::string data_dir(const TempDir& dir) { return (dir.path() / "data").string(); }

// The whole transaction with the raw client; the reply to the final dot, if any came.
std::optional<smtp::Reply> send_message(SmtpClient& client, const std::string& to, const std::string& body) {
  if (!client.command("MAIL FROM:<app@example.test>") || !client.command("RCPT TO:<" + to + ">")) {
    return std::nullopt;
  }
  auto go = client.command("DATA");
  if (!go || go->code != 354 || !client.send_raw(body + ".\r\n")) {
    return std::nullopt;
  }
  return client.read_reply();
}

std::string numbered_message(int n) {
  return "Subject: persistence " + std::to_string(n) + "\r\nMessage-ID: <" + std::to_string(n) +
         "@example.test>\r\n\r\nmessage number " + std::to_string(n) + "\r\n";
}

std::string integrity_check(const std::string& file) {
  sqlite3* db = nullptr;
  std::string result;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      result = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return result;
}

}  // namespace

TEST_CASE("serve keeps what swaks and smtplib send, and exits 0 on SIGTERM", "[serve][integration]") {
  if (!have("swaks") || !have("python3")) {
    return;
  }
  TempDir dir;
  {
    ServeProcess serve({"--data", data_dir(dir), "--smtp-port", "0"});
    INFO(serve.output());
    REQUIRE(serve.started());
    REQUIRE(serve.output().find("maildog.sqlite3") != std::string::npos);

    ChildResult swaks = run_child(ChildSpec{{"swaks", "--server", "127.0.0.1", "--port", std::to_string(serve.port()),
                                             "--from", "app@example.test", "--to", "swaks@inbox.test", "--header",
                                             "Subject: from swaks", "--body", "hello from swaks", "--timeout", "20"},
                                            "",
                                            {},
                                            k_child_timeout_default});
    INFO(swaks.describe());
    REQUIRE(swaks.exit_code == 0);

    const std::string script =
        "import smtplib, sys\n"
        "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=20)\n"
        "s.sendmail('py@example.test', ['python@inbox.test'], 'Subject: from smtplib\\r\\n\\r\\nhello\\r\\n')\n"
        "s.quit()\n";
    ChildResult python =
        run_child(ChildSpec{{"python3", "-c", script, std::to_string(serve.port())}, "", {}, k_child_timeout_default});
    INFO(python.describe());
    REQUIRE(python.exit_code == 0);
    REQUIRE(serve.wait_for_output("message 2:", 10s));

    serve.send_signal(SIGTERM);
    auto exit = serve.wait_exit(k_exit_wait);
    REQUIRE(exit);
    REQUIRE(exit->code == 0);
  }
  auto store = serve::make_sqlite_store(data_dir(dir), 0);
  REQUIRE(store->size() == 2);
  serve::MessageQuery query;
  query.to = "swaks@inbox.test";
  auto from_swaks = store->find(query);
  REQUIRE(from_swaks.size() == 1);
  REQUIRE(from_swaks[0].transaction.message->find("hello from swaks") != std::string::npos);
  REQUIRE(from_swaks[0].transaction.final_reply->code == 250);
  query.to = "python@inbox.test";
  auto from_python = store->find(query);
  REQUIRE(from_python.size() == 1);
  REQUIRE(from_python[0].transaction.mail_from == "py@example.test");
  REQUIRE(*from_python[0].transaction.message == "Subject: from smtplib\r\n\r\nhello\r\n");
  // The sessions are there too, closed, with their transcripts.
  auto sessions = store->sessions(10);
  REQUIRE(sessions.size() == 2);
  REQUIRE_FALSE(sessions[0].open);
  REQUIRE_FALSE(sessions[0].record.transcript.empty());
  REQUIRE(from_python[0].session_id == sessions[0].id);
}

TEST_CASE("every message that got its 250 survives a SIGKILL", "[serve][integration][persistence]") {
  constexpr int k_messages = 100;  // bounded: the kill comes after k_before_kill of them
  constexpr int k_before_kill = 5;
  TempDir dir;
  std::map<int, std::string> acknowledged;  // message number -> bytes that got 250
  {
    ServeProcess serve({"--data", data_dir(dir), "--smtp-port", "0"});
    INFO(serve.output());
    REQUIRE(serve.started());
    std::atomic<int> acknowledged_count{0};
    std::map<int, std::string> sent_ok;
    std::thread sender([&] {
      SmtpClient client;
      if (!client.connect(serve.port()) || !client.read_reply() || !client.command("EHLO client.test")) {
        return;
      }
      for (int n = 0; n < k_messages; ++n) {
        auto reply = send_message(client, "user@inbox.test", numbered_message(n));
        if (!reply) {
          return;  // the server is gone
        }
        if (reply->code == 250) {
          sent_ok[n] = numbered_message(n);
          ++acknowledged_count;
        }
      }
    });
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (acknowledged_count < k_before_kill && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    serve.send_signal(SIGKILL);
    sender.join();
    auto exit = serve.wait_exit(k_exit_wait);
    REQUIRE(exit);
    REQUIRE(exit->signal == SIGKILL);
    acknowledged = sent_ok;
  }
  REQUIRE(acknowledged.size() >= static_cast<std::size_t>(k_before_kill));
  const std::string file = data_dir(dir) + "/maildog.sqlite3";
  {
    // Restarted on the same data: it opens the store as it is and serves again.
    ServeProcess serve({"--data", data_dir(dir), "--smtp-port", "0"});
    INFO(serve.output());
    REQUIRE(serve.started());
    SmtpClient client;
    REQUIRE(client.connect(serve.port()));
    REQUIRE(client.read_reply()->code == 220);
    REQUIRE(client.command("EHLO client.test")->code == 250);
    REQUIRE(send_message(client, "after@inbox.test", numbered_message(1000))->code == 250);
    REQUIRE(client.command("QUIT")->code == 221);
    serve.send_signal(SIGTERM);
    auto exit = serve.wait_exit(k_exit_wait);
    REQUIRE(exit);
    REQUIRE(exit->code == 0);
  }
  REQUIRE(integrity_check(file) == "ok");
  auto store = serve::make_sqlite_store(data_dir(dir), 0);
  for (const auto& [n, bytes] : acknowledged) {
    serve::MessageQuery query;
    query.subject = "persistence " + std::to_string(n);
    query.to = "user@inbox.test";
    auto found = store->find(query);
    INFO("message " << n);
    REQUIRE(found.size() == 1);
    REQUIRE(*found[0].transaction.message == bytes);
  }
  serve::MessageQuery after;
  after.to = "after@inbox.test";
  auto later = store->find(after);
  REQUIRE(later.size() == 1);
  REQUIRE(later[0].id > store->find({}).back().id);
}

TEST_CASE("SIGTERM lets a transaction in flight finish, then exits 0", "[serve][integration]") {
  TempDir dir;
  {
    ServeProcess serve({"--data", data_dir(dir), "--smtp-port", "0"});
    INFO(serve.output());
    REQUIRE(serve.started());
    SmtpClient client;
    REQUIRE(client.connect(serve.port()));
    REQUIRE(client.read_reply()->code == 220);
    REQUIRE(client.command("EHLO client.test")->code == 250);
    REQUIRE(client.command("MAIL FROM:<app@example.test>")->code == 250);
    REQUIRE(client.command("RCPT TO:<user@inbox.test>")->code == 250);
    REQUIRE(client.command("DATA")->code == 354);
    REQUIRE(client.send_raw("Subject: in flight\r\n\r\nfirst half\r\n"));
    serve.send_signal(SIGTERM);
    REQUIRE(serve.wait_for_output("finishing transactions in flight", 10s));
    REQUIRE(client.send_raw("second half\r\n.\r\n"));
    auto done = client.read_reply();
    REQUIRE(done);
    REQUIRE(done->code == 250);
    // Then the server says goodbye and closes.
    auto bye = client.read_reply();
    REQUIRE(bye);
    REQUIRE(bye->code == 421);
    auto exit = serve.wait_exit(k_exit_wait);
    REQUIRE(exit);
    REQUIRE(exit->code == 0);
  }
  auto store = serve::make_sqlite_store(data_dir(dir), 0);
  auto all = store->find({});
  REQUIRE(all.size() == 1);
  REQUIRE(*all[0].transaction.message == "Subject: in flight\r\n\r\nfirst half\r\nsecond half\r\n");
}

TEST_CASE("serve refuses an invalid config with file:line:col and exit code 2", "[serve][integration]") {
  TempDir dir;
  const auto config = dir.write("serve.yaml", "name: sandbox\nserver:\n  tls: sometimes\n");
  ChildResult result =
      run_child(ChildSpec{{binary_path().string(), "serve", "--config", config.string(), "--smtp-port", "0"},
                          "",
                          {},
                          k_child_timeout_default});
  INFO(result.describe());
  REQUIRE(result.exit_code == 2);
  REQUIRE(result.err.find(config.string() + ":3:") != std::string::npos);
}

TEST_CASE("serve starts with a config that is only a server: block, without a name", "[serve][integration]") {
  TempDir dir;
  const auto config = dir.write("serve.yaml",
                                "server:\n"
                                "  domains: [inbox.test]\n"
                                "  mailboxes: [user@inbox.test]\n");
  ServeProcess serve({"--config", config.string(), "--smtp-port", "0", "--http-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());
  SmtpClient client;
  REQUIRE(client.connect(serve.port()));
  REQUIRE(client.read_reply()->code == 220);
  REQUIRE(client.command("EHLO client.test")->code == 250);
  REQUIRE(client.command("MAIL FROM:<app@example.test>")->code == 250);
  REQUIRE(client.command("RCPT TO:<ghost@inbox.test>")->code == 550);
  REQUIRE(client.command("RCPT TO:<user@inbox.test>")->code == 250);
  serve.send_signal(SIGINT);
  auto exit = serve.wait_exit(k_exit_wait);
  REQUIRE(exit);
  REQUIRE(exit->code == 0);
}

TEST_CASE("serve applies the server block of its config", "[serve][integration]") {
  TempDir dir;
  const auto config =
      dir.write("serve.yaml",
                "name: sandbox\n"
                "server:\n"
                "  domains: [inbox.test]\n"
                "  mailboxes: [user@inbox.test, blocked@inbox.test]\n"
                "  rules:\n"
                "    - {at: rcpt, match: {rcpt: blocked@inbox.test}, reply: \"550 5.7.1 Blocked by rule\"}\n");
  ServeProcess serve({"--config", config.string(), "--smtp-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());
  SmtpClient client;
  REQUIRE(client.connect(serve.port()));
  REQUIRE(client.read_reply()->code == 220);
  REQUIRE(client.command("EHLO client.test")->code == 250);
  REQUIRE(client.command("MAIL FROM:<app@example.test>")->code == 250);
  REQUIRE(client.command("RCPT TO:<ghost@inbox.test>")->code == 550);
  auto blocked = client.command("RCPT TO:<blocked@inbox.test>");
  REQUIRE(blocked->text() == "Blocked by rule");
  REQUIRE(client.command("RCPT TO:<user@inbox.test>")->code == 250);
  serve.send_signal(SIGINT);
  auto exit = serve.wait_exit(k_exit_wait);
  REQUIRE(exit);
  REQUIRE(exit->code == 0);
}

TEST_CASE("a rules body nested 60000 levels deep gets 400 and serve goes on", "[serve][integration][hostile]") {
  if (!have("curl")) {
    return;
  }
  TempDir dir;
  ServeProcess serve({"--smtp-port", "0", "--http-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());
  const std::string url = "http://127.0.0.1:" + std::to_string(serve.http_port());
  // 120 KB of brackets: before the depth check, the rules' dump recursed until the stack overflowed.
  const auto body = dir.write("deep.json", std::string(60000, '[') + std::string(60000, ']'));
  ChildSpec put;
  put.argv = {"curl",
              "-s",
              "-o",
              "-",
              "-w",
              "\n%{http_code}",
              "-X",
              "PUT",
              "-H",
              "Content-Type: application/json",
              "--data-binary",
              "@" + body.string(),
              url + "/api/v1/rules"};
  const auto reply = run_child(put);
  INFO(reply.describe());
  REQUIRE(reply.exit_code == 0);
  CHECK(reply.out.ends_with("\n400"));
  CHECK(reply.out.find("deeper than 64 levels") != std::string::npos);

  ChildSpec health;
  health.argv = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url + "/healthz"};
  CHECK(run_child(health).out == "200");
  SmtpClient client;
  REQUIRE(client.connect(serve.port()));
  REQUIRE(client.read_reply()->code == 220);
  serve.send_signal(SIGTERM);
  auto exit = serve.wait_exit(k_exit_wait);
  REQUIRE(exit);
  CHECK(exit->code == 0);
}

// A process-directed SIGTERM goes to any thread that does not block it; one that had not blocked
// it (the store's writer, the line printer) let the default action kill serve mid-transaction.
TEST_CASE("every thread of serve blocks SIGTERM and SIGINT, so only its stop wait receives them", "[serve][signals]") {
  TempDir dir;
  ServeProcess serve({"--data", data_dir(dir), "--smtp-port", "0"});
  INFO(serve.output());
  REQUIRE(serve.started());
  const auto tasks = std::filesystem::path("/proc") / std::to_string(serve.pid()) / "task";
  std::size_t threads = 0;
  for (const auto& task : std::filesystem::directory_iterator(tasks)) {
    // The main thread waits in sigwait, which unblocks the signals it waits for while it waits.
    if (task.path().filename() == std::to_string(serve.pid())) {
      continue;
    }
    std::ifstream status(task.path() / "status");
    std::string line;
    std::uint64_t blocked = 0;
    while (std::getline(status, line)) {
      if (line.rfind("SigBlk:", 0) == 0) {
        blocked = std::stoull(line.substr(7), nullptr, 16);
      }
    }
    INFO("thread " << task.path().filename().string() << " SigBlk " << std::hex << blocked);
    CHECK((blocked >> (SIGTERM - 1) & 1) == 1);
    CHECK((blocked >> (SIGINT - 1) & 1) == 1);
    ++threads;
  }
  CHECK(threads >= 2);  // the store's writer, the printer, the I/O threads, the API's
  serve.send_signal(SIGTERM);
  auto exit = serve.wait_exit(k_exit_wait);
  REQUIRE(exit);
  CHECK(exit->code == 0);
}
