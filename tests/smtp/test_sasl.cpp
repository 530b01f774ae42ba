#include <catch2/catch.hpp>

#include "smtp/sasl.hpp"

#include <string>

using namespace std::string_literals;
namespace sasl = maildog::smtp::sasl;

TEST_CASE("base64 follows RFC 4648", "[smtp][sasl]") {
  SECTION("the RFC 4648 10 test vectors, both ways") {
    auto [bytes, text] = GENERATE(table<std::string, std::string>({
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
        {"\0tim\0tanstaaftanstaaf"s, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"},
        {"\xff\xfe\xfd\x00\x3e\x3f"s, "//79AD4/"},
    }));
    CHECK(sasl::base64_encode(bytes) == text);
    CHECK(sasl::base64_decode(text) == bytes);
  }
  SECTION("every octet value survives a round trip") {
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
      bytes += static_cast<char>(i);
    }
    const std::string text = sasl::base64_encode(bytes);
    CHECK(text.size() == 344);
    CHECK(sasl::base64_decode(text) == bytes);
  }
  SECTION("malformed text is refused") {
    auto text = GENERATE(as<std::string>{},
                         "Zg",          // padding missing
                         "Zg=",         // padding short
                         "Zg===",       // length
                         "Z===",        // too much padding
                         "====",        // only padding
                         "Zg==Zg==",    // padding in the middle
                         "Zm=v",        // padding in the middle of a quantum
                         "Zh==",        // non-zero bits under the padding (RFC 4648 3.5)
                         "Zm9=",        // likewise, one padding character
                         "Zm9v Zg=",    // embedded white space
                         " Zm9",        // leading white space
                         "Zm9v\r\nZg",  // a line ending
                         "Zm-_",        // the URL-safe alphabet (RFC 4648 5)
                         "Zm9v!A==",    // outside the alphabet
                         "Zm9\0"s,      // NUL
                         "Zm\xc3\xa9"   // 8-bit
    );
    CAPTURE(text);
    CHECK_FALSE(sasl::base64_decode(text).has_value());
  }
}

TEST_CASE("PLAIN messages (RFC 4616)", "[smtp][sasl]") {
  SECTION("well formed") {
    auto [decoded, authzid, user, password] = GENERATE(table<std::string, std::string, std::string, std::string>({
        {"\0tim\0tanstaaftanstaaf"s, "", "tim", "tanstaaftanstaaf"},
        {"Ursel\0Kurt\0xipj3plmq"s, "Ursel", "Kurt", "xipj3plmq"},
        {"\0j\xc3\xb6rg\0p\xc3\xa4ss word"s, "", "j\xc3\xb6rg", "p\xc3\xa4ss word"},
        {"\0"s + std::string(255, 'u') + "\0"s + std::string(255, 'p'), "", std::string(255, 'u'),
         std::string(255, 'p')},
    }));
    const auto credentials = sasl::parse_plain(decoded);
    REQUIRE(credentials.has_value());
    CHECK(credentials->authzid == authzid);
    CHECK(credentials->user == user);
    CHECK(credentials->password == password);
  }
  SECTION("from the wire, as in RFC 4616 4") {
    const auto decoded = sasl::base64_decode("AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
    REQUIRE(decoded.has_value());
    const auto credentials = sasl::parse_plain(*decoded);
    REQUIRE(credentials.has_value());
    CHECK(credentials->user == "tim");
    CHECK(credentials->password == "tanstaaftanstaaf");
  }
  SECTION("malformed") {
    auto decoded = GENERATE(as<std::string>{}, ""s, "tim"s,
                            "\0tim"s,          // one NUL
                            "\0tim\0pass\0"s,  // three NULs
                            "\0tim\0pa\0ss"s,  // a NUL in the password
                            "\0\0pass"s,       // empty authcid
                            "\0tim\0"s,        // empty passwd
                            "\0\0"s,           // both empty
                            "\0"s + std::string(256, 'u') + "\0pass"s, "\0tim\0"s + std::string(256, 'p'),
                            std::string(256, 'z') + "\0tim\0pass"s);
    CAPTURE(decoded.size());
    CHECK_FALSE(sasl::parse_plain(decoded).has_value());
  }
}

TEST_CASE("CRAM-MD5 (RFC 2195)", "[smtp][sasl]") {
  SECTION("the RFC 2195 example exchange") {
    const std::string challenge = sasl::cram_md5_challenge("postoffice.reston.mci.net", 1896, 697170952);
    CHECK(challenge == "<1896.697170952@postoffice.reston.mci.net>");
    CHECK(sasl::base64_encode(challenge) == "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
    const auto decoded = sasl::base64_decode("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
    REQUIRE(decoded == "tim b913a602c7eda7a495b4e6e7334d3890");
    const auto response = sasl::parse_cram_md5_response(*decoded);
    REQUIRE(response.has_value());
    CHECK(response->user == "tim");
    CHECK(response->digest_hex == "b913a602c7eda7a495b4e6e7334d3890");
    CHECK(sasl::hmac_md5_hex("tanstaaftanstaaf", challenge) == response->digest_hex);
    CHECK(sasl::hmac_md5_hex("tanstaaftanstaaF", challenge) != response->digest_hex);
  }
  SECTION("challenges use the whole 64-bit range") {
    CHECK(sasl::cram_md5_challenge("mx.test", 18446744073709551615ULL, 0) == "<18446744073709551615.0@mx.test>");
  }
  SECTION("HMAC-MD5 test vectors of RFC 2104 and RFC 2202") {
    auto [key, message, digest] = GENERATE(table<std::string, std::string, std::string>({
        {std::string(16, '\x0b'), "Hi There", "9294727a3638bb1c13f48ef8158bfc9d"},
        {"Jefe", "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738"},
        {std::string(16, '\xaa'), std::string(50, '\xdd'), "56be34521d144c88dbb8c733f0e8b3f6"},
        {std::string(80, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
         "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
        {"", "", "74e6f7298a9c2d168935f58c001bad88"},
    }));
    CHECK(sasl::hmac_md5_hex(key, message) == digest);
  }
  SECTION("responses") {
    const std::string digest = "b913a602c7eda7a495b4e6e7334d3890";
    CHECK(sasl::parse_cram_md5_response("first last " + digest)->user == "first last");
    auto malformed = GENERATE_COPY(as<std::string>{}, ""s, "tim"s,
                                   digest,                                   // no user
                                   " " + digest,                             // empty user
                                   "tim " + digest.substr(1),                // 31 digits
                                   "tim " + digest + "0",                    // 33 digits
                                   "tim B913A602C7EDA7A495B4E6E7334D3890"s,  // upper case
                                   "tim b913a602c7eda7a495b4e6e7334d389g"s,  // not hex
                                   "tim " + digest + " ",                    // trailing space
                                   std::string(256, 'u') + " " + digest);
    CAPTURE(malformed);
    CHECK_FALSE(sasl::parse_cram_md5_response(malformed).has_value());
  }
}
