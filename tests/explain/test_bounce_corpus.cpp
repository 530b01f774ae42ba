// explain over the public bounce corpus (tests/bounce/corpus): every file gives the reply, codes
// and stage its SOURCES.tsv row expects, and the files that show what explain learnt for issue 20
// (Exim, Proofpoint/Mimecast, Postfix's 451 4.3.0, 5.2.2, the stage from a bounce's own words) get
// their exact diagnosis, MTA and recipients.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "explain/bounce_facts.hpp"
#include "explain/explanation.hpp"
#include "explain/render.hpp"
#include "support/paths.hpp"

using namespace maildog::explain;
namespace fs = std::filesystem;

namespace {

const fs::path k_corpus = maildog::test::source_dir() / "tests" / "bounce" / "corpus";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Row {
  std::string file;
  std::string stage;
  std::string basic;
  std::string enhanced;
  std::string reply;
};

std::vector<Row> sources() {
  std::ifstream in(k_corpus / "SOURCES.tsv");
  REQUIRE(in);
  std::vector<Row> rows;
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream cellstream(line);
    for (std::string cell; std::getline(cellstream, cell, '\t');) {
      cells.push_back(cell);
    }
    REQUIRE(cells.size() == 10);
    rows.push_back({cells[0], cells[6], cells[7], cells[8], cells[9]});
  }
  return rows;
}

// The words of a reply without its codes and continuation markers ("550-", "5.7.26"), which
// the finder drops when it joins a multi-line reply.
std::string words_without_codes(std::string_view reply, std::string_view basic, std::string_view enhanced) {
  std::stringstream in{std::string(reply)};
  std::string out;
  for (std::string word; in >> word;) {
    if (word == basic || word == enhanced) {
      continue;
    }
    if (word.size() > basic.size() && word.starts_with(basic) && word[basic.size()] == '-') {
      word.erase(0, basic.size() + 1);
      if (word.empty() || word == enhanced) {
        continue;
      }
    }
    out += (out.empty() ? "" : " ") + word;
  }
  // As the finder: what a log put between the code and the text (": ") is not the text.
  out.erase(0, std::min(out.size(), out.find_first_not_of(" :;,-")));
  return out;
}

Explanation explained_file(const std::string& file) {
  const auto search = find_reply(read_file(k_corpus / file));
  INFO(file << ": " << search.error);
  REQUIRE(search.reply);
  return explain(*search.reply);
}

}  // namespace

TEST_CASE("every corpus bounce gives the reply, codes and stage its SOURCES.tsv row expects",
          "[explain][bounce_corpus]") {
  const auto rows = sources();
  REQUIRE(rows.size() >= 40);
  for (const auto& row : rows) {
    INFO(row.file);
    const Explanation explanation = explained_file(row.file);
    const FoundReply& reply = explanation.reply;
    CHECK(std::to_string(reply.code) == row.basic);
    if (row.enhanced == "-") {
      // No enhanced code in the reply; a DSN's Status: field may still give one.
      CHECK((!reply.enhanced || reply.source == ReplySource::dsn));
    } else {
      REQUIRE(reply.enhanced);
      CHECK(reply.enhanced->str() == row.enhanced);
    }
    const std::string enhanced = reply.enhanced ? reply.enhanced->str() : std::string();
    CHECK(words_without_codes(reply.text, row.basic, enhanced) ==
          words_without_codes(row.reply, row.basic, row.enhanced == "-" ? enhanced : row.enhanced));
    // The bounce's own words first; the knowledge base's usual stage where it says nothing.
    const std::string stage =
        reply.stage.empty() ? explanation.diagnosis.stage : std::string(scenario_stage(reply.stage));
    CHECK(stage == row.stage);
  }
}

TEST_CASE("corpus bounces get the diagnosis, MTA and recipients explain names", "[explain][bounce_corpus]") {
  struct Expected {
    std::string file;
    std::string diagnosis;
    std::string mta;
    std::vector<std::string> recipients;
    std::string provider;  // empty: none
  };
  auto expected = GENERATE(values<Expected>({
      {"016-exim-x-failed-recipients.eml", "user_unknown", "Exim", {"kijitora@example.jp", "sabatora@example.jp"}, ""},
      {"022-exim-after-mail-from.eml", "policy_blocked", "Exim", {"kijitora@example.ed.jp"}, ""},
      // Exim folds the reply onto an indented line: "Recipient address rejected: Access denied" is in it.
      {"048-exim-recipient-access-denied.eml", "user_unknown", "Exim", {"kijitora@exmaple.ch"}, "Postfix"},
      {"049-gmail-relayed-header-error.eml", "malformed_message", "Gmail", {"kijitora@example.co.jp"}, ""},
      {"051-office365-ndr-remote-spf-refusal.eml", "spf_fail", "Microsoft Exchange", {"kijitora@example.com"}, ""},
      {"047-hotmail-dsn-unknown-and-full.eml",
       "user_unknown",
       "Microsoft Exchange",
       {"sabineko@example.co.jp", "mikeneko@example.co.jp"},
       ""},
      {"034-exim-log-450-at-connect.log", "generic_mailbox", "Exim", {"userx@domain1"}, ""},
      {"001-mimecast-host-network-not-allowed.eml", "mimecast_policy", "Postfix", {"sabatora@example.com"}, "Mimecast"},
      {"027-hotmail-dsn-mailbox-full.eml", "mailbox_full", "Microsoft Exchange", {"kijitora@example.jp"}, ""},
      {"033-postfix-452-mailbox-size-limit.eml", "mailbox_full", "Postfix", {"junkmail@b.c"}, ""},
      {"017-qmail-unknown-user.eml", "user_unknown", "qmail", {}, ""},
      {"032-sendmail-rcpt-transcript-gmail.eml", "user_unknown", "Sendmail", {"recipient@example.net"}, ""},
      {"021-gmail-relayed-user-unknown.eml",
       "user_unknown",
       "Gmail",
       {"aougoueioaldljgoiuiorghladkgke@example.fr"},
       ""},
      {"020-postfix-gmail-5.7.26-dmarc.eml", "dmarc_reject", "Postfix", {"kijitora@google.example.com"}, "Gmail"},
      {"040-messagelabs-relay-needs-auth.eml",
       "relay_denied",
       "Symantec Email Security.cloud",
       {"kijitora@example.messagelabs.com"},
       ""},
      {"043-postfix-553-not-a-relay.eml", "relay_denied", "Postfix", {"a@example.com"}, ""},
      {"030-postfix-badrcptto-553.eml", "user_unknown", "Postfix", {"recipient@example.net"}, ""},
      {"006-postfix-log-helo-not-fqdn.log", "helo_rejected", "Postfix", {}, "Postfix"},
      {"044-postfix-log-helo-host-not-found.log", "helo_rejected", "Postfix", {}, "Postfix"},
      {"002-postfix-log-relay-access-denied.log", "relay_denied", "Postfix", {"smtp@example.org"}, "Postfix"},
      {"011-sendmail-log-spamhaus-sbl-xbl.log", "dnsbl_listed", "Sendmail", {"joaofr@camilopinto.pt"}, "Spamhaus"},
      {"046-sendmail-log-too-many-connections.log", "rate_limited", "Sendmail", {}, ""},
  }));
  INFO(expected.file);
  const Explanation explanation = explained_file(expected.file);
  CHECK(explanation.diagnosis.id == expected.diagnosis);
  CHECK(explanation.reply.mta == expected.mta);
  CHECK(explanation.reply.recipients == expected.recipients);
  CHECK(explanation.diagnosis.provider.value_or("") == expected.provider);
}

TEST_CASE("an Exim bounce is shown with its MTA and failed recipients", "[explain][bounce_corpus]") {
  const Explanation explanation = explained_file("016-exim-x-failed-recipients.eml");
  CHECK(explanation.reply.stage == "RCPT TO");
  std::ostringstream out;
  render_text(explanation, out);
  CHECK_THAT(out.str(), Catch::Contains("MTA        Exim\n"));
  CHECK_THAT(out.str(), Catch::Contains("Recipients kijitora@example.jp, sabatora@example.jp"));
  const auto json = render_json(explanation);
  CHECK(json["mta"] == "Exim");
  CHECK(json["recipients"].dump() == R"(["kijitora@example.jp","sabatora@example.jp"])");
}

TEST_CASE("a bounce's sender is read from the DSN or the log line", "[explain][bounce_corpus]") {
  CHECK(explained_file("018-postfix-dsn-two-user-unknown.eml").reply.sender == "kijitora@example.jp");
  CHECK(explained_file("002-postfix-log-relay-access-denied.log").reply.sender == "john@example.com");
  CHECK(explained_file("035-exim-log-550-at-connect.log").reply.sender == "CALLER@test.ex");
}

TEST_CASE("a 5.2.2's first fix is about 5.2.2, a 4.2.2's about 4.2.2", "[explain][bounce_corpus]") {
  const Explanation permanent = explained_file("027-hotmail-dsn-mailbox-full.eml");
  REQUIRE_FALSE(permanent.diagnosis.fixes.empty());
  CHECK_THAT(permanent.diagnosis.fixes.front(), Catch::StartsWith("For 5.2.2:"));
  const Explanation temporary = explained_file("033-postfix-452-mailbox-size-limit.eml");
  REQUIRE_FALSE(temporary.diagnosis.fixes.empty());
  CHECK_THAT(temporary.diagnosis.fixes.front(), Catch::StartsWith("For 4.2.2:"));
}
