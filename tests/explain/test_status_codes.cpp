// The enhanced status code table (src/explain/status_codes.cpp) against the IANA registry file in
// the shared conformance data, so the hand-written table cannot drift from the registry; and the
// basic reply code table.
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "explain/basic_codes.hpp"
#include "explain/status_codes.hpp"
#include "support/paths.hpp"
#include "support/skip.hpp"

using namespace maildog::explain;

namespace {

struct RegistryRecord {
  std::string code;   // "X.7.26", "5.XXX.YYY", "X.1.YYY"
  std::string title;  // <summary> for classes and subjects, <sample> for enumerated codes
};

// Whitespace runs collapsed: the registry wraps long titles.
std::string collapse(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (space && (out.empty() || out.back() == ' ')) {
      continue;
    }
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  return out;
}

// A small scan of the registry's <record> elements: the file is data, not a document to validate.
std::vector<RegistryRecord> read_registry(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string xml = text.str();
  const std::regex record(R"(<record[^>]*>([\s\S]*?)</record>)");
  const std::regex code(R"(<code>([^<]*)</code>)");
  const std::regex title(R"(<(summary|sample)>([^<]*)</(summary|sample)>)");
  std::vector<RegistryRecord> records;
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), record); it != std::sregex_iterator(); ++it) {
    const std::string body = (*it)[1];
    std::smatch found;
    if (!std::regex_search(body, found, code)) {
      continue;
    }
    RegistryRecord entry{found[1], {}};
    if (std::regex_search(body, found, title)) {
      entry.title = collapse(found[2]);
    }
    records.push_back(entry);
  }
  return records;
}

int number_at(const std::string& code, std::size_t part) {
  std::stringstream parts(code);
  std::string piece;
  for (std::size_t i = 0; i <= part; ++i) {
    std::getline(parts, piece, '.');
  }
  return std::stoi(piece);
}

}  // namespace

TEST_CASE("the enhanced status code table matches the IANA registry", "[explain][registry]") {
  const auto conformance = maildog::test::conformance_dir();
  if (!conformance) {
    maildog::test::skip_test("no conformance data (MAILDOG_CONFORMANCE_DIR): the IANA registry cross-check");
    return;
  }
  const auto path = *conformance / "iana" / "smtp-enhanced-status-codes.xml";
  REQUIRE(std::filesystem::exists(path));
  const auto records = read_registry(path);

  std::size_t classes = 0;
  std::size_t subjects = 0;
  std::size_t details = 0;
  for (const auto& record : records) {
    CAPTURE(record.code, record.title);
    if (record.code.ends_with(".XXX.YYY")) {
      const auto ours = class_title(record.code[0] - '0');
      REQUIRE(ours);
      CHECK(ours->title == record.title);
      ++classes;
    } else if (record.code.ends_with(".YYY")) {
      const auto ours = subject_title(number_at(record.code, 1));
      REQUIRE(ours);
      CHECK(ours->title == record.title);
      ++subjects;
    } else {
      const auto ours = detail_title(number_at(record.code, 1), number_at(record.code, 2));
      REQUIRE(ours);
      CHECK_FALSE(ours->meaning.empty());
      // X.6.10 has an empty title in the registry (a deprecated duplicate of X.6.8).
      if (!record.title.empty()) {
        CHECK(ours->title == record.title);
      }
      ++details;
    }
  }
  CHECK(classes == 3);
  CHECK(subjects == 8);
  CHECK(details >= 80);
  // Nothing in our table that the registry does not list: the table is the registry, not a guess.
  CHECK(registered_details().size() == details);
}

TEST_CASE("lookups in the enhanced code table", "[explain][registry]") {
  CHECK(class_title(5)->title == "Permanent Failure");
  CHECK(class_title(4)->title == "Persistent Transient Failure");
  CHECK_FALSE(class_title(3));
  CHECK(subject_title(7)->title == "Security or Policy Status");
  CHECK_FALSE(subject_title(8));
  CHECK_FALSE(subject_title(-1));
  CHECK(detail_title(7, 26)->title == "Multiple authentication checks failed");
  CHECK(detail_title(1, 10)->title == "Recipient address has null MX");
  SECTION("provider-specific details are not in it") {
    CHECK_FALSE(detail_title(7, 606));
    CHECK_FALSE(detail_title(7, 32));
    CHECK_FALSE(detail_title(1, 11));
  }
}

TEST_CASE("the basic reply codes of RFC 5321 and the AUTH/STARTTLS RFCs", "[explain][registry]") {
  auto code =
      GENERATE(421, 450, 451, 452, 454, 500, 501, 502, 503, 504, 530, 534, 535, 538, 550, 551, 552, 553, 554, 555, 556);
  CAPTURE(code);
  const auto basic = basic_code(code);
  REQUIRE(basic);
  CHECK(basic->code == code);
  CHECK_FALSE(basic->text.empty());
  CHECK_THAT(std::string(basic->reference), Catch::StartsWith("RFC "));
  CHECK_FALSE(basic->meaning.empty());
}

TEST_CASE("unknown basic codes and their class names", "[explain][registry]") {
  CHECK_FALSE(basic_code(599));
  CHECK(basic_code(550)->text == "Requested action not taken: mailbox unavailable");
  CHECK(basic_class_name(599) == "Permanent Negative Completion");
  CHECK(basic_class_name(421) == "Transient Negative Completion");
  CHECK(basic_class_name(354) == "Positive Intermediate");
}
