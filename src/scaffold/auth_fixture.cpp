#include "scaffold/auth_fixture.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/ascii.hpp"

namespace maildog::scaffold {

namespace {

constexpr std::string_view k_default_ip = "198.51.100.7";
// The address the fixture's SPF record allows: never the peer, so SPF fails.
constexpr std::string_view k_spf_allowed = "ip4:203.0.113.5";

bool is_zone_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

// The DNSBL zone a text names: "blocked using zen.spamhaus.org", "listed at bl.spamcop.net".
std::string zone_in(std::string_view text) {
  const std::string lowered = ascii::lower(text);
  for (const std::string_view lead :
       {"blocked using ", "listed at ", "listed in ", "listed on ", "listed by ", "rbl ", "dnsbl "}) {
    for (std::size_t at = lowered.find(lead); at != std::string::npos; at = lowered.find(lead, at + 1)) {
      std::size_t start = at + lead.size();
      std::size_t end = start;
      while (end < lowered.size() && is_zone_char(lowered[end])) {
        ++end;
      }
      while (end > start && (lowered[end - 1] == '.' || lowered[end - 1] == '-')) {
        --end;
      }
      const std::string zone = lowered.substr(start, end - start);
      if (zone.find('.') != std::string::npos && zone.front() != '.') {
        return zone;
      }
    }
  }
  return "zen.dnsbl.test";
}

// The first dotted IPv4 address in `text` ("Client host [192.0.2.1] blocked"), else empty.
std::string ipv4_in(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i > 0 && (std::isdigit(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '.')) {
      continue;
    }
    std::array<int, 4> octets{};
    std::size_t p = i;
    bool ok = true;
    for (int k = 0; k < 4 && ok; ++k) {
      int value = 0;
      std::size_t digits = 0;
      while (p < text.size() && std::isdigit(static_cast<unsigned char>(text[p])) && digits < 4) {
        value = value * 10 + (text[p] - '0');
        ++p;
        ++digits;
      }
      ok = digits > 0 && digits <= 3 && value <= 255;
      octets[static_cast<std::size_t>(k)] = value;
      if (ok && k < 3) {
        ok = p < text.size() && text[p] == '.';
        ++p;
      }
    }
    if (ok && (p == text.size() || !(std::isdigit(static_cast<unsigned char>(text[p])) || text[p] == '.'))) {
      return std::to_string(octets[0]) + "." + std::to_string(octets[1]) + "." + std::to_string(octets[2]) + "." +
             std::to_string(octets[3]);
    }
  }
  return {};
}

std::string reversed(const std::string& ip) {
  std::array<std::string, 4> parts;
  std::size_t k = 0;
  for (char c : ip) {
    if (c == '.') {
      ++k;
    } else {
      parts[k] += c;
    }
  }
  return parts[3] + "." + parts[2] + "." + parts[1] + "." + parts[0];
}

std::string reason_for(const bounce::BounceFacts& facts, const explain::Diagnosis& diagnosis) {
  if (diagnosis.id == "spf_fail" || diagnosis.id == "dmarc_reject" || diagnosis.id == "dnsbl_listed") {
    return diagnosis.id.substr(0, diagnosis.id.find('_'));
  }
  if (diagnosis.id == "ptr_missing") {
    return "ptr";
  }
  if (facts.reply.enhanced && facts.reply.enhanced->subject == 7 && diagnosis.id.starts_with("generic")) {
    switch (facts.reply.enhanced->detail) {
      case 23:
        return "spf";
      case 25:
        return "ptr";
      case 26:
        return "dmarc";
      default:
        break;
    }
  }
  return {};
}

}  // namespace

std::optional<AuthFixture> auth_fixture(const bounce::BounceFacts& facts, const explain::Diagnosis& diagnosis,
                                        const std::string& sender_domain) {
  const std::string reason = reason_for(facts, diagnosis);
  if (reason.empty()) {
    return std::nullopt;
  }
  AuthFixture fixture;
  fixture.reason = reason;
  const std::string found_ip = ipv4_in(facts.reply.text);
  fixture.peer_ip = found_ip.empty() ? std::string(k_default_ip) : found_ip;
  fixture.peer_helo = "mail." + sender_domain;
  const std::string spf = "v=spf1 " + std::string(k_spf_allowed) + " -all";
  if (reason == "spf") {
    fixture.dns.push_back({sender_domain, {{"TXT", spf}}});
    fixture.checks = {{"spf", "enforce"}};
    fixture.why = "SPF enforced; " + sender_domain + "'s SPF record does not list the peer IP, so SPF fails";
  } else if (reason == "dmarc") {
    fixture.dns.push_back({sender_domain, {{"TXT", spf}}});
    fixture.dns.push_back({"_dmarc." + sender_domain, {{"TXT", "v=DMARC1; p=reject"}}});
    fixture.checks = {{"spf", "report"}, {"dmarc", "enforce"}};
    fixture.why = "DMARC enforced; " + sender_domain + " publishes p=reject, SPF fails and the message is not signed";
  } else if (reason == "ptr") {
    fixture.dns.push_back({fixture.peer_helo, {{"A", fixture.peer_ip}}});
    fixture.checks = {{"ptr", "require"}};
    fixture.why = "reverse DNS required; the peer IP has no PTR record in the fixture";
  } else {
    const std::string zone = zone_in(facts.reply.text);
    fixture.stage = bounce::Stage::rcpt;
    fixture.dnsbl_zones = {zone};
    fixture.dns.push_back({reversed(fixture.peer_ip) + "." + zone, {{"A", "127.0.0.2"}}});
    fixture.why = "the peer IP is listed under " + zone + " in the fixture, which the sandbox queries";
  }
  return fixture;
}

}  // namespace maildog::scaffold
