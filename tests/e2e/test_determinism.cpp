// End-to-end: reports are deterministic. Two runs of the same suite with the same --seed write
// byte-identical JUnit and JSON once durations and timestamps are taken out, and a run without
// --seed prints the seed that repeats it.
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>

#include "e2e/maildog_run.hpp"
#include "support/paths.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
namespace fs = std::filesystem;

namespace {

// Scenarios whose transcripts depend on the seed: a coin per recipient. The second one sets
// its own seed, which --seed must leave alone.
constexpr const char* k_coin_scenarios = R"(name: a coin per recipient
server:
  rules:
    - {at: rcpt, match: {probability: 0.5}, reply: "450 4.2.0 tails, try again later"}
client:
  steps:
    - send: EHLO client.test
    - send: "MAIL FROM:<a@client.test>"
    - {send: "RCPT TO:<r1@inbox.test>"}
    - {send: "RCPT TO:<r2@inbox.test>"}
    - {send: "RCPT TO:<r3@inbox.test>"}
    - {send: "RCPT TO:<r4@inbox.test>"}
    - {send: "RCPT TO:<r5@inbox.test>"}
    - {send: "RCPT TO:<r6@inbox.test>"}
    - {send: "RCPT TO:<r7@inbox.test>"}
    - {send: "RCPT TO:<r8@inbox.test>"}
    - {send: "RCPT TO:<r9@inbox.test>"}
    - {send: "RCPT TO:<r10@inbox.test>"}
    - {send: "RCPT TO:<r11@inbox.test>"}
    - {send: "RCPT TO:<r12@inbox.test>"}
    - {send: "RCPT TO:<r13@inbox.test>"}
    - {send: "RCPT TO:<r14@inbox.test>"}
    - {send: "RCPT TO:<r15@inbox.test>"}
    - {send: "RCPT TO:<r16@inbox.test>"}
    - quit: true
---
name: a coin with its own seed
server:
  seed: 5
  rules:
    - {at: rcpt, match: {probability: 0.5}, reply: "450 4.2.0 tails, try again later"}
client:
  steps:
    - send: EHLO client.test
    - send: "MAIL FROM:<a@client.test>"
    - {send: "RCPT TO:<r1@inbox.test>"}
    - {send: "RCPT TO:<r2@inbox.test>"}
    - {send: "RCPT TO:<r3@inbox.test>"}
    - {send: "RCPT TO:<r4@inbox.test>"}
    - {send: "RCPT TO:<r5@inbox.test>"}
    - {send: "RCPT TO:<r6@inbox.test>"}
    - {send: "RCPT TO:<r7@inbox.test>"}
    - {send: "RCPT TO:<r8@inbox.test>"}
    - quit: true
)";

struct Reports {
  std::string junit;
  std::string json;
  std::string console;
};

Reports run_suite(const std::vector<std::string>& paths, const fs::path& dir, const std::string& name,
                  const std::vector<std::string>& extra) {
  std::vector<std::string> args{"run"};
  args.insert(args.end(), paths.begin(), paths.end());
  const fs::path junit = dir / (name + ".xml");
  const fs::path json = dir / (name + ".json");
  args.insert(args.end(), {"-j", "2", "--junit", junit.string(), "--json", json.string()});
  args.insert(args.end(), extra.begin(), extra.end());
  auto run = run_maildog(args);
  INFO(run.describe());
  // Failed scenarios must repeat too; only a run that could not complete is no comparison.
  REQUIRE((run.exit_code == 0 || run.exit_code == 1));
  return {read_text(junit), read_text(json), run.out};
}

// What may differ between runs: JUnit `time` and `timestamp`, JSON `started`, `duration*` and
// `offset_us` (microseconds since a session started).
std::string without_timings(const Reports& reports) {
  static const std::regex junit_times(R"( (time|timestamp)="[^"]*")");
  static const std::regex json_times(R"x("(started|duration[a-z_]*|offset_us)": ("[^"]*"|[-+.0-9eE]+))x");
  return std::regex_replace(reports.junit, junit_times, "") + "\n" +
         std::regex_replace(reports.json, json_times, "\"$1\": null");
}

// The first difference with the lines around it, for the failure message.
std::string first_difference(const std::string& a, const std::string& b) {
  const auto mismatch = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  const auto at = static_cast<std::size_t>(mismatch.first - a.begin());
  const std::size_t from = at > 300 ? at - 300 : 0;
  return "first run:\n" + a.substr(from, 600) + "\n---- second run:\n" + b.substr(from, 600);
}

std::string seed_printed(const std::string& console) {
  std::smatch match;
  REQUIRE(std::regex_search(console, match, std::regex(R"((?:^|\n)seed (\d+): rerun with --seed (\d+)\n)")));
  REQUIRE(match[1] == match[2]);
  return match[1];
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) {
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("two runs of the bundled scenarios with the same --seed write the same reports", "[e2e][determinism]") {
  TempDir dir;
  const std::vector<std::string> suite{(source_dir() / "scenarios").string()};
  const Reports first = run_suite(suite, dir.path(), "first", {"--seed", "4242"});
  const Reports second = run_suite(suite, dir.path(), "second", {"--seed", "4242"});
  CHECK(seed_printed(first.console) == "4242");
  CHECK_THAT(first.junit, Catch::Contains("<property name=\"seed\" value=\"4242\"/>"));
  CHECK_THAT(first.json, Catch::Contains("\n  \"seed\": 4242,\n"));
  // What used to differ is normalised: client ports, CRAM-MD5 challenges, the port in app output.
  CHECK_THAT(first.json, Catch::Contains("\"client_port\": 0,"));
  CHECK_THAT(first.junit, Catch::Contains("== session 1 from 127.0.0.1\n"));
  CHECK_THAT(first.junit, Catch::Contains("S: 334 &lt;challenge&gt;"));
  CHECK_THAT(first.junit, Catch::Contains("=== Trying 127.0.0.1:&lt;port&gt;..."));

  const std::string a = without_timings(first);
  const std::string b = without_timings(second);
  INFO(first_difference(a, b));
  CHECK(a == b);
  // The timings were there to take out.
  CHECK(a != first.junit + "\n" + first.json);
}

TEST_CASE("a run without --seed prints the seed that repeats it", "[e2e][determinism]") {
  TempDir dir;
  const fs::path coins = dir.write("coins.yaml", k_coin_scenarios);
  const Reports drawn = run_suite({coins.string()}, dir.path(), "drawn", {});
  const std::string seed = seed_printed(drawn.console);
  CHECK_THAT(drawn.json, Catch::Contains("\n  \"seed\": " + seed + ",\n"));
  // The coins fell both ways, so the transcripts do depend on the seed.
  CHECK(count(drawn.junit, "S: 450 4.2.0 tails") > 0);
  CHECK(count(drawn.junit, "S: 250 2.1.5") > 0);

  const Reports again = run_suite({coins.string()}, dir.path(), "again", {"--seed", seed});
  INFO(first_difference(without_timings(drawn), without_timings(again)));
  CHECK(without_timings(drawn) == without_timings(again));

  const std::string other_seed = std::to_string(std::stoull(seed) + 1);
  const Reports other = run_suite({coins.string()}, dir.path(), "other", {"--seed", other_seed});
  CHECK(without_timings(other) != without_timings(drawn));
  // The scenario with its own server.seed draws the same coins whatever --seed says.
  const auto own_seed_part = [](const std::string& junit) {
    const auto start = junit.find("name=\"a coin with its own seed\"");
    return start == std::string::npos ? std::string() : junit.substr(start);
  };
  const std::string mine = own_seed_part(std::regex_replace(drawn.junit, std::regex(R"( time="[^"]*")"), ""));
  CHECK_FALSE(mine.empty());
  CHECK(mine == own_seed_part(std::regex_replace(other.junit, std::regex(R"( time="[^"]*")"), "")));
}
