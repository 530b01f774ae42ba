// Third-party DKIM vectors from /work/shared/conformance (see its SOURCES.md): RFC 8463 A,
// dkimpy, MimeKit, authheaders and Stalwart. Files are LF; verify() reads bare LF as CRLF.
#include <catch2/catch.hpp>

#include "auth/dkim/canonicalize.hpp"
#include "auth/dkim/sign.hpp"
#include "auth/dkim/verify.hpp"
#include "support/paths.hpp"
#include "support/skip.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace maildog::auth::dkim;
using std::chrono::seconds;
using std::chrono::sys_seconds;

namespace {

namespace fs = std::filesystem;

std::optional<fs::path> data_dir() {
  auto dir = maildog::test::conformance_dir();
  if (!dir) {
    maildog::test::skip_test("no conformance data (MAILDOG_CONFORMANCE_DIR): the DKIM vectors");
  }
  return dir;
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string trimmed(std::string text) {
  const auto last = text.find_last_not_of(" \t\r\n");
  text.erase(last == std::string::npos ? 0 : last + 1);
  return text;
}

using Zone = std::map<std::string, std::string>;

KeyLookup lookup_from(Zone zone) {
  return [zone = std::move(zone)](const std::string& name) {
    const auto it = zone.find(name);
    if (it == zone.end()) {
      return KeyLookupResult{KeyLookupResult::not_found, {}};
    }
    return KeyLookupResult{KeyLookupResult::found, {it->second}};
  };
}

// The TXT value of `name` in zone-file text such as RFC 8463 A.2 or MimeKit's example.bind9:
// `name. IN TXT ( "part" "part" )`, the quoted parts joined.
std::string zone_file_txt(const std::string& text, const std::string& name) {
  const std::size_t at = text.find(name + ". IN TXT (");
  REQUIRE(at != std::string::npos);
  const std::size_t close = text.find(')', at);
  std::string value;
  for (std::size_t open = text.find('"', at); open < close; open = text.find('"', open)) {
    const std::size_t end = text.find('"', open + 1);
    value += text.substr(open + 1, end - open - 1);
    open = end + 1;
  }
  return value;
}

// The base64 body of a PEM block in `text`, e.g. the SubjectPublicKeyInfo of MimeKit's gmail.pub.
std::string pem_base64(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  std::string out;
  while (std::getline(lines, line)) {
    line = trimmed(line);
    if (line.rfind("-----", 0) != 0) {
      out += line;
    }
  }
  return out;
}

// The indented PEM block of RFC 8463 A.1, de-indented.
std::string rfc_pem(const std::string& text, const std::string& label) {
  const std::size_t begin = text.find("-----BEGIN " + label + "-----");
  const std::size_t end = text.find("-----END " + label + "-----");
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  std::istringstream lines(text.substr(begin, end - begin));
  std::string line;
  std::string pem;
  while (std::getline(lines, line)) {
    const std::size_t text_start = line.find_first_not_of(' ');
    if (text_start != std::string::npos) {
      pem += line.substr(text_start) + "\n";
    }
  }
  return pem + "-----END " + label + "-----\n";
}

struct Expected {
  Status status;
  std::string domain;
  std::string selector;
  std::string reason;
};

void check_results(const std::vector<VerifyResult>& results, const std::vector<Expected>& expected) {
  REQUIRE(results.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i, results[i].reason);
    CHECK(status_name(results[i].status) == status_name(expected[i].status));
    CHECK(results[i].domain == expected[i].domain);
    CHECK(results[i].selector == expected[i].selector);
    CHECK(results[i].reason == expected[i].reason);
  }
}

VerifyOptions at(std::int64_t now) {
  VerifyOptions options;
  options.now = sys_seconds{seconds{now}};
  return options;
}

// A time after every signature below and before none of their x= (only Stalwart 005 has one).
constexpr std::int64_t default_now = 1667843664;

}  // namespace

TEST_CASE("RFC 8463 A.3: the Ed25519 and RSA signatures pass with the A.2 records", "[dkim][conformance]") {
  const auto dir = data_dir();
  if (!dir) {
    return;
  }
  const std::string rfc = read(*dir / "mimekit/rfc8463.txt");
  const Zone zone{{"brisbane._domainkey.football.example.com",
                   zone_file_txt(rfc, "brisbane._domainkey.football.example.com")},
                  {"test._domainkey.football.example.com", zone_file_txt(rfc, "test._domainkey.football.example.com")}};
  CHECK(zone.at("brisbane._domainkey.football.example.com") ==
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
  const std::string message = read(*dir / "mimekit/rfc8463-example.msg");
  check_results(verify(message, lookup_from(zone), at(default_now)),
                {{Status::pass, "football.example.com", "brisbane", ""},
                 {Status::pass, "football.example.com", "test", ""}});

  SECTION("the relaxed body hash is the bh= of the example") {
    const std::string crlf_message = normalize_line_endings(message);
    const auto parts = split_message(crlf_message);
    CHECK(encode_base64(body_hash(Canonicalization::relaxed, parts.body)->digest) ==
          "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
  }
  SECTION("signing with the A.1 secret keys verifies against the A.2 records") {
    const std::string unsigned_message = message.substr(message.find("From: Joe"));
    SignOptions options;
    options.domain = "football.example.com";
    options.timestamp = sys_seconds{seconds{1528637909}};
    options.selector = "brisbane";
    options.algorithm = Algorithm::ed25519_sha256;
    options.private_key = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
    const std::string ed25519 = sign(unsigned_message, options);
    options.selector = "test";
    options.algorithm = Algorithm::rsa_sha256;
    options.private_key = rfc_pem(rfc, "RSA PRIVATE KEY");
    const std::string rsa = sign(unsigned_message, options);
    check_results(verify(ed25519 + rsa + unsigned_message, lookup_from(zone), at(default_now)),
                  {{Status::pass, "football.example.com", "brisbane", ""},
                   {Status::pass, "football.example.com", "test", ""}});
  }
}

TEST_CASE("dkimpy: pre-signed RFC 6376 A.1 messages", "[dkim][conformance]") {
  const auto dir = data_dir();
  if (!dir) {
    return;
  }
  const fs::path dkimpy = *dir / "dkimpy";
  // brisbane is the RFC 8032 7.1 TEST 1 key (dkimpy rfc8032_7_1.key); test is test.txt.
  const Zone zone{{"brisbane._domainkey.football.example.com",
                   "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
                  {"test._domainkey.football.example.com", trimmed(read(dkimpy / "test.txt"))}};
  check_results(verify(read(dkimpy / "rfc6376.signed.msg"), lookup_from(zone), at(default_now)),
                {{Status::pass, "football.example.com", "brisbane", ""},
                 {Status::pass, "football.example.com", "test", ""}});

  const std::string rsa_message = read(dkimpy / "rfc6376.signed.rsa.msg");
  const auto with_record = [&](const std::string& file) {
    const Zone one{{"test._domainkey.football.example.com", trimmed(read(dkimpy / file))}};
    return verify(rsa_message, lookup_from(one), at(default_now));
  };
  check_results(with_record("test.txt"), {{Status::pass, "football.example.com", "test", ""}});
  // No k=: rsa is the default (RFC 6376 3.6.1).
  check_results(with_record("test2.txt"), {{Status::pass, "football.example.com", "test", ""}});
  check_results(with_record("test_bad.txt"),
                {{Status::permerror, "football.example.com", "test", "public key could not be decoded"}});
  check_results(with_record("badversion.txt"), {{Status::permerror, "football.example.com", "test",
                                                 "key syntax error: unsupported key record version v=DKIM1: g=*"}});
  check_results(with_record("badk.txt"), {{Status::permerror, "football.example.com", "test",
                                           "key syntax error: unknown key type k=ed25519-sha256"}});
  check_results(with_record("test_tlsrpt.txt"),
                {{Status::permerror, "football.example.com", "test", "key is not for email (s=)"}});
}

TEST_CASE("dkimpy: Exim's Ed25519 signature and signing with dkimpy's keys", "[dkim][conformance]") {
  const auto dir = data_dir();
  if (!dir) {
    return;
  }
  const fs::path dkimpy = *dir / "dkimpy";
  check_results(verify(read(dkimpy / "ed25519test2.msg"),
                       lookup_from({{"sed._domainkey.test.ex", trimmed(read(dkimpy / "eximtest.dns"))}}),
                       at(default_now)),
                {{Status::pass, "test.ex", "sed", ""}});

  const std::string message = read(dkimpy / "test.message");
  struct Case {
    Algorithm algorithm;
    std::string key_file;
    std::string record_file;
  };
  const Case c = GENERATE(Case{Algorithm::ed25519_sha256, "ed25519test.key", "ed25519test.dns"},
                          Case{Algorithm::rsa_sha256, "1024_testkey.key", "1024_testkey_wo_markers.pub.txt"},
                          Case{Algorithm::rsa_sha256, "1024_testkey.key", "1024_testkey_wo_markers.pub.rsa.txt"},
                          Case{Algorithm::rsa_sha256, "2048_testkey.key", "2048_testkey_wo_markers.pub.txt"},
                          Case{Algorithm::rsa_sha256, "2048_testkey.key", "2048_testkey_wo_markers.pub.rsa.txt"},
                          Case{Algorithm::rsa_sha256, "2048_testkey_PKCS8.key", "2048_testkey_PKCS8.key.pub.txt"},
                          Case{Algorithm::rsa_sha256, "test.private", "test.txt"});
  const Canonicalization canon = GENERATE(Canonicalization::simple, Canonicalization::relaxed);
  CAPTURE(c.key_file, c.record_file, canonicalization_name(canon));
  SignOptions options;
  options.domain = "example.net";
  options.selector = "test";
  options.algorithm = c.algorithm;
  options.private_key = read(dkimpy / c.key_file);
  options.header_canonicalization = canon;
  options.body_canonicalization = canon;
  const std::string field = sign(message, options);
  check_results(verify(field + message,
                       lookup_from({{"test._domainkey.example.net", trimmed(read(dkimpy / c.record_file))}}),
                       at(default_now)),
                {{Status::pass, "example.net", "test", ""}});
}

TEST_CASE("dkimpy: malformed d=, a message without From, 8-bit headers", "[dkim][conformance]") {
  const auto dir = data_dir();
  if (!dir) {
    return;
  }
  const fs::path dkimpy = *dir / "dkimpy";
  const Zone zone{{"test._domainkey.example.com", trimmed(read(dkimpy / "test.txt"))}};
  check_results(verify(read(dkimpy / "test.message.baddomain"), lookup_from(zone), at(default_now)),
                {{Status::permerror, "legitimate.com(.attacker.com", "test",
                  "signature syntax error: invalid domain d=legitimate.com(.attacker.com"}});

  SignOptions options;
  options.domain = "example.com";
  options.selector = "test";
  options.private_key = read(dkimpy / "test.private");
  CHECK_THROWS_AS(sign(read(dkimpy / "test_nofrom.message"), options), std::invalid_argument);

  options.domain = "football.example.com";
  const std::string w1258 = read(dkimpy / "rfc6376.w1258.msg");
  const Zone football{{"test._domainkey.football.example.com", trimmed(read(dkimpy / "test.txt"))}};
  check_results(verify(sign(w1258, options) + w1258, lookup_from(football), at(default_now)),
                {{Status::pass, "football.example.com", "test", ""}});
}

TEST_CASE("Gmail signatures (MimeKit, dkimpy) pass with the 20120113 key", "[dkim][conformance]") {
  const auto dir = data_dir();
  if (!dir) {
    return;
  }
  const Zone zone{
      {"20120113._domainkey.gmail.com", "v=DKIM1; k=rsa; p=" + pem_base64(read(*dir / "mimekit/gmail.pub"))}};
  const fs::path file = GENERATE(as<fs::path>{}, "mimekit/gmail.msg", "mimekit/related.msg",
                                 "mimekit/multipart-no-end-boundary.msg", "dkimpy/test2.message");
  CAPTURE(file);
  check_results(verify(read(*dir / file), lookup_from(zone), at(default_now)),
                {{Status::pass, "gmail.com", "20120113", ""}});
}

TEST_CASE("MimeKit: signing with example.pem verifies against its BIND and tinydns records", "[dkim][conformance]") {
  const auto dir = data_dir();
  if (!dir) {
    return;
  }
  const fs::path mimekit = *dir / "mimekit";
  const std::string name = "1433868189.example._domainkey.example.com";
  const std::string bind9 = zone_file_txt(read(mimekit / "example.bind9"), name);
  CHECK(bind9.rfind("v=DKIM1;t=s;p=MIGf", 0) == 0);
  // tinydns: 'fqdn:value:ttl::' with the value between the first ':' and the ttl.
  const std::string tinydns_line = trimmed(read(mimekit / "example.tinydns"));
  const std::size_t value_start = tinydns_line.find(':') + 1;
  const std::string tinydns = tinydns_line.substr(value_start, tinydns_line.find(":3600") - value_start);

  const std::string message = read(*dir / "dkimpy/test.message");
  SignOptions options;
  options.domain = "example.com";
  options.selector = "1433868189.example";
  options.private_key = read(mimekit / "example.pem");
  const std::string plain = sign(message, options) + message;
  options.identity = "test@sub.example.com";
  const std::string subdomain_identity = sign(message, options) + message;
  for (const std::string& record : {bind9, tinydns}) {
    CAPTURE(record);
    const auto lookup = lookup_from({{name, record}});
    check_results(verify(plain, lookup, at(default_now)), {{Status::pass, "example.com", "1433868189.example", ""}});
    // The BIND record has t=s: an i= in a subdomain is refused; the tinydns one has no t=s.
    const bool strict = record.find("t=s") != std::string::npos;
    check_results(verify(subdomain_identity, lookup, at(default_now)),
                  {{strict ? Status::permerror : Status::pass, "example.com", "1433868189.example",
                    strict ? "key has t=s but the i= domain is not d=" : ""}});
  }
}

TEST_CASE("authheaders: signed messages pass; altered ones fail", "[dkim][conformance]") {
  const auto dir = data_dir();
  if (!dir) {
    return;
  }
  const fs::path authheaders = *dir / "authheaders";
  const Zone zone{{"test._domainkey.example.com", trimmed(read(authheaders / "test.txt"))}};
  const auto [file, status, reason] = GENERATE(table<std::string, Status, std::string>({
      {"test.message_signed", Status::pass, ""},
      {"testcomma.message", Status::pass, ""},
      {"test.message_multi", Status::fail, "signature did not verify"},
      {"test.message_multi2", Status::fail, "signature did not verify"},
  }));
  CAPTURE(file);
  check_results(verify(read(authheaders / file), lookup_from(zone), at(default_now)),
                {{status, "example.com", "test", reason}});
}

namespace {

// Stalwart's format: "<selector>._domainkey.<domain> <TXT>" lines, an empty line, the message.
struct StalwartCase {
  Zone zone;
  std::string message;
};

StalwartCase read_stalwart(const fs::path& path) {
  const std::string text = read(path);
  const std::size_t blank = text.find("\n\n");
  REQUIRE(blank != std::string::npos);
  StalwartCase c;
  std::istringstream lines(text.substr(0, blank));
  std::string line;
  while (std::getline(lines, line)) {
    const std::size_t space = line.find(' ');
    c.zone[line.substr(0, space)] = trimmed(line.substr(space + 1));
  }
  c.message = text.substr(blank + 2);
  return c;
}

}  // namespace

TEST_CASE("Stalwart mail-auth DKIM vectors at 1667843664", "[dkim][conformance]") {
  const auto dir = data_dir();
  if (!dir) {
    return;
  }
  const fs::path stalwart = *dir / "stalwart-mail-auth/dkim";
  const auto [file, expected] = GENERATE(table<std::string, std::vector<Expected>>({
      {"001.txt",
       {{Status::pass, "football.example.com", "brisbane", ""}, {Status::pass, "football.example.com", "test", ""}}},
      {"002.txt", {{Status::pass, "example.com", "newengland", ""}}},
      {"003.txt", {{Status::pass, "ietf.org", "ietf1", ""}, {Status::pass, "ietf.org", "ietf1", ""}}},
      {"004.txt", {{Status::pass, "facebookmail.com", "s1024-2013-q3", ""}}},
      {"005.txt", {{Status::pass, "topicbox.com", "sysmsg-1", ""}}},
      {"006.txt", {{Status::pass, "github.com", "dk2016", ""}}},
  }));
  CAPTURE(file);
  const StalwartCase c = read_stalwart(stalwart / file);
  check_results(verify(c.message, lookup_from(c.zone), at(default_now)), expected);
}

TEST_CASE("Stalwart 005 is expired after its x=", "[dkim][conformance]") {
  const auto dir = data_dir();
  if (!dir) {
    return;
  }
  const StalwartCase c = read_stalwart(*dir / "stalwart-mail-auth/dkim/005.txt");
  check_results(verify(c.message, lookup_from(c.zone), at(1667930064)),
                {{Status::pass, "topicbox.com", "sysmsg-1", ""}});
  check_results(verify(c.message, lookup_from(c.zone), at(1667930065)),
                {{Status::policy, "topicbox.com", "sysmsg-1", "signature expired"}});
}
