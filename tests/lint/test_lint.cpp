#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "lint/lint.hpp"

using maildog::lint::Envelope;
using maildog::lint::Finding;
using maildog::lint::Kind;
using maildog::lint::lint_envelope;
using maildog::lint::lint_message;

namespace {

constexpr const char* k_date = "Date: Sun, 29 Nov 2026 10:00:00 +0000\r\n";
constexpr const char* k_from = "From: App <app@yourdomain.test>\r\n";
constexpr const char* k_message_id = "Message-ID: <1@yourdomain.test>\r\n";
constexpr const char* k_rest = "To: user@inbox.test\r\nSubject: Reset\r\n";

// A message with every required field (lines 1-5), a blank line 6, then `body` from line 7.
std::string message(const std::string& body = "Hello\r\n") {
  return std::string(k_date) + k_from + k_message_id + k_rest + "\r\n" + body;
}

// What the sandbox knows for a plain 7-bit session.
Envelope seven_bit() {
  Envelope envelope;
  envelope.eight_bit_mime = false;
  envelope.smtputf8 = false;
  envelope.mail_from = "app@yourdomain.test";
  envelope.recipients = {"user@inbox.test"};
  return envelope;
}

std::vector<std::string> names(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& finding : findings) {
    out.emplace_back(finding.name());
  }
  return out;
}

std::optional<Finding> find(const std::vector<Finding>& findings, Kind kind) {
  auto found = std::find_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.kind == kind; });
  return found == findings.end() ? std::nullopt : std::optional<Finding>(*found);
}

}  // namespace

TEST_CASE("a well-formed 7-bit message has no findings", "[lint]") {
  CHECK(lint_message(message(), seven_bit()).empty());
  CHECK(lint_message(message(), Envelope{}).empty());
}

TEST_CASE("bare_lf: lines ended by LF without CR", "[lint]") {
  SECTION("found, counted, first line and its end shown") {
    const auto findings = lint_message(message("one\r\ntwo\nthree\n"), seven_bit());
    auto bare = find(findings, Kind::bare_lf);
    REQUIRE(bare);
    CHECK(bare->line == 8);
    CHECK_THAT(bare->message, Catch::StartsWith("2 lines end in LF without CR"));
    CHECK(bare->excerpt == "two\\n");
  }
  SECTION("CRLF everywhere is no finding") {
    CHECK_FALSE(find(lint_message(message("one\r\ntwo\r\n"), seven_bit()), Kind::bare_lf));
  }
}

TEST_CASE("bare_cr: CR not followed by LF", "[lint]") {
  SECTION("inside a line, and right before a CRLF") {
    const auto findings = lint_message(message("ok\r\nab\rcd\r\nx\r\r\n"), seven_bit());
    auto bare = find(findings, Kind::bare_cr);
    REQUIRE(bare);
    CHECK(bare->line == 8);
    CHECK_THAT(bare->message, Catch::StartsWith("2 CRs are not followed by LF"));
    CHECK(bare->excerpt == "ab\\rcd");
    CHECK_FALSE(find(findings, Kind::bare_lf));
  }
  SECTION("a CR that ends a CRLF is no finding") {
    CHECK_FALSE(find(lint_message(message("ab\r\ncd\r\n"), seven_bit()), Kind::bare_cr));
  }
}

TEST_CASE("long_lines: over 998 octets, the line ending not counted", "[lint]") {
  SECTION("999 octets is one too many") {
    const auto findings = lint_message(message("short\r\n" + std::string(999, 'x') + "\r\n"), seven_bit());
    auto long_line = find(findings, Kind::long_lines);
    REQUIRE(long_line);
    CHECK(long_line->line == 8);
    CHECK_THAT(long_line->message, Catch::Contains("1 line is over 998 octets") && Catch::Contains("longest 999"));
    CHECK(long_line->excerpt == std::string(maildog::lint::k_excerpt_max, 'x') + "...");
  }
  SECTION("998 octets and CRLF is within the limit") {
    CHECK(lint_message(message(std::string(998, 'x') + "\r\n"), seven_bit()).empty());
  }
  SECTION("the longest of several is reported") {
    const auto findings =
        lint_message(message(std::string(1000, 'a') + "\r\n" + std::string(1500, 'b') + "\r\n"), seven_bit());
    auto long_line = find(findings, Kind::long_lines);
    REQUIRE(long_line);
    CHECK(long_line->line == 7);
    CHECK_THAT(long_line->message, Catch::Contains("2 lines are over") && Catch::Contains("longest 1500"));
  }
}

TEST_CASE("smuggling_eod: end-of-data look-alikes other than CRLF.CRLF", "[lint]") {
  struct Case {
    std::string body;
    std::string sequence;
    std::size_t line;
  };
  const auto [body, sequence, line] = GENERATE(values<Case>({
      {"one\n.\nMAIL FROM:<evil@x.test>\r\n", "<LF>.<LF>", 8},
      {"one\n.\r\nMAIL FROM:<evil@x.test>\r\n", "<LF>.<CR><LF>", 8},
      {"one\r.\rMAIL FROM:<evil@x.test>\r\n", "<CR>.<CR>", 7},
      {"one\r.\r\nMAIL FROM:<evil@x.test>\r\n", "<CR>.<CR><LF>", 7},
  }));
  CAPTURE(body);
  const auto findings = lint_message(message(body), seven_bit());
  auto smuggling = find(findings, Kind::smuggling_eod);
  REQUIRE(smuggling);
  CHECK_THAT(smuggling->message, Catch::StartsWith(sequence + " in the data"));
  CHECK(smuggling->line == line);
  CHECK_THAT(smuggling->excerpt, Catch::Contains("one"));
}

TEST_CASE("smuggling_eod: what the decoder saw and the bytes no longer show", "[lint]") {
  // The decoder removed the dot of CRLF "." LF as stuffing: the kept line 7 is just LF.
  Envelope envelope = seven_bit();
  envelope.smuggling_line = 7;
  SECTION("a line that starts with LF was <CR><LF>.<LF>") {
    auto smuggling = find(lint_message(message("\nMAIL FROM:<evil@x.test>\r\n"), envelope), Kind::smuggling_eod);
    REQUIRE(smuggling);
    CHECK(smuggling->line == 7);
    CHECK_THAT(smuggling->message, Catch::StartsWith("<CR><LF>.<LF> in the data"));
  }
  SECTION("a line that starts with CR was <CR><LF>.<CR>") {
    auto smuggling = find(lint_message(message("\rMAIL FROM:<evil@x.test>\r\n"), envelope), Kind::smuggling_eod);
    REQUIRE(smuggling);
    CHECK_THAT(smuggling->message, Catch::StartsWith("<CR><LF>.<CR> in the data"));
  }
  SECTION("the earlier of the decoder's and the bytes' look-alike is the one reported") {
    envelope.smuggling_line = 9;
    auto smuggling = find(lint_message(message("a\n.\nb\r\n\rc\r\n"), envelope), Kind::smuggling_eod);
    REQUIRE(smuggling);
    CHECK(smuggling->line == 8);
    CHECK_THAT(smuggling->message, Catch::StartsWith("<LF>.<LF>"));
  }
}

TEST_CASE("smuggling_eod: dot lines that are no look-alike", "[lint]") {
  // "\r\n.\r\n" and "\r\n.\n" in kept bytes were dot-stuffed on the wire ("..").
  const std::string body =
      GENERATE(as<std::string>{}, "a\r\n.\r\nb\r\n", "a\r\n.\nb\r\n", "a\n.x\r\n", "a\r.b\r\n", "a\n.");
  CAPTURE(body);
  CHECK_FALSE(find(lint_message(message(body), seven_bit()), Kind::smuggling_eod));
}

TEST_CASE("eight_bit_without_8bitmime: 8-bit octets need BODY=8BITMIME", "[lint]") {
  const std::string body = "plain\r\ncaf\xC3\xA9\r\n";
  SECTION("without it") {
    auto eight_bit = find(lint_message(message(body), seven_bit()), Kind::eight_bit_without_8bitmime);
    REQUIRE(eight_bit);
    CHECK(eight_bit->line == 8);
    CHECK(eight_bit->excerpt == "caf\\xC3\\xA9");
  }
  SECTION("with BODY=8BITMIME, with SMTPUTF8, or when unknown") {
    Envelope declared = seven_bit();
    declared.eight_bit_mime = true;
    CHECK(lint_message(message(body), declared).empty());
    Envelope utf8 = seven_bit();
    utf8.smtputf8 = true;
    CHECK(lint_message(message(body), utf8).empty());
    CHECK(lint_message(message(body), Envelope{}).empty());
  }
}

TEST_CASE("utf8_without_smtputf8: non-ASCII addresses need SMTPUTF8", "[lint]") {
  SECTION("in the envelope: line 0") {
    Envelope envelope = seven_bit();
    envelope.recipients.push_back("us\xC3\xA9r@inbox.test");
    auto utf8 = find(lint_message(message(), envelope), Kind::utf8_without_smtputf8);
    REQUIRE(utf8);
    CHECK(utf8->line == 0);
    CHECK(utf8->excerpt == "RCPT TO:<us\\xC3\\xA9r@inbox.test>");
  }
  SECTION("in an address header: its line") {
    Envelope envelope = seven_bit();
    envelope.eight_bit_mime = true;
    const std::string text = std::string(k_date) + k_from + k_message_id + "Cc: us\xC3\xA9r@inbox.test\r\n\r\nhi\r\n";
    auto utf8 = find(lint_message(text, envelope), Kind::utf8_without_smtputf8);
    REQUIRE(utf8);
    CHECK(utf8->line == 4);
    CHECK_THAT(utf8->message, Catch::StartsWith("1 header address is not ASCII"));
  }
  SECTION("a non-ASCII display name, SMTPUTF8 declared, or unknown: none") {
    Envelope envelope = seven_bit();
    envelope.eight_bit_mime = true;
    const std::string named =
        std::string(k_date) + "From: Jos\xC3\xA9 <jose@yourdomain.test>\r\n" + k_message_id + "\r\nhi\r\n";
    CHECK(lint_message(named, envelope).empty());
    Envelope utf8 = seven_bit();
    utf8.smtputf8 = true;
    utf8.mail_from = "jos\xC3\xA9@yourdomain.test";
    CHECK(lint_message(message(), utf8).empty());
    Envelope unknown;
    unknown.mail_from = utf8.mail_from;
    CHECK(lint_message(message(), unknown).empty());
  }
}

TEST_CASE("missing_date, missing_message_id, missing_from", "[lint]") {
  SECTION("each absent field is one finding on line 0") {
    const auto findings = lint_message(std::string(k_rest) + "\r\nhi\r\n", seven_bit());
    CHECK(names(findings) == std::vector<std::string>{"missing_date", "missing_message_id", "missing_from"});
    for (const auto& finding : findings) {
      CHECK(finding.line == 0);
    }
  }
  SECTION("names compare without case; a field in the body does not count") {
    const std::string lower = "date: x\r\nfrom: a@b.test\r\nmessage-id: <1@b.test>\r\n\r\nhi\r\n";
    CHECK(lint_message(lower, seven_bit()).empty());
    const std::string in_body = "From: a@b.test\r\n\r\nDate: x\r\nMessage-ID: <1@b.test>\r\n";
    CHECK(names(lint_message(in_body, seven_bit())) == std::vector<std::string>{"missing_date", "missing_message_id"});
  }
  SECTION("a message without a blank line still has its header section") {
    CHECK(lint_message("Date: x\r\nFrom: a@b.test\r\nMessage-ID: <1@b.test>\r\n", seven_bit()).empty());
  }
}

TEST_CASE("duplicate_header: fields RFC 5322 allows once", "[lint]") {
  SECTION("found at the second occurrence, every repeated name listed") {
    const std::string doubled = std::string(k_date) + k_from + k_message_id + k_rest + "subject: again\r\n" + k_date +
                                "Received: one\r\nReceived: two\r\n\r\nhi\r\n";
    auto duplicate = find(lint_message(doubled, seven_bit()), Kind::duplicate_header);
    REQUIRE(duplicate);
    CHECK(duplicate->line == 6);
    CHECK_THAT(duplicate->message, Catch::EndsWith("Date 2 times, Subject 2 times"));
    CHECK(duplicate->excerpt == "subject: again");
  }
  SECTION("repeatable fields such as Received are no finding") {
    const std::string text = "Received: one\r\nReceived: two\r\n" + message();
    CHECK(lint_message(text, seven_bit()).empty());
  }
}

TEST_CASE("from_without_domain: a From address needs @domain", "[lint]") {
  auto with_from = [](const std::string& from) {
    return std::string(k_date) + "From: " + from + "\r\n" + k_message_id + "\r\nhi\r\n";
  };
  SECTION("found") {
    const std::string from = GENERATE(as<std::string>{}, "noreply", "App <noreply>", "a@b.test, nobody", "\"a@b.test\"",
                                      "noreply@", "undisclosed:;");
    CAPTURE(from);
    auto finding = find(lint_message(with_from(from), seven_bit()), Kind::from_without_domain);
    REQUIRE(finding);
    CHECK(finding->line == 2);
    CHECK_THAT(finding->excerpt, Catch::StartsWith("From: "));
  }
  SECTION("not found") {
    const std::string from = GENERATE(as<std::string>{}, "a@b.test", "App <a@b.test>", "\"Doe, J\" <j@b.test>",
                                      "a@b.test (App, Inc.)", "\"odd@local\"@b.test");
    CAPTURE(from);
    CHECK(lint_message(with_from(from), seven_bit()).empty());
  }
}

TEST_CASE("header_too_large: a header section over 32 KiB", "[lint]") {
  // A folded References field: no line over 998 octets, so only the size is a finding.
  auto with_references = [](std::size_t ids) {
    std::string references = "References:";
    for (std::size_t i = 0; i < ids; ++i) {
      references += " <" + std::string(60, 'r') + std::to_string(i) + "@yourdomain.test>\r\n";
    }
    return std::string(k_date) + k_from + k_message_id + references + "\r\nhi\r\n";
  };
  SECTION("over: the largest field named at its line") {
    const auto findings = lint_message(with_references(500), seven_bit());
    CHECK(names(findings) == std::vector<std::string>{"header_too_large"});
    auto large = find(findings, Kind::header_too_large);
    REQUIRE(large);
    CHECK(large->line == 4);
    CHECK_THAT(large->message, Catch::Contains("over the 32768") && Catch::Contains("largest field is References"));
  }
  SECTION("under") { CHECK(lint_message(with_references(300), seven_bit()).empty()); }
}

TEST_CASE("findings come one per kind, in the order of the kinds", "[lint]") {
  const std::string text = "To: a@b.test\nTo: c@d.test\r\n\r\n" + std::string(1200, 'x') + "\n";
  CHECK(names(lint_message(text, seven_bit())) == std::vector<std::string>{"bare_lf", "long_lines", "missing_date",
                                                                           "missing_message_id", "missing_from",
                                                                           "duplicate_header"});
}

TEST_CASE("lint_envelope: a transaction whose message was not kept", "[lint]") {
  SECTION("what the decoder saw, and the envelope") {
    Envelope envelope = seven_bit();
    envelope.bare_lf = true;
    envelope.smuggling_line = 12;
    envelope.mail_from = "jos\xC3\xA9@yourdomain.test";
    const auto findings = lint_envelope(envelope);
    CHECK(names(findings) == std::vector<std::string>{"bare_lf", "smuggling_eod", "utf8_without_smtputf8"});
    CHECK(findings[0].line == 0);
    CHECK(findings[1].line == 12);
  }
  SECTION("a clean envelope: nothing, not even missing fields") { CHECK(lint_envelope(seven_bit()).empty()); }
}

TEST_CASE("excerpts are escaped and bounded", "[lint]") {
  using maildog::lint::excerpt;
  using maildog::lint::excerpt_around;
  CHECK(excerpt("a\tb\\c\x01\x7F\xFF\r\n") == "a\\tb\\\\c\\x01\\x7F\\xFF\\r\\n");
  CHECK(excerpt(std::string(61, 'x')) == std::string(60, 'x') + "...");
  const std::string text = std::string(100, 'a') + "!" + std::string(100, 'b');
  const std::string around = excerpt_around(text, 100);
  CHECK(around == "..." + std::string(30, 'a') + "!" + std::string(29, 'b') + "...");
  CHECK(excerpt_around("short", 2) == "short");
}
