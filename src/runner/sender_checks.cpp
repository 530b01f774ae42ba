#include "runner/sender_checks.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "auth/check_message.hpp"
#include "core/name_table.hpp"
#include "dns/fixture_resolver.hpp"
#include "dns/live_resolver.hpp"

namespace maildog::runner {

namespace {

enum class Mode { off, report, enforce };

Mode mode_of(const std::optional<std::string>& text) {
  if (text == "enforce") {
    return Mode::enforce;
  }
  return text == "report" ? Mode::report : Mode::off;
}

struct ChecksPolicy {
  Mode spf = Mode::off;
  Mode dkim = Mode::off;
  Mode dmarc = Mode::off;
  bool require_ptr = false;
  std::vector<std::string> dnsbl_zones;

  bool message_checks() const {
    return spf != Mode::off || dkim != Mode::off || dmarc != Mode::off || require_ptr;
  }
};

ChecksPolicy policy_of(const scenario::ChecksSpec& checks) {
  return {mode_of(checks.spf), mode_of(checks.dkim), mode_of(checks.dmarc), checks.ptr == "require", checks.dnsbl};
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

// Replies as large receivers word them (Gmail's 5.7.2x family, Spamhaus-style DNSBL text).
smtp::Reply spf_failed(const std::string& reason) {
  return smtp::make_reply(550, smtp::EnhancedCode{5, 7, 23}, "SPF validation failed: " + reason);
}
smtp::Reply dkim_missing() {
  return smtp::make_reply(550, smtp::EnhancedCode{5, 7, 20}, "No passing DKIM signature found");
}
smtp::Reply dmarc_rejected(const std::string& domain) {
  return smtp::make_reply(550, smtp::EnhancedCode{5, 7, 26},
                          "Unauthenticated email from " + domain +
                              " is not accepted due to domain's DMARC policy");
}
smtp::Reply ptr_missing() {
  return smtp::make_reply(550, smtp::EnhancedCode{5, 7, 25},
                          "The IP address sending this message does not have a PTR record setup, or the "
                          "corresponding forward DNS entry does not point to the sending IP");
}
smtp::Reply dnsbl_listed(const std::string& ip, const std::string& zone) {
  return smtp::make_reply(550, smtp::EnhancedCode{5, 7, 1},
                          "Service unavailable; client [" + ip + "] blocked using " + zone);
}

std::string dkim_result(const std::vector<auth::dkim::VerifyResult>& results) {
  for (const auto& result : results) {
    if (result.status == auth::dkim::Status::pass) {
      return "pass";
    }
  }
  return results.empty() ? "none" : std::string(auth::dkim::status_name(results.front().status));
}

smtp::Refusal refusal(const Shared& shared, const std::string& check, smtp::Reply default_reply) {
  auto replaced = shared.replies.find(check);
  return {replaced != shared.replies.end() ? replaced->second : std::move(default_reply), check};
}

std::optional<smtp::Refusal> at_rcpt(Shared& shared) {
  if (shared.policy.dnsbl_zones.empty()) {
    return std::nullopt;
  }
  std::lock_guard lock(shared.mutex);
  for (const auto& result : auth::check_dnsbl(shared.ip, shared.policy.dnsbl_zones, *shared.resolver)) {
    if (result.listed) {
      return refusal(shared, "dnsbl", dnsbl_listed(shared.ip_text, result.zone));
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
  verdict.summary = "spf=" + verdict.results["spf"] + " dkim=" + verdict.results["dkim"] +
                    " dmarc=" + verdict.results["dmarc"];
  if (checked.dmarc_failed()) {
    verdict.summary += " (p=" + std::string(name_of(auth::dmarc::k_policy_names, checked.dmarc.policy)) + ")";
  }
  if (checked.ptr) {
    verdict.results["iprev"] = std::string(name_of(auth::k_iprev_status_names, checked.ptr->status));
    verdict.summary += " iprev=" + verdict.results["iprev"];
  }

  const ChecksPolicy& policy = shared.policy;
  if (policy.spf == Mode::enforce && checked.spf.status == auth::spf::SpfStatus::fail) {
    verdict.refusal = refusal(shared, "spf",
                              spf_failed(checked.spf.explanation.empty() ? checked.spf.reason : checked.spf.explanation));
  } else if (policy.dkim == Mode::enforce && verdict.results["dkim"] != "pass") {
    verdict.refusal = refusal(shared, "dkim", dkim_missing());
  } else if (policy.dmarc == Mode::enforce && checked.dmarc_failed() &&
             checked.dmarc.policy == auth::dmarc::Policy::reject) {
    // A quarantine policy is accepted and recorded: the sandbox has no spam folder.
    verdict.refusal = refusal(shared, "dmarc", dmarc_rejected(checked.from.domain));
  } else if (policy.require_ptr && checked.ptr && checked.ptr->status != auth::IprevStatus::pass) {
    verdict.refusal = refusal(shared, "ptr", ptr_missing());
  }
  return verdict;
}

}  // namespace

bool any_check_on(const scenario::ChecksSpec& checks) {
  return policy_of(checks).message_checks() || !checks.dnsbl.empty();
}

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
