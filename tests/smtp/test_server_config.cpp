#include <catch2/catch.hpp>

#include "smtp/server_config.hpp"

using namespace maildog::smtp;

TEST_CASE("TLS modes and AUTH mechanisms are named as scenario files spell them", "[smtp][config]") {
  auto mode = GENERATE(TlsMode::none, TlsMode::starttls, TlsMode::required, TlsMode::implicit);
  REQUIRE(parse_tls_mode(to_string(mode)) == mode);
  REQUIRE(to_string(TlsMode::implicit) == "implicit");
  REQUIRE_FALSE(parse_tls_mode("ssl"));
  REQUIRE(parse_auth_mechanism("CRAM-MD5") == AuthMechanism::cram_md5);
  REQUIRE(to_string(AuthMechanism::login) == "LOGIN");
  REQUIRE_FALSE(parse_auth_mechanism("plain"));
}

TEST_CASE("defaults are the named limits", "[smtp][config]") {
  ServerConfig config;
  REQUIRE(config.bind_address == "127.0.0.1");
  REQUIRE(config.port == 0);
  REQUIRE(config.limits.recipients == 100);
  REQUIRE(config.limits.message_size == 25U * 1024 * 1024);
  REQUIRE(config.limits.reject_bare_lf);
  AuthConfig auth;
  REQUIRE(auth.mechanisms.size() == 3);
  REQUIRE_FALSE(auth.allow_plaintext_without_tls);
}
