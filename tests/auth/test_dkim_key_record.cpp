// DKIM key records (RFC 6376 3.6.1, RFC 8463 4).
#include <catch2/catch.hpp>

#include "auth/dkim/key_record.hpp"

#include <string>

using maildog::auth::dkim::KeyRecord;
using maildog::auth::dkim::KeyRecordError;
using maildog::auth::dkim::KeyType;
using maildog::auth::dkim::parse_key_record;

namespace {

KeyRecord parsed(const std::string& txt) {
  const auto result = parse_key_record(txt);
  if (const auto* failure = std::get_if<KeyRecordError>(&result)) {
    FAIL("unexpected KeyRecordError: " << failure->message);
  }
  return std::get<KeyRecord>(result);
}

std::string error_of(const std::string& txt) {
  const auto result = parse_key_record(txt);
  const auto* failure = std::get_if<KeyRecordError>(&result);
  return failure != nullptr ? failure->message : "(accepted)";
}

}  // namespace

TEST_CASE("key records: defaults and every tag", "[dkim][key]") {
  SECTION("only p=: k=rsa, any hash, any service, no flags") {
    const KeyRecord key = parsed("p=YWJj");
    CHECK(key.key_type == KeyType::rsa);
    CHECK(key.public_key == "abc");
    CHECK(key.accepts_hash("sha256"));
    CHECK(key.is_for_email());
    CHECK_FALSE(key.testing);
    CHECK_FALSE(key.strict_identity);
    CHECK_FALSE(key.revoked());
  }
  SECTION("all tags, base64 with whitespace, unknown tags and flags ignored") {
    const KeyRecord key = parsed(
        "v=DKIM1; k=ed25519; h=sha1 : SHA256; n=a note; s=email:tlsrpt; t=y:s:q; "
        "g=*; p=YW\r\n Jj");
    CHECK(key.key_type == KeyType::ed25519);
    CHECK(key.public_key == "abc");
    CHECK(key.accepts_hash("sha256"));
    CHECK(key.notes == "a note");
    CHECK(key.is_for_email());
    CHECK(key.testing);
    CHECK(key.strict_identity);
  }
  SECTION("h= without sha256 and s= without email") {
    const KeyRecord key = parsed("h=sha1; s=tlsrpt; p=YWJj");
    CHECK_FALSE(key.accepts_hash("sha256"));
    CHECK_FALSE(key.is_for_email());
  }
  SECTION("an empty p= means revoked") {
    CHECK(parsed("v=DKIM1; p=").revoked());
    CHECK(parsed("v=DKIM1; k=rsa; p= ;").revoked());
  }
}

TEST_CASE("key records: errors", "[dkim][key]") {
  CHECK(error_of("k=rsa; v=DKIM1; p=YWJj") == "v= must be the first tag");
  CHECK(error_of("v=DKIM2; p=YWJj") == "unsupported key record version v=DKIM2");
  CHECK(error_of("v=DKIM1: g=*; k=rsa; p=YWJj") == "unsupported key record version v=DKIM1: g=*");
  CHECK(error_of("v=DKIM1; k=ed25519-sha256; p=YWJj") == "unknown key type k=ed25519-sha256");
  CHECK(error_of("v=DKIM1; k=rsa") == "missing required tag p=");
  CHECK(error_of("v=DKIM1; p=#nope#") == "p= is not valid base64");
  CHECK(error_of("v=DKIM1; p=YWJj; p=YWJj") == "duplicate tag \"p\"");
}
