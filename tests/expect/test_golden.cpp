// expect.transcript: contains, golden files and --update-golden.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "expect/evaluate_fixtures.hpp"

using namespace evaluate_fixtures;

TEST_CASE("expect.transcript", "[evaluate][transcript]") {
  auto scenario = make_scenario();
  scenario.expect.transcript = maildog::scenario::TranscriptExpect{};
  scenario.expect.transcript->line = 70;
  auto result = observed({delivering_session()});

  SECTION("contains looks at the normalised transcript") {
    scenario.expect.transcript->contains = {"S: 250 2.0.0 Ok: queued as <id>", "C: QUIT\nS: 221"};
    CHECK(evaluate(scenario, result).empty());
    scenario.expect.transcript->contains = {"queued as 0A1B2C3D4E"};
    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.transcript.contains[0]");
    CHECK(failures[0].line == 70);
    CHECK(failures[0].expected == "transcript contains \"queued as 0A1B2C3D4E\"");
    CHECK(failures[0].actual == "not found in the normalised transcript");
    CHECK(failures[0].context == lines(result, 15, 18));
  }

  SECTION("golden files") {
    const auto dir = fresh_dir();
    scenario.dir = dir;
    scenario.expect.transcript->golden = dir / "golden" / "reset.txt";

    auto failures = evaluate(scenario, result);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expectation == "expect.transcript.golden");
    CHECK(failures[0].expected == "transcript as in golden/reset.txt");
    CHECK(failures[0].actual == "golden/reset.txt does not exist; run with --update-golden to create it");

    const auto created = update_golden(scenario, result);
    REQUIRE(created);
    CHECK(*created == "golden transcript golden/reset.txt: created (" +
                          std::to_string(normalised_lines(result.sessions).size()) + " lines)\n");
    CHECK_FALSE(update_golden(scenario, result));
    CHECK(evaluate(scenario, result).empty());
    {
      std::ifstream in(*scenario.expect.transcript->golden, std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      CHECK(text == join_lines(normalised_lines(result.sessions)));
      CHECK(text.find("queued as <id>") != std::string::npos);
    }

    // A new run with another queue id and client port still matches.
    auto again = result;
    again.sessions[0].client_port = 51000;
    again.sessions[0].transcript[15].text = "250 2.0.0 Ok: queued as FFEE001122";
    CHECK(evaluate(scenario, again).empty());

    // A changed reply is reported at its line.
    auto changed = result;
    changed.sessions[0].transcript[8].text = "550 5.1.1 <user@inbox.test>: Recipient address rejected: User unknown";
    failures = evaluate(scenario, changed);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "transcript as in golden/reset.txt, line 10: \"S: 250 2.1.5 Recipient ok\"");
    CHECK(failures[0].actual ==
          "line 10: \"S: 550 5.1.1 <user@inbox.test>: Recipient address rejected: User unknown\" (run with "
          "--update-golden to accept the new transcript)");
    CHECK(failures[0].context == lines(changed, 6, 12));

    // A shorter transcript ends early.
    auto shorter = result;
    shorter.sessions[0].transcript.resize(16);
    failures = evaluate(scenario, shorter);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].expected == "transcript as in golden/reset.txt, line 18: \"C: QUIT\"");
    CHECK(failures[0].actual == "line 18: end of transcript (run with --update-golden to accept the new transcript)");

    const auto updated = update_golden(scenario, changed);
    REQUIRE(updated);
    CHECK(*updated ==
          "golden transcript golden/reset.txt: updated\n"
          "  from line 10:\n"
          "  - S: 250 2.1.5 Recipient ok\n"
          "  + S: 550 5.1.1 <user@inbox.test>: Recipient address rejected: User unknown\n");
    CHECK(evaluate(scenario, changed).empty());
    std::filesystem::remove_all(dir);
  }

  SECTION("no golden named: nothing to update") { CHECK_FALSE(update_golden(scenario, result)); }
}
