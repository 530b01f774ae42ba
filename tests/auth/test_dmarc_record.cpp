// DMARC record parsing (RFC 7489 6.3, 6.4) and the 6.6.3 rule for records without a valid p=.
#include <catch2/catch.hpp>

#include "auth/dmarc/record.hpp"

using namespace maildog::auth::dmarc;

TEST_CASE("a full DMARC record parses", "[dmarc]") {
  const auto parsed = parse_record(
      "v=DMARC1; p=quarantine; sp=reject; adkim=s; aspf=s; pct=25; "
      "rua=mailto:agg@example.com,mailto:x@example.net!10m; ruf=mailto:f@example.com; fo=1:d; rf=afrf; ri=3600;");
  REQUIRE(parsed.status == ParsedRecord::Status::ok);
  const Record& record = parsed.record;
  CHECK(record.policy == Policy::quarantine);
  CHECK(record.subdomain_policy == Policy::reject);
  CHECK(record.dkim_alignment == Alignment::strict);
  CHECK(record.spf_alignment == Alignment::strict);
  CHECK(record.percent == 25);
  CHECK(record.aggregate_report_uris == std::vector<std::string>{"mailto:agg@example.com", "mailto:x@example.net!10m"});
  CHECK(record.failure_report_uris == std::vector<std::string>{"mailto:f@example.com"});
  CHECK(record.failure_options == "1:d");
  CHECK(record.report_interval == 3600);
  CHECK_FALSE(record.policy_defaulted);
}

TEST_CASE("defaults and leniency of a minimal record", "[dmarc]") {
  const auto parsed = parse_record("v=DMARC1 ;  P = Reject ; future=tag");
  REQUIRE(parsed.status == ParsedRecord::Status::ok);
  CHECK(parsed.record.policy == Policy::reject);
  CHECK_FALSE(parsed.record.subdomain_policy);
  CHECK(parsed.record.dkim_alignment == Alignment::relaxed);
  CHECK(parsed.record.spf_alignment == Alignment::relaxed);
  CHECK(parsed.record.percent == 100);
  CHECK(parsed.record.report_interval == 86400);
}

TEST_CASE("records that are not DMARC records", "[dmarc]") {
  const auto text =
      GENERATE(as<std::string>{}, "", "v=spf1 -all", "p=reject; v=DMARC1", "v=DMARC2; p=none", "v=dmarc1; p=none");
  CAPTURE(text);
  CHECK(parse_record(text).status == ParsedRecord::Status::not_dmarc);
}

TEST_CASE("invalid DMARC records", "[dmarc]") {
  const auto text = GENERATE(as<std::string>{}, "v=DMARC1", "v=DMARC1; p=bounce", "v=DMARC1; p=reject; sp=maybe",
                             "v=DMARC1; p=reject; adkim=x", "v=DMARC1; p=reject; pct=101",
                             "v=DMARC1; p=reject; pct=ten", "v=DMARC1; p=reject; fo=2", "v=DMARC1; p=reject; ri=-1",
                             "v=DMARC1; p=reject; p=none", "v=DMARC1; p=reject; junk", "v=DMARC1; p; rua=nonsense");
  CAPTURE(text);
  const auto parsed = parse_record(text);
  CHECK(parsed.status == ParsedRecord::Status::invalid);
  CHECK_FALSE(parsed.error.empty());
}

TEST_CASE("no valid p= but a valid rua= reads as p=none (RFC 7489 6.6.3)", "[dmarc]") {
  const auto text =
      GENERATE(as<std::string>{}, "v=DMARC1; rua=mailto:d@example.com", "v=DMARC1; p=bounce; rua=mailto:d@example.com",
               "v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.com");
  CAPTURE(text);
  const auto parsed = parse_record(text);
  REQUIRE(parsed.status == ParsedRecord::Status::ok);
  CHECK(parsed.record.policy == Policy::none);
  CHECK_FALSE(parsed.record.subdomain_policy);
  CHECK(parsed.record.policy_defaulted);
}
