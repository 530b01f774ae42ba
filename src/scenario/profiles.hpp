// Provider profiles: `server.profile` presets that make the sandbox receive mail as a large
// provider documents it (its authentication floor, PTR, TLS, limits and reply texts). A profile
// only fills what the scenario leaves out, so any part can be overridden.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "scenario/check_modes.hpp"
#include "smtp/server_config.hpp"

namespace maildog::scenario {

// The `server.checks` modes a profile turns on; an absent one stays as the scenario has it.
struct ProfileChecks {
  std::optional<CheckMode> spf;
  std::optional<CheckMode> dkim;
  std::optional<CheckMode> dmarc;
  std::optional<CheckMode> ptr;
  std::optional<AuthenticationFloor> authentication;
  std::optional<CheckMode> rfc5322;
  std::optional<CheckMode> unsubscribe;
};

// A refusal as the provider words it: `key` is a `server.replies` or `checks.replies` key,
// `reply` a reply line ("550 5.1.1 text"), possibly with {address}, {domain} or {ip}.
struct ProfileReply {
  std::string_view key;
  std::string_view reply;
};

struct Profile {
  std::string_view name;
  std::string_view summary;  // one line for --help and errors
  std::string_view hostname;
  smtp::TlsMode tls = smtp::TlsMode::starttls;
  std::optional<std::size_t> message_size;
  std::optional<std::size_t> recipients;
  std::optional<bool> reject_bare_lf;
  ProfileChecks checks;                          // for every sender
  ProfileChecks bulk_checks;                     // added with `bulk_sender: true`
  std::vector<ProfileReply> server_replies;      // the sandbox's own refusals (server.replies)
  std::vector<ProfileReply> check_replies;       // the sender checks' refusals (checks.replies)
  std::vector<ProfileReply> bulk_check_replies;  // added with `bulk_sender: true`
};

// A refusal the sender checks send when neither the scenario nor its profile words it
// (runner/sender_checks.cpp); `{name}` in the text stands for what the check learnt.
struct CheckText {
  int code = 550;
  smtp::EnhancedCode enhanced;
  std::string_view text;
};

// The sender checks' own words, kept here with the provider texts: Gmail's, Spamhaus-style DNSBL
// text, and maildog's for a missing one-click unsubscribe (no receiver publishes a reply for it).
struct CheckTexts {
  CheckText spf_failed;  // {reason}: the SPF record's explanation, else why it failed
  CheckText dkim_missing;
  CheckText dmarc_rejected;  // {domain}: the From domain
  CheckText ptr_missing;
  CheckText dnsbl_listed;          // {ip}: the peer IP; {zone}: the DNSBL that lists it
  CheckText unauthenticated;       // checks.authentication
  CheckText spf_not_passing;       // spf: require
  CheckText dmarc_record_missing;  // dmarc: require
  CheckText dmarc_not_aligned;     // dmarc: require
  CheckText rfc5322_from;          // rfc5322: no valid From address
  CheckText rfc5322_message_id;    // rfc5322: no Message-ID
  CheckText rfc5322_duplicate;     // rfc5322: a duplicate single-instance field
  CheckText unsubscribe_missing;
};

const CheckTexts& default_check_texts();

// The profile called `name`, or nothing.
const Profile* find_profile(std::string_view name);

// Every profile, in the order the schema lists them.
const std::vector<Profile>& profiles();

}  // namespace maildog::scenario
