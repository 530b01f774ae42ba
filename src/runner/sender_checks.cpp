#include "runner/sender_checks.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "auth/check_message.hpp"
#include "core/ascii.hpp"
#include "core/name_table.hpp"
#include "dns/fixture_resolver.hpp"
#include "dns/live_resolver.hpp"
#include "lint/lint.hpp"
#include "rules/engine.hpp"
#include "scenario/profiles.hpp"

namespace maildog::runner {

namespace {

using scenario::AuthenticationFloor;
using Mode = scenario::CheckMode;

// The scenario's checks as the hooks apply them (modes parsed by the scenario builder).
struct ChecksPolicy {
  Mode spf = Mode::off;
  Mode dkim = Mode::off;
  Mode dmarc = Mode::off;
  bool require_ptr = false;
  std::vector<std::string> dnsbl_zones;
  AuthenticationFloor authentication = AuthenticationFloor::off;
  bool rfc5322 = false;      // refuse messages without a single valid From, with duplicate fields or no Message-ID
  bool unsubscribe = false;  // refuse messages without RFC 8058 one-click unsubscribe

  bool message_checks() const {
    return spf != Mode::off || dkim != Mode::off || dmarc != Mode::off || require_ptr ||
           authentication != AuthenticationFloor::off || rfc5322 || unsubscribe;
  }
};

ChecksPolicy policy_of(const scenario::ChecksSpec& checks) {
  return {checks.spf,
          checks.dkim,
          checks.dmarc,
          checks.ptr == Mode::require,
          checks.dnsbl,
          checks.authentication,
          checks.rfc5322 == Mode::enforce,
          checks.unsubscribe == Mode::require};
}

// What the hooks share: the peer, the resolver and a lock, since the server may run several
// sessions at once and a resolver is not meant to be used from two threads.
struct Shared {
  auth::spf::IpAddress ip;
  std::string ip_text;
  std::optional<std::string> helo;
  std::string receiver;
  unsigned percent_draw = 0;
  ChecksPolicy policy;
  std::map<std::string, smtp::Reply> replies;  // the scenario's replacements for the refusals below
  std::unique_ptr<dns::Resolver> resolver;
  std::mutex mutex;
};

// A default refusal (scenario/profiles.hpp: the provider texts live with the profiles) with its
// `{name}` parts filled in one pass, so a value that holds braces stays as it is.
smtp::Reply default_reply(const scenario::CheckText& wording,
                          std::initializer_list<std::pair<std::string_view, std::string_view>> values = {}) {
  std::string text;
  std::string_view rest = wording.text;
  while (!rest.empty()) {
    bool filled = false;
    for (const auto& [name, value] : values) {
      if (rest.size() > name.size() + 1 && rest[0] == '{' && rest.substr(1, name.size()) == name &&
          rest[name.size() + 1] == '}') {
        text += value;
        rest.remove_prefix(name.size() + 2);
        filled = true;
        break;
      }
    }
    if (!filled) {
      text += rest.front();
      rest.remove_prefix(1);
    }
  }
  return smtp::make_reply(wording.code, wording.enhanced, text);
}

const scenario::CheckTexts& texts() { return scenario::default_check_texts(); }

const scenario::CheckText& not_rfc5322(const lint::Finding& finding) {
  switch (finding.kind) {
    case lint::Kind::missing_from:
    case lint::Kind::from_without_domain:
      return texts().rfc5322_from;
    case lint::Kind::missing_message_id:
      return texts().rfc5322_message_id;
    default:
      return texts().rfc5322_duplicate;
  }
}

std::string dkim_result(const std::vector<auth::dkim::VerifyResult>& results) {
  for (const auto& result : results) {
    if (result.status == auth::dkim::Status::pass) {
      return "pass";
    }
  }
  return results.empty() ? "none" : std::string(auth::dkim::status_name(results.front().status));
}

// `key` names the reply (checks.replies), `reason` the refusal's reason: a DMARC refusal can
// be for the policy ("dmarc"), a missing record ("dmarc_missing") or no alignment
// ("dmarc_unaligned"). A scenario's replacement may say {domain} (the From domain) and {ip}.
smtp::Refusal refusal(const Shared& shared, const std::string& key, const std::string& reason,
                      smtp::Reply default_reply, const std::string& domain = {}) {
  auto replaced = shared.replies.find(key);
  if (replaced == shared.replies.end()) {
    return {std::move(default_reply), reason};
  }
  return {smtp::fill_placeholders(replaced->second, {{"domain", domain}, {"ip", shared.ip_text}}), reason};
}
smtp::Refusal refusal(const Shared& shared, const std::string& check, smtp::Reply default_reply,
                      const std::string& domain = {}) {
  return refusal(shared, check, check, std::move(default_reply), domain);
}

// RFC 8058 3.1: an https URI in List-Unsubscribe and exactly "List-Unsubscribe=One-Click" in
// List-Unsubscribe-Post.
bool one_click_unsubscribe(std::string_view message) {
  bool https_uri = false;
  bool one_click = false;
  for (const auto& header : rules::parse_headers(message)) {
    if (ascii::iequals(header.name, "List-Unsubscribe")) {
      https_uri = https_uri || ascii::lower(header.value).find("<https://") != std::string::npos;
    } else if (ascii::iequals(header.name, "List-Unsubscribe-Post")) {
      one_click = one_click || ascii::trim(header.value) == "List-Unsubscribe=One-Click";
    }
  }
  return https_uri && one_click;
}

// The first finding a receiver enforcing RFC 5322 refuses.
std::optional<lint::Finding> rfc5322_problem(std::string_view message) {
  for (auto& finding : lint::lint_message(message, lint::Envelope{})) {
    switch (finding.kind) {
      case lint::Kind::missing_from:
      case lint::Kind::from_without_domain:
      case lint::Kind::missing_message_id:
      case lint::Kind::duplicate_header:
        return std::move(finding);
      default:
        break;
    }
  }
  return std::nullopt;
}

// The refusal the policy asks for, in the order a receiver decides: the envelope's SPF, then
// the signature, the authentication floor, DMARC, the sending IP, and the message's form.
std::optional<smtp::Refusal> refusal_for(const Shared& shared, const auth::AuthVerdict& checked,
                                         const smtp::MessageView& view, bool dkim_pass) {
  const ChecksPolicy& policy = shared.policy;
  const std::string& domain = checked.from.domain;
  const bool spf_pass = checked.spf.status == auth::spf::SpfStatus::pass;
  if (policy.spf == Mode::enforce && checked.spf.status == auth::spf::SpfStatus::fail) {
    const std::string& reason = checked.spf.explanation.empty() ? checked.spf.reason : checked.spf.explanation;
    return refusal(shared, "spf", default_reply(texts().spf_failed, {{"reason", reason}}), domain);
  }
  if (policy.spf == Mode::require && !spf_pass) {
    return refusal(shared, "spf", default_reply(texts().spf_not_passing), domain);
  }
  if ((policy.dkim == Mode::enforce || policy.dkim == Mode::require) && !dkim_pass) {
    return refusal(shared, "dkim", default_reply(texts().dkim_missing), domain);
  }
  if ((policy.authentication == AuthenticationFloor::spf_or_dkim && !spf_pass && !dkim_pass) ||
      (policy.authentication == AuthenticationFloor::spf_and_dkim && !(spf_pass && dkim_pass))) {
    return refusal(shared, "authentication", default_reply(texts().unauthenticated), domain);
  }
  if ((policy.dmarc == Mode::enforce || policy.dmarc == Mode::require) && checked.dmarc_failed() &&
      checked.dmarc.policy == auth::dmarc::Policy::reject) {
    // A quarantine policy is accepted and recorded: the sandbox has no spam folder.
    return refusal(shared, "dmarc", default_reply(texts().dmarc_rejected, {{"domain", domain}}), domain);
  }
  if (policy.dmarc == Mode::require && checked.dmarc.status != auth::dmarc::Status::pass) {
    return checked.dmarc.record
               ? refusal(shared, "dmarc_unaligned", "dmarc", default_reply(texts().dmarc_not_aligned), domain)
               : refusal(shared, "dmarc_missing", "dmarc", default_reply(texts().dmarc_record_missing), domain);
  }
  if (policy.require_ptr && checked.ptr && checked.ptr->status != auth::IprevStatus::pass) {
    return refusal(shared, "ptr", default_reply(texts().ptr_missing), domain);
  }
  if (policy.rfc5322) {
    if (auto problem = rfc5322_problem(view.message)) {
      return refusal(shared, "rfc5322", default_reply(not_rfc5322(*problem)), domain);
    }
  }
  if (policy.unsubscribe && !one_click_unsubscribe(view.message)) {
    return refusal(shared, "unsubscribe", default_reply(texts().unsubscribe_missing), domain);
  }
  return std::nullopt;
}

std::optional<smtp::Refusal> at_rcpt(Shared& shared) {
  if (shared.policy.dnsbl_zones.empty()) {
    return std::nullopt;
  }
  std::lock_guard lock(shared.mutex);
  for (const auto& result : auth::check_dnsbl(shared.ip, shared.policy.dnsbl_zones, *shared.resolver)) {
    if (result.listed) {
      const smtp::Reply listed = default_reply(texts().dnsbl_listed, {{"ip", shared.ip_text}, {"zone", result.zone}});
      return refusal(shared, "dnsbl", listed, result.zone);
    }
  }
  return std::nullopt;
}

smtp::MessageVerdict at_end_of_data(Shared& shared, const smtp::MessageView& view) {
  auth::CheckInput input;
  input.client_ip = shared.ip;
  input.helo = shared.helo.value_or(std::string(view.helo));
  input.mail_from = std::string(view.mail_from);
  input.receiver = shared.receiver;
  input.check_ptr = shared.policy.require_ptr;
  auth::CheckOptions options;
  options.dmarc.percent_draw = shared.percent_draw;
  auth::AuthVerdict checked;
  {
    std::lock_guard lock(shared.mutex);
    checked = auth::check_message(view.message, input, *shared.resolver, options);
  }

  smtp::MessageVerdict verdict;
  verdict.authentication_results = checked.authentication_results;
  verdict.results["spf"] = std::string(name_of(auth::spf::k_spf_status_names, checked.spf.status));
  verdict.results["dkim"] = dkim_result(checked.dkim);
  verdict.results["dmarc"] = std::string(name_of(auth::dmarc::k_status_names, checked.dmarc.status));
  verdict.summary =
      "spf=" + verdict.results["spf"] + " dkim=" + verdict.results["dkim"] + " dmarc=" + verdict.results["dmarc"];
  if (checked.dmarc_failed()) {
    verdict.summary += " (p=" + std::string(name_of(auth::dmarc::k_policy_names, checked.dmarc.policy)) + ")";
  }
  if (checked.ptr) {
    verdict.results["iprev"] = std::string(name_of(auth::k_iprev_status_names, checked.ptr->status));
    verdict.summary += " iprev=" + verdict.results["iprev"];
  }

  verdict.refusal = refusal_for(shared, checked, view, verdict.results["dkim"] == "pass");
  return verdict;
}

}  // namespace

bool any_check_on(const scenario::ChecksSpec& checks) { return checks.any_on(); }

smtp::SenderChecks make_sender_checks(const scenario::Scenario& scenario) {
  const auto& extras = scenario.server_extras;
  if (!any_check_on(extras.checks)) {
    return {};
  }
  auto shared = std::make_shared<Shared>();
  shared->ip_text = extras.peer ? extras.peer->ip : std::string();
  auto ip = auth::spf::IpAddress::parse(shared->ip_text);
  if (!ip) {
    throw std::invalid_argument("server.peer.ip is not an IP address: \"" + shared->ip_text + "\"");
  }
  shared->ip = *ip;
  shared->helo = extras.peer ? extras.peer->helo : std::nullopt;
  shared->receiver = scenario.server.hostname;
  // DMARC pct= draws from the scenario's seed, so a run repeats.
  shared->percent_draw = static_cast<unsigned>(scenario.server.seed % 100);
  shared->policy = policy_of(extras.checks);
  shared->replies = extras.checks.replies;
  if (scenario.dns.live) {
    shared->resolver = std::make_unique<dns::LiveResolver>();
  } else {
    shared->resolver = std::make_unique<dns::FixtureResolver>(scenario.dns.records);
  }

  smtp::SenderChecks checks;
  if (!shared->policy.dnsbl_zones.empty()) {
    checks.at_rcpt = [shared](std::string_view, std::string_view) { return at_rcpt(*shared); };
  }
  if (shared->policy.message_checks()) {
    checks.at_end_of_data = [shared](const smtp::MessageView& view) { return at_end_of_data(*shared, view); };
  }
  return checks;
}

}  // namespace maildog::runner
