// The API's query parameters (http/query_params) and request checks (http/request_checks) on
// their own, without a store behind them: what each accepts, and the reason it gives otherwise.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "http/api_options.hpp"
#include "http/query_params.hpp"
#include "http/request_checks.hpp"

using namespace maildog::http;
using namespace std::chrono_literals;

namespace {

Target target(const std::string& text) {
  const auto parsed = parse_target(text);
  REQUIRE(parsed.has_value());
  return *parsed;
}

ApiRequest request(const std::string& method, const std::string& host) {
  ApiRequest out;
  out.method = method;
  out.target = "/api/v1/messages";
  out.host = host;
  out.host_count = 1;
  return out;
}

}  // namespace

TEST_CASE("query parameters: ids, limit and the long-poll's timeout", "[http][query]") {
  CHECK(routes::parse_id("42") == 42U);
  CHECK_FALSE(routes::parse_id(""));
  CHECK_FALSE(routes::parse_id("4x"));
  CHECK_FALSE(routes::parse_id("-1"));
  CHECK_FALSE(routes::parse_id("99999999999999999999"));

  std::string error;
  CHECK(routes::parse_limit(target("/api/v1/messages"), &error) == k_list_limit_default);
  CHECK(routes::parse_limit(target("/api/v1/messages?limit=5000"), &error) == k_list_limit_max);
  CHECK_FALSE(routes::parse_limit(target("/api/v1/messages?limit=0"), &error));
  CHECK(error == "limit must be a positive number");
  CHECK_FALSE(routes::parse_limit(target("/api/v1/messages?limit=99999999999999999999"), &error));
  CHECK(error.starts_with("limit is too large (at most 1000 are returned"));

  CHECK(routes::parse_timeout("30") == 30s);
  CHECK(routes::parse_timeout("2.5") == 2500ms);
  CHECK(routes::parse_timeout("500ms") == 500ms);
  CHECK(routes::parse_timeout("1s") == 1s);
  CHECK_FALSE(routes::parse_timeout(""));
  CHECK_FALSE(routes::parse_timeout("-1"));
  CHECK_FALSE(routes::parse_timeout("soon"));
}

TEST_CASE("query parameters: the message and attempt filters", "[http][query]") {
  std::string error;
  const auto query =
      routes::parse_query(target("/api/v1/messages?to=a%40b.test&auth=DMARC%3Dfail&after=3&limit=2"), &error);
  REQUIRE(query);
  CHECK(query->to == "a@b.test");
  CHECK(query->auth == "dmarc=fail");
  CHECK(query->after_id == 3U);
  CHECK(query->limit == 2U);
  CHECK_FALSE(routes::parse_query(target("/api/v1/messages?since=yesterday"), &error));
  CHECK(error.starts_with("since must be an RFC 3339 date-time"));

  CHECK(routes::has_attempt_filter(target("/api/v1/wait?code=550")));
  CHECK_FALSE(routes::has_attempt_filter(target("/api/v1/wait?to=a%40b.test")));
  const auto attempts =
      routes::parse_attempt_query(target("/api/v1/attempts?status=refused&code=550&enhanced=5.1.1"), &error);
  REQUIRE(attempts);
  CHECK(attempts->code == 550);
  CHECK(attempts->enhanced == "5.1.1");
  CHECK_FALSE(routes::parse_attempt_query(target("/api/v1/attempts?code=99"), &error));
  CHECK(error == "code must be a reply code, e.g. 550");
  CHECK_FALSE(routes::parse_attempt_query(target("/api/v1/attempts?reason=mood"), &error));
  CHECK(error.starts_with("reason must be one of rule, spf, dkim"));
  CHECK_FALSE(routes::parse_attempt_query(target("/api/v1/attempts?auth=dmarc%3Dfail"), &error));
  CHECK(error.starts_with("auth filters messages, not attempts"));
}

TEST_CASE("request checks: token, Host, Origin and Content-Type", "[http][query]") {
  ApiOptions options;
  CHECK(routes::authorized(options, ""));
  options.token = "s3cret";
  CHECK(routes::authorized(options, "Bearer s3cret"));
  CHECK(routes::authorized(options, "bearer  s3cret "));
  CHECK_FALSE(routes::authorized(options, "Bearer s3cre"));
  CHECK_FALSE(routes::authorized(options, "Basic s3cret"));
  const ApiResponse refused = routes::token_required();
  CHECK(refused.status == 401);
  REQUIRE(refused.headers.size() == 1);
  CHECK(refused.headers[0].first == "WWW-Authenticate");

  ApiOptions open;
  CHECK_FALSE(routes::check_request(open, request("GET", "localhost:8025")));
  const auto rebinding = routes::check_request(open, request("GET", "evil.test:8025"));
  REQUIRE(rebinding);
  CHECK(rebinding->status == 403);
  auto cross_site = request("POST", "127.0.0.1:8025");
  cross_site.origin = "http://evil.test";
  REQUIRE(routes::check_request(open, cross_site));
  CHECK(routes::check_request(open, cross_site)->status == 403);
  cross_site.origin = "http://127.0.0.1:8025";
  CHECK_FALSE(routes::check_request(open, cross_site));
  cross_site.body = "[]";
  cross_site.content_type = "text/plain";
  REQUIRE(routes::check_request(open, cross_site));
  CHECK(routes::check_request(open, cross_site)->status == 415);
  cross_site.content_type = "application/json; charset=utf-8";
  CHECK_FALSE(routes::check_request(open, cross_site));
}
