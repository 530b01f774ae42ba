// Sendmail's transcript read for the stage (explain::transcript_stage), the one reading that
// `explain` and `new --from` share: the last ">>> " command before the first refusing "<<< ".
#include <catch2/catch.hpp>

#include "explain/bounce_facts.hpp"

using namespace maildog::explain;

namespace {

std::string stage_of(std::string_view transcript) {
  const auto found = transcript_stage(text::split_lines(transcript));
  return found ? found->stage : std::string("(none)");
}

}  // namespace

TEST_CASE("transcript_stage names the verb of the last command before the refusal", "[explain]") {
  CHECK(stage_of(">>> RCPT To:<a@b.example>\n<<< 550 5.1.1 No such user") == "RCPT TO");
  // The address must not decide: a sender named rcpt@ is still refused at MAIL.
  CHECK(stage_of(">>> MAIL From:<rcpt@b.example>\n<<< 553 5.1.8 Domain of sender does not exist") == "MAIL FROM");
  // Indented lines, and a "<<< 250" between the command and the refusal of a later one.
  CHECK(stage_of("  >>> MAIL From:<s@x.example>\n  <<< 250 ok\n  >>> DATA\n  <<< 554 5.7.1 No") == "DATA");
  CHECK(stage_of(">>> .\n<<< 554 5.7.1 Message refused") == "end of DATA");
  CHECK(stage_of("<<< 554 5.7.1 Refused\n>>> RCPT To:<a@b>") == "(none)");
  CHECK(stage_of(">>> QUIT\n<<< 421 4.3.2 Bye") == "(none)");
}

TEST_CASE("transcript_stage quotes the command line as evidence", "[explain]") {
  const auto found = transcript_stage(text::split_lines(">>> RCPT To:<a@b.example>\n<<< 550 No"));
  REQUIRE(found);
  CHECK(found->command_line == ">>> RCPT To:<a@b.example>");
}
