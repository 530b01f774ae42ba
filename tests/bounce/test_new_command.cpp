// End-to-end: `maildog-ci new` through the built binary (src/cli/new_command.cpp): a reply as an
// argument, a file, standard input; -o never overwriting without --force and leaving no
// temporary file; --keep-addresses; the placeholder validate refuses; a written scenario that runs.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/child.hpp"
#include "support/paths.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* k_reply = "550 5.1.1 <ghost@example.net>: Recipient address rejected: User unknown";

ChildResult run_maildog_new(std::vector<std::string> args, std::string input = {}) {
  ChildSpec spec;
  spec.argv = {binary_path().string()};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.input = std::move(input);
  spec.environment = {{"NO_COLOR", "1"}};
  return run_child(spec);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::path make_temp_dir() {
  std::string pattern = (fs::temp_directory_path() / "maildog-new-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  return fs::path(pattern);
}

struct TempDir {
  fs::path path = make_temp_dir();
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(path), fs::directory_iterator()));
  }
};

}  // namespace

TEST_CASE("new --from a reply prints a scenario with test addresses", "[bounce][e2e]") {
  auto run = run_maildog_new({"new", "--from", k_reply});
  INFO(run.describe());
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::StartsWith("# Made by `maildog-ci new --from`"));
  CHECK_THAT(run.out, Catch::Contains("user1@recipient.test") && Catch::Contains("at: rcpt"));
  CHECK(run.out.find("ghost@example.net") == std::string::npos);
}

TEST_CASE("new --from - reads standard input, --keep-addresses keeps the addresses", "[bounce][e2e]") {
  auto run = run_maildog_new(
      {"new", "--from", "-", "--keep-addresses"},
      "Dec  8 10:00:00 mx postfix/smtp[1]: 4A: to=<ghost@example.net>, dsn=5.1.1, status=bounced "
      "(host mx[192.0.2.1] said: 550 5.1.1 <ghost@example.net>: User unknown (in reply to RCPT TO command))\n");
  INFO(run.describe());
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("match: {rcpt: ghost@example.net}"));
  CHECK(run.out.find("recipient.test") == std::string::npos);
}

TEST_CASE("new --from a file of the corpus", "[bounce][e2e]") {
  const auto file = source_dir() / "tests" / "bounce" / "corpus" / "016-exim-x-failed-recipients.eml";
  auto run = run_maildog_new({"new", "--from", file.string()});
  INFO(run.describe());
  REQUIRE(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("at: rcpt"));
}

TEST_CASE("new refuses input without a reply, and a reply that is no refusal", "[bounce][e2e]") {
  auto run = run_maildog_new({"new", "--from", "nothing to see here"});
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.err, Catch::Contains("no SMTP reply code"));
  auto accepted = run_maildog_new({"new", "--from", "250 2.0.0 Ok: queued as 4AB"});
  CHECK(accepted.exit_code == 2);
  CHECK_THAT(accepted.err, Catch::Contains("is not a refusal"));
  CHECK(accepted.out.empty());
}

TEST_CASE("new -o: never overwrites without --force, leaves no temporary file", "[bounce][e2e]") {
  TempDir dir;
  const auto out = dir.path / "bounce.yaml";
  auto first = run_maildog_new({"new", "--from", k_reply, "-o", out.string()});
  INFO(first.describe());
  REQUIRE(first.exit_code == 0);
  CHECK_THAT(first.err, Catch::Contains("fill in app.run"));
  const std::string written = read_text(out);
  CHECK_THAT(written, Catch::Contains("user1@recipient.test"));

  auto again = run_maildog_new({"new", "--from", "451 4.7.1 try later", "-o", out.string()});
  CHECK(again.exit_code == 2);
  CHECK_THAT(again.err, Catch::Contains("exists; pass --force"));
  CHECK(read_text(out) == written);

  auto forced =
      run_maildog_new({"new", "--from", "451 4.7.1 try later", "-o", out.string(), "--force", "--app", "true"});
  INFO(forced.describe());
  CHECK(forced.exit_code == 0);
  CHECK_THAT(read_text(out), Catch::Contains("451 4.7.1 try later"));
  CHECK(dir.entries() == 1);  // the temporary file was renamed, not left behind

  auto missing = run_maildog_new({"new", "--from", k_reply, "-o", (dir.path / "no" / "such" / "dir.yaml").string()});
  CHECK(missing.exit_code != 0);
  CHECK(dir.entries() == 1);
}

TEST_CASE("without --app validate refuses the placeholder at its line; with --app the scenario runs", "[bounce][e2e]") {
  TempDir dir;
  const auto draft = dir.path / "draft.yaml";
  REQUIRE(run_maildog_new({"new", "--from", k_reply, "-o", draft.string()}).exit_code == 0);
  auto invalid = run_maildog_new({"validate", draft.string()});
  CHECK(invalid.exit_code == 2);
  CHECK_THAT(invalid.output(), Catch::Contains("draft.yaml:") && Catch::Contains("app.run is still the placeholder"));

  const auto ready = dir.path / "ready.yaml";
  const auto app = source_dir() / "tests" / "bounce" / "sample_app.py";
  const auto report = dir.path / "heard.txt";
  const std::string command = "/usr/bin/python3 " + app.string() +
                              " --to user1@recipient.test --sender sender@sender.test --report " + report.string();
  REQUIRE(run_maildog_new({"new", "--from", k_reply, "--app", command, "-o", ready.string()}).exit_code == 0);
  auto valid = run_maildog_new({"validate", ready.string()});
  INFO(valid.describe());
  CHECK(valid.exit_code == 0);
  auto ran = run_maildog_new({"run", "--seed", "42", ready.string()});
  INFO(ran.describe());
  CHECK(ran.exit_code == 0);
  CHECK(read_text(report) == "rcpt\t550 5.1.1 <user1@recipient.test>: Recipient address rejected: User unknown\n");
}
