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
  ProfileChecks checks;                       // for every sender
  ProfileChecks bulk_checks;                  // added with `bulk_sender: true`
  std::vector<ProfileReply> server_replies;   // the sandbox's own refusals (server.replies)
  std::vector<ProfileReply> check_replies;    // the sender checks' refusals (checks.replies)
  std::vector<ProfileReply> bulk_check_replies;  // added with `bulk_sender: true`
};

// The profile called `name`, or nothing.
const Profile* find_profile(std::string_view name);

// Every profile, in the order the schema lists them.
const std::vector<Profile>& profiles();

}  // namespace maildog::scenario
