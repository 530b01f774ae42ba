// Signing and verifying together: round trips for both algorithms and canonicalisations, and
// one case per failure the verifier reports (RFC 6376 6, RFC 8301, RFC 8463).
#include <catch2/catch.hpp>

#include "auth/dkim/sign.hpp"
#include "auth/dkim/verify.hpp"

#include <chrono>
#include <map>
#include <stdexcept>
#include <string>

using namespace maildog::auth::dkim;
using std::chrono::seconds;
using std::chrono::sys_seconds;

namespace {

const std::string message =
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";

constexpr sys_seconds signed_at{seconds{1700000000}};

// Keys are made once per run: RSA generation is the slow part of these tests.
const KeyPair& rsa_key() {
  static const KeyPair pair = generate_keypair(Algorithm::rsa_sha256, 1024);
  return pair;
}
const KeyPair& ed25519_key() {
  static const KeyPair pair = generate_keypair(Algorithm::ed25519_sha256);
  return pair;
}
const KeyPair& key_for(Algorithm algorithm) {
  return algorithm == Algorithm::ed25519_sha256 ? ed25519_key() : rsa_key();
}

// A map-backed key lookup: names are "<selector>._domainkey.<domain>".
KeyLookup lookup_from(std::map<std::string, std::string> records) {
  return [records = std::move(records)](const std::string& name) {
    const auto it = records.find(name);
    if (it == records.end()) {
      return KeyLookupResult{KeyLookupResult::not_found, {}};
    }
    return KeyLookupResult{KeyLookupResult::found, {it->second}};
  };
}

SignOptions options_for(Algorithm algorithm) {
  SignOptions options;
  options.domain = "football.example.com";
  options.selector = "sel";
  options.algorithm = algorithm;
  options.private_key = key_for(algorithm).private_key_pem;
  options.timestamp = signed_at;
  return options;
}

KeyLookup lookup_for(Algorithm algorithm) {
  return lookup_from({{"sel._domainkey.football.example.com", key_for(algorithm).dns_txt}});
}

VerifyOptions at(sys_seconds now) {
  VerifyOptions options;
  options.now = now;
  return options;
}

// The single result of verifying `signed_message`.
VerifyResult only_result(const std::string& signed_message, const KeyLookup& lookup,
                         sys_seconds now = signed_at + seconds{60}) {
  const auto results = verify(signed_message, lookup, at(now));
  REQUIRE(results.size() == 1);
  return results[0];
}

std::string unfolded(std::string field) {
  for (std::size_t at = field.find("\r\n "); at != std::string::npos; at = field.find("\r\n ", at)) {
    field.erase(at, 3);
  }
  return field;
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("sign then verify passes for each algorithm and canonicalisation", "[dkim][sign]") {
  const Algorithm algorithm = GENERATE(Algorithm::rsa_sha256, Algorithm::ed25519_sha256);
  const Canonicalization header = GENERATE(Canonicalization::simple, Canonicalization::relaxed);
  const Canonicalization body = GENERATE(Canonicalization::simple, Canonicalization::relaxed);
  CAPTURE(algorithm_name(algorithm), canonicalization_name(header), canonicalization_name(body));
  SignOptions options = options_for(algorithm);
  options.header_canonicalization = header;
  options.body_canonicalization = body;
  const std::string field = sign(message, options);
  const std::string signed_message = field + message;

  const VerifyResult result = only_result(signed_message, lookup_for(algorithm));
  CHECK(result.status == Status::pass);
  CHECK(result.reason.empty());
  CHECK(result.domain == "football.example.com");
  CHECK(result.selector == "sel");
  CHECK(result.algorithm == algorithm_name(algorithm));
  CHECK(result.identity == "@football.example.com");
  CHECK_FALSE(result.testing);

  SECTION("the field is folded below 78 characters and ends in CRLF") {
    CHECK(field.substr(field.size() - 2) == "\r\n");
    std::size_t start = 0;
    for (std::size_t end = field.find("\r\n"); end != std::string::npos; end = field.find("\r\n", start)) {
      CHECK(end - start <= 78);
      start = end + 2;
    }
  }
  SECTION("a changed header byte fails the signature") {
    const auto tampered = replaced(signed_message, "Subject: Is dinner", "Subject: Is lunch");
    const VerifyResult failed = only_result(tampered, lookup_for(algorithm));
    CHECK(failed.status == Status::fail);
    CHECK(failed.reason == "signature did not verify");
  }
  SECTION("a changed body byte fails the body hash") {
    const auto tampered = replaced(signed_message, "We lost", "We won!");
    const VerifyResult failed = only_result(tampered, lookup_for(algorithm));
    CHECK(failed.status == Status::fail);
    CHECK(failed.reason == "body hash did not verify");
  }
  SECTION("bare LF line ends verify like CRLF") {
    std::string lf = signed_message;
    for (std::size_t at = lf.find("\r\n"); at != std::string::npos; at = lf.find("\r\n", at)) {
      lf.erase(at, 1);
    }
    CHECK(only_result(lf, lookup_for(algorithm)).status == Status::pass);
  }
}

TEST_CASE("Ed25519 keys are accepted as seed, secret key, base64 or PEM and sign alike", "[dkim][sign]") {
  // RFC 8032 7.1 TEST 1 (also RFC 8463 A.1): seed and public key.
  const std::string seed_b64 = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
  const std::string public_b64 = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
  const std::string seed = *decode_base64(seed_b64);
  const std::string pem =
      "-----BEGIN PRIVATE KEY-----\n"
      "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
      "-----END PRIVATE KEY-----\n";
  SignOptions options = options_for(Algorithm::ed25519_sha256);
  options.private_key = seed;
  const std::string from_seed = sign(message, options);
  options.private_key = seed + *decode_base64(public_b64);
  CHECK(sign(message, options) == from_seed);
  options.private_key = seed_b64 + "\n";
  CHECK(sign(message, options) == from_seed);
  options.private_key = pem;
  CHECK(sign(message, options) == from_seed);
  const auto lookup = lookup_from({{"sel._domainkey.football.example.com", "v=DKIM1; k=ed25519; p=" + public_b64}});
  CHECK(only_result(from_seed + message, lookup).status == Status::pass);
}

TEST_CASE("l= lets appended content pass; without it the body hash fails", "[dkim][verify]") {
  SignOptions options = options_for(Algorithm::rsa_sha256);
  options.body_length = true;
  const std::string with_length = sign(message, options);
  CHECK(with_length.find(" l=") != std::string::npos);
  const std::string appended = message + "P.S. appended by a mailing list\r\n";
  CHECK(only_result(with_length + appended, lookup_for(Algorithm::rsa_sha256)).status == Status::pass);

  options.body_length = false;
  const VerifyResult without = only_result(sign(message, options) + appended, lookup_for(Algorithm::rsa_sha256));
  CHECK(without.status == Status::fail);
  CHECK(without.reason == "body hash did not verify");

  SECTION("a body shorter than l= fails") {
    const auto truncated = replaced(with_length + message, "Joe.\r\n", "");
    const VerifyResult failed = only_result(truncated, lookup_for(Algorithm::rsa_sha256));
    CHECK(failed.status == Status::fail);
    CHECK(failed.reason == "body is shorter than l=");
  }
}

TEST_CASE("over-signing makes added header fields break the signature", "[dkim][verify]") {
  SignOptions options = options_for(Algorithm::ed25519_sha256);
  options.headers = {"from", "subject", "reply-to"};
  const auto lookup = lookup_for(Algorithm::ed25519_sha256);
  const std::string added = "Reply-To: attacker@evil.example\r\nSubject: Second subject\r\n";

  options.over_sign = false;
  const std::string plain = sign(message, options);
  CHECK(unfolded(plain).find("h=from:subject;") != std::string::npos);
  // Without over-signing, a new Reply-To is not covered and a Subject added on top is never
  // selected (selection is bottom-up), so the signature still passes.
  CHECK(only_result(plain + added + message, lookup).status == Status::pass);

  options.over_sign = true;
  const std::string over = sign(message, options);
  CHECK(unfolded(over).find("h=from:from:subject:subject:reply-to;") != std::string::npos);
  CHECK(only_result(over + message, lookup).status == Status::pass);
  const VerifyResult failed = only_result(over + "Reply-To: attacker@evil.example\r\n" + message, lookup);
  CHECK(failed.status == Status::fail);
  CHECK(failed.reason == "signature did not verify");
  CHECK(only_result(over + "Subject: Second subject\r\n" + message, lookup).status == Status::fail);
}

TEST_CASE("verifier failures: one reason each", "[dkim][verify]") {
  const auto rsa_lookup = lookup_for(Algorithm::rsa_sha256);
  SignOptions options = options_for(Algorithm::rsa_sha256);

  SECTION("x= in the past: policy, signature expired") {
    options.expiration = signed_at + seconds{3600};
    const std::string signed_message = sign(message, options) + message;
    CHECK(only_result(signed_message, rsa_lookup, signed_at + seconds{3600}).status == Status::pass);
    const VerifyResult expired = only_result(signed_message, rsa_lookup, signed_at + seconds{3601});
    CHECK(expired.status == Status::policy);
    CHECK(expired.reason == "signature expired");
  }
  SECTION("an empty p= is a revoked key") {
    const auto revoked = lookup_from({{"sel._domainkey.football.example.com", "v=DKIM1; k=rsa; p="}});
    const VerifyResult result = only_result(sign(message, options) + message, revoked);
    CHECK(result.status == Status::permerror);
    CHECK(result.reason == "key revoked");
  }
  SECTION("rsa-sha1 is refused (RFC 8301)") {
    const auto sha1 = replaced(sign(message, options) + message, "a=rsa-sha256", "a=rsa-sha1");
    const VerifyResult result = only_result(sha1, rsa_lookup);
    CHECK(result.status == Status::fail);
    CHECK(result.reason == "rsa-sha1 is not accepted (RFC 8301)");
    CHECK(result.algorithm == "rsa-sha1");
  }
  SECTION("a 512-bit RSA key is refused (RFC 8301)") {
    const KeyPair small = generate_keypair(Algorithm::rsa_sha256, 512);
    options.private_key = small.private_key_pem;
    const auto lookup = lookup_from({{"sel._domainkey.football.example.com", small.dns_txt}});
    const VerifyResult result = only_result(sign(message, options) + message, lookup);
    CHECK(result.status == Status::fail);
    CHECK(result.reason == "RSA key of 512 bits is below 1024 (RFC 8301)");
  }
  SECTION("no key record: permerror; a DNS timeout: temperror") {
    const std::string signed_message = sign(message, options) + message;
    const VerifyResult missing = only_result(signed_message, lookup_from({}));
    CHECK(missing.status == Status::permerror);
    CHECK(missing.reason == "no key for signature");
    const KeyLookup timeout = [](const std::string&) { return KeyLookupResult{KeyLookupResult::temp_error, {}}; };
    const VerifyResult temporary = only_result(signed_message, timeout);
    CHECK(temporary.status == Status::temperror);
    CHECK(temporary.reason == "key unavailable (DNS temporary failure)");
  }
  SECTION("key record restrictions") {
    const std::string signed_message = sign(message, options) + message;
    const std::string p = rsa_key().dns_txt.substr(rsa_key().dns_txt.find("p="));
    const auto result_with = [&](const std::string& record) {
      return only_result(signed_message, lookup_from({{"sel._domainkey.football.example.com", record}}));
    };
    const VerifyResult testing = result_with("v=DKIM1; t=y; " + p);
    CHECK(testing.status == Status::pass);
    CHECK(testing.testing);
    CHECK(result_with("v=DKIM1; k=ed25519; " + p).reason == "inappropriate key algorithm: k=ed25519 for a=rsa-sha256");
    CHECK(result_with("v=DKIM1; h=sha1; " + p).reason == "inappropriate hash algorithm: key h= does not allow sha256");
    CHECK(result_with("v=DKIM1; s=tlsrpt; " + p).reason == "key is not for email (s=)");
    CHECK(result_with("v=DKIM1; p=AAAA").reason == "public key could not be decoded");
    CHECK(result_with("v=DKIM1; p=AAAA").status == Status::permerror);
    CHECK(result_with("v=DKIM2; " + p).reason == "key syntax error: unsupported key record version v=DKIM2");
  }
  SECTION("t=s refuses an i= in a subdomain of d=") {
    options.identity = "joe@mail.football.example.com";
    const std::string signed_message = sign(message, options) + message;
    const std::string strict = rsa_key().dns_txt + "; t=s";
    const VerifyResult result =
        only_result(signed_message, lookup_from({{"sel._domainkey.football.example.com", strict}}));
    CHECK(result.status == Status::permerror);
    CHECK(result.reason == "key has t=s but the i= domain is not d=");
    CHECK(only_result(signed_message, rsa_lookup).status == Status::pass);
  }
  SECTION("a signature that does not parse is a permerror that still names d= and s=") {
    const auto broken = replaced(sign(message, options) + message, "v=1;", "v=1; h=to;");
    const VerifyResult result = only_result(broken, rsa_lookup);
    CHECK(result.status == Status::permerror);
    CHECK(result.reason == "signature syntax error: duplicate tag \"h\"");
    CHECK(result.domain == "football.example.com");
    CHECK(result.selector == "sel");
  }
}

TEST_CASE("one result per signature, top to bottom; none for an unsigned message", "[dkim][verify]") {
  CHECK(verify(message, lookup_from({})).empty());
  const std::string first = sign(message, options_for(Algorithm::ed25519_sha256));
  const std::string second = sign(first + message, options_for(Algorithm::rsa_sha256));
  const std::map<std::string, std::string> records{{"sel._domainkey.football.example.com", ed25519_key().dns_txt}};
  const auto results = verify(second + first + message, lookup_from(records), at(signed_at));
  REQUIRE(results.size() == 2);
  // The RSA signature is first in the message; its key lookup finds the Ed25519 record.
  CHECK(results[0].algorithm == "rsa-sha256");
  CHECK(results[0].status == Status::permerror);
  CHECK(results[1].algorithm == "ed25519-sha256");
  CHECK(results[1].status == Status::pass);

  SECTION("signatures past the limit are not checked") {
    VerifyOptions options = at(signed_at);
    options.max_signatures = 1;
    const auto limited = verify(second + first + message, lookup_from(records), options);
    REQUIRE(limited.size() == 2);
    CHECK(limited[1].status == Status::permerror);
    CHECK(limited[1].reason == "not checked: more than 1 signatures");
    CHECK(limited[1].domain == "football.example.com");
  }
}

TEST_CASE("signing refuses what it cannot do", "[dkim][sign]") {
  SignOptions options = options_for(Algorithm::rsa_sha256);
  CHECK_THROWS_AS(sign("To: someone@example.com\r\n\r\nbody\r\n", options), std::invalid_argument);
  options.algorithm = Algorithm::rsa_sha1;
  CHECK_THROWS_AS(sign(message, options), std::invalid_argument);
  options = options_for(Algorithm::rsa_sha256);
  options.private_key = ed25519_key().private_key_pem;
  CHECK_THROWS_AS(sign(message, options), std::invalid_argument);
  options = options_for(Algorithm::ed25519_sha256);
  options.private_key = "too short";
  CHECK_THROWS_AS(sign(message, options), std::invalid_argument);
  options = options_for(Algorithm::rsa_sha256);
  options.domain = "bad domain";
  CHECK_THROWS_AS(sign(message, options), std::invalid_argument);
  options = options_for(Algorithm::rsa_sha256);
  options.identity = "joe@elsewhere.example";
  CHECK_THROWS_AS(sign(message, options), std::invalid_argument);
}

TEST_CASE("generated key records parse and name their key type", "[dkim][sign]") {
  CHECK(rsa_key().dns_txt.rfind("v=DKIM1; k=rsa; p=MI", 0) == 0);
  CHECK(ed25519_key().dns_txt.rfind("v=DKIM1; k=ed25519; p=", 0) == 0);
  CHECK(ed25519_key().dns_txt.size() == std::string("v=DKIM1; k=ed25519; p=").size() + 44);
  CHECK(rsa_key().private_key_pem.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
}
