#include <catch2/catch.hpp>

#include "record/recording.hpp"
#include "record/redact.hpp"

using namespace maildog::record;

TEST_CASE("AUTH's initial response never reaches the recording", "[record]") {
  CHECK(redacted_auth_command("AUTH PLAIN AGFwcABzM2NyZXQ=") == "AUTH PLAIN ***");
  CHECK(redacted_auth_command("auth login YXBw") == "auth login ***");
  CHECK(redacted_auth_command("AUTH LOGIN") == "AUTH LOGIN");
  CHECK(redacted_auth_command("AUTH CRAM-MD5 ") == "AUTH CRAM-MD5");
  CHECK(redacted_auth_command("AUTH") == "AUTH");
  // Extra spaces do not let a credential slip through.
  CHECK(redacted_auth_command("AUTH  PLAIN   AGFwcABzM2NyZXQ=") == "AUTH  PLAIN ***");
}

TEST_CASE("SASL continuation lines become *** and the cancel stays visible", "[record]") {
  CHECK(redacted_sasl_line("czNjcmV0") == "***");
  CHECK(redacted_sasl_line("") == "***");
  CHECK(redacted_sasl_line("*") == "*");
}

TEST_CASE("the stage and address of an app's command", "[record]") {
  CHECK(stage_of_command("MAIL FROM:<a@x.test> SIZE=10") == "mail");
  CHECK(stage_of_command("rcpt TO:<b@x.test>") == "rcpt");
  CHECK(stage_of_command("EHLO app.test") == "ehlo");
  CHECK(stage_of_command("XCLIENT foo") == "other");
  CHECK(path_argument("MAIL FROM:<a@x.test> SIZE=10") == "a@x.test");
  CHECK(path_argument("MAIL FROM:<>") == "");
  CHECK(path_argument("RCPT TO:b@x.test NOTIFY=NEVER") == "b@x.test");
}
