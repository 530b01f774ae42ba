#include "auth/dmarc/evaluate.hpp"

#include <libpsl.h>

#include <random>

namespace maildog::auth::dmarc {

namespace {

// RFC 7489 6.1: policy records live at "_dmarc." + the domain.
constexpr std::string_view k_record_prefix = "_dmarc.";

const psl_ctx_t* suffix_list() {
  // Read-only after creation and safe to share between threads (libpsl documentation).
  static const psl_ctx_t* const context = [] {
    const psl_ctx_t* builtin = psl_builtin();
    return builtin != nullptr ? builtin : psl_latest(nullptr);
  }();
  return context;
}

struct Discovery {
  enum class Outcome { found, no_record, multiple, temperror };
  Outcome outcome = Outcome::no_record;
  ParsedRecord parsed;
  std::string detail;  // for temperror: the DNS status
};

// RFC 7489 6.6.3 steps 1-2 (and 3-4 for the organisational domain): the DMARC records at one name.
Discovery discover(const std::string& domain, dns::Resolver& resolver) {
  Discovery discovery;
  const std::string name = std::string(k_record_prefix) + domain;
  if (!dns::is_queryable_name(name)) {
    return discovery;
  }
  const dns::LookupResult answer = resolver.lookup(name, dns::RecordType::txt);
  if (answer.is_error()) {
    discovery.outcome = Discovery::Outcome::temperror;
    discovery.detail = std::string(name_of(dns::k_lookup_status_names, answer.status));
    return discovery;
  }
  if (answer.status != dns::LookupResult::Status::ok) {
    return discovery;
  }
  unsigned count = 0;
  for (const std::string& text : answer.records) {
    ParsedRecord parsed = parse_record(text);
    if (parsed.status == ParsedRecord::Status::not_dmarc) {
      continue;
    }
    ++count;
    discovery.parsed = std::move(parsed);
  }
  if (count == 1) {
    discovery.outcome = Discovery::Outcome::found;
  } else if (count > 1) {
    discovery.outcome = Discovery::Outcome::multiple;
  }
  return discovery;
}

// RFC 7489 6.6.4: when pct= leaves the message out, the next weaker policy applies.
Policy sampled_out(Policy policy) { return policy == Policy::reject ? Policy::quarantine : Policy::none; }

}  // namespace

std::string organizational_domain(std::string_view domain) {
  const std::string name = dns::canonical_name(domain);
  const char* registrable = psl_registrable_domain(suffix_list(), name.c_str());
  return registrable != nullptr ? std::string(registrable) : name;
}

bool aligned(std::string_view identifier, std::string_view from_domain, Alignment mode) {
  if (identifier.empty() || from_domain.empty()) {
    return false;
  }
  if (mode == Alignment::strict) {
    return dns::same_name(identifier, from_domain);
  }
  return organizational_domain(identifier) == organizational_domain(from_domain);
}

DmarcResult evaluate(std::string_view from_domain, const SpfOutcome& spf,
                     const std::vector<dkim::VerifyResult>& dkim_results, dns::Resolver& resolver,
                     const DmarcOptions& options) {
  DmarcResult result;
  const std::string from = dns::canonical_name(from_domain);
  if (!dns::is_queryable_name(from)) {
    result.status = Status::permerror;
    result.reason = "no usable RFC5322.From domain";
    return result;
  }

  // RFC 7489 6.6.3: the From domain first, then its organisational domain.
  std::string record_domain = from;
  Discovery discovery = discover(from, resolver);
  if (discovery.outcome == Discovery::Outcome::no_record) {
    const std::string organization = organizational_domain(from);
    if (organization != from) {
      record_domain = organization;
      discovery = discover(organization, resolver);
    }
  }
  switch (discovery.outcome) {
    case Discovery::Outcome::temperror:
      result.status = Status::temperror;
      result.reason = "DNS " + discovery.detail + " for " + std::string(k_record_prefix) + record_domain;
      return result;
    case Discovery::Outcome::no_record:
      result.reason = "no DMARC record for " + from;
      return result;
    case Discovery::Outcome::multiple:
      result.record_domain = record_domain;
      result.reason = "several DMARC records at " + std::string(k_record_prefix) + record_domain + " (RFC 7489 6.6.3)";
      return result;
    case Discovery::Outcome::found:
      break;
  }
  result.record_domain = record_domain;
  if (discovery.parsed.status == ParsedRecord::Status::invalid) {
    result.status = Status::permerror;
    result.reason = "DMARC record at " + std::string(k_record_prefix) + record_domain + ": " + discovery.parsed.error;
    return result;
  }
  const Record& record = discovery.parsed.record;
  result.record = record;

  // RFC 7489 3.1.2, 4.2: SPF counts when it passed for an aligned domain.
  result.spf_aligned = spf.status == spf::SpfStatus::pass && aligned(spf.domain, from, record.spf_alignment);
  // RFC 7489 3.1.1, 4.2: DKIM counts when any signature passed with an aligned d=.
  for (const dkim::VerifyResult& signature : dkim_results) {
    if (signature.status == dkim::Status::pass && aligned(signature.domain, from, record.dkim_alignment)) {
      result.dkim_aligned = true;
      break;
    }
  }

  // RFC 7489 6.3 "sp": the policy for subdomains of the domain the record was found at.
  result.requested_policy = record_domain != from ? record.subdomain_policy.value_or(record.policy) : record.policy;

  if (result.spf_aligned || result.dkim_aligned) {
    result.status = Status::pass;
    result.reason = result.dkim_aligned ? (result.spf_aligned ? "aligned SPF and DKIM pass" : "aligned DKIM pass")
                                        : "aligned SPF pass";
    return result;
  }

  result.status = Status::fail;
  const unsigned draw = options.percent_draw ? *options.percent_draw : std::random_device{}() % 100;
  const bool selected = record.percent >= 100 || draw < record.percent;
  result.policy = selected ? result.requested_policy : sampled_out(result.requested_policy);
  result.reason = "no aligned SPF or DKIM pass";
  if (!selected) {
    result.reason += " (pct=" + std::to_string(record.percent) +
                     " left the message out of p=" + std::string(name_of(k_policy_names, result.requested_policy)) +
                     ")";
  }
  return result;
}

}  // namespace maildog::auth::dmarc
