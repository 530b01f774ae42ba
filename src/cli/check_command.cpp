#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "auth/check_message.hpp"
#include "cli/commands.hpp"
#include "core/ascii.hpp"
#include "dns/fixture_resolver.hpp"
#include "dns/live_resolver.hpp"
#include "lint/lint.hpp"

namespace maildog::cli {

namespace {

struct CheckSettings {
  std::string message_path;
  std::string client_ip;
  std::string helo;
  std::string mail_from;
  std::string receiver{auth::k_default_receiver};
  std::string dns_fixture;
  bool live = false;
  bool no_ptr = false;
  bool json = false;
  std::vector<std::string> dnsbl_zones;
};

// A `--dns` file: the name -> {TYPE: value or [values]} map of a scenario's `dns:`, either at
// the top level or under a `dns:` key. Throws std::invalid_argument on another shape.
dns::FixtureResolver::Records load_fixture(const std::string& path) {
  YAML::Node root = YAML::LoadFile(path);
  if (root.IsMap() && root.size() == 1 && root["dns"] && root["dns"].IsMap()) {
    root = root["dns"];
  }
  dns::FixtureResolver::Records records;
  if (root.IsNull()) {
    return records;
  }
  if (!root.IsMap()) {
    throw std::invalid_argument(path + ": expected a map of names to records");
  }
  for (const auto& name : root) {
    auto& types = records[name.first.as<std::string>()];
    if (name.second.IsNull()) {
      continue;
    }
    if (!name.second.IsMap()) {
      throw std::invalid_argument(path + ": " + name.first.as<std::string>() + ": expected a map of types to values");
    }
    for (const auto& type : name.second) {
      auto& values = types[type.first.as<std::string>()];
      if (type.second.IsSequence()) {
        for (const auto& value : type.second) {
          values.push_back(value.as<std::string>());
        }
      } else if (type.second.IsScalar()) {
        values.push_back(type.second.as<std::string>());
      } else {
        throw std::invalid_argument(path + ": " + name.first.as<std::string>() + " " + type.first.as<std::string>() +
                                    ": expected a value or a list of values");
      }
    }
  }
  return records;
}

void print_verdict(const auth::AuthVerdict& verdict, std::ostream& out) {
  out << "SPF    " << name_of(auth::spf::k_spf_status_names, verdict.spf.status) << " for "
      << (verdict.spf_used_helo ? "HELO " : "MAIL FROM ") << verdict.spf_identity.domain;
  if (!verdict.spf.reason.empty()) {
    out << ": " << verdict.spf.reason;
  }
  out << '\n';
  if (verdict.dkim.empty()) {
    out << "DKIM   none: no signature\n";
  }
  for (const auto& signature : verdict.dkim) {
    out << "DKIM   " << auth::dkim::status_name(signature.status) << " d=" << signature.domain
        << " s=" << signature.selector;
    if (!signature.reason.empty()) {
      out << ": " << signature.reason;
    }
    out << '\n';
  }
  const auto& dmarc = verdict.dmarc;
  out << "DMARC  " << name_of(auth::dmarc::k_status_names, dmarc.status) << " for From "
      << (verdict.from.domain.empty() ? "(none)" : verdict.from.domain);
  if (!dmarc.record_domain.empty()) {
    out << " (record at _dmarc." << dmarc.record_domain << ")";
  }
  out << ", policy to apply: " << name_of(auth::dmarc::k_policy_names, dmarc.policy);
  if (!dmarc.reason.empty()) {
    out << ": " << dmarc.reason;
  }
  out << '\n';
  if (verdict.ptr) {
    out << "iprev  " << name_of(auth::k_iprev_status_names, verdict.ptr->status);
    if (!verdict.ptr->reason.empty()) {
      out << ": " << verdict.ptr->reason;
    }
    out << '\n';
  }
  for (const auto& listing : verdict.dnsbl) {
    out << "DNSBL  " << listing.zone << ": "
        << (listing.listed ? "listed" : (listing.temperror ? "temperror" : "not listed"));
    if (!listing.answer.empty()) {
      out << " (" << listing.answer << ")";
    }
    if (!listing.reason.empty() && listing.reason != "not listed") {
      out << ": " << listing.reason;
    }
    out << '\n';
  }
}

// One line per sender lint finding; a message file has no envelope, so only what the bytes show.
void print_lint(const std::vector<lint::Finding>& findings, std::ostream& out) {
  if (findings.empty()) {
    out << "Lint   clean: nothing a strict receiver would refuse\n";
  }
  for (const auto& finding : findings) {
    out << "Lint   " << finding.name();
    if (finding.line > 0) {
      out << " line " << finding.line;
    }
    out << ": " << finding.message;
    if (!finding.excerpt.empty()) {
      out << " \"" << finding.excerpt << '"';
    }
    out << '\n';
  }
}

nlohmann::json lint_json(const std::vector<lint::Finding>& findings) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& finding : findings) {
    out.push_back(
        {{"name", finding.name()}, {"message", finding.message}, {"line", finding.line}, {"excerpt", finding.excerpt}});
  }
  return out;
}

// The RFC result words (RFC 8601 2.7) for scripts; every result carries its reason.
nlohmann::json verdict_json(const auth::AuthVerdict& verdict) {
  nlohmann::json out;
  out["spf"] = {{"result", name_of(auth::spf::k_spf_status_names, verdict.spf.status)},
                {"domain", verdict.spf_identity.domain},
                {"mechanism", verdict.spf.mechanism},
                {"reason", verdict.spf.reason}};
  out["dkim"] = nlohmann::json::array();
  for (const auto& signature : verdict.dkim) {
    out["dkim"].push_back({{"domain", signature.domain},
                           {"selector", signature.selector},
                           {"algorithm", signature.algorithm},
                           {"result", auth::dkim::status_name(signature.status)},
                           {"reason", signature.reason}});
  }
  out["dmarc"] = {{"result", name_of(auth::dmarc::k_status_names, verdict.dmarc.status)},
                  {"policy", name_of(auth::dmarc::k_policy_names, verdict.dmarc.policy)},
                  {"from_domain", verdict.from.domain},
                  {"spf_aligned", verdict.dmarc.spf_aligned},
                  {"dkim_aligned", verdict.dmarc.dkim_aligned},
                  {"reason", verdict.dmarc.reason}};
  if (verdict.ptr) {
    out["iprev"] = {{"result", name_of(auth::k_iprev_status_names, verdict.ptr->status)},
                    {"hostname", verdict.ptr->hostname},
                    {"reason", verdict.ptr->reason}};
  }
  out["dnsbl"] = nlohmann::json::array();
  for (const auto& listing : verdict.dnsbl) {
    out["dnsbl"].push_back({{"zone", listing.zone}, {"listed", listing.listed}, {"reason", listing.reason}});
  }
  out["authentication_results"] = verdict.authentication_results;
  return out;
}

int run_check(const CheckSettings& settings) {
  const auto client_ip = auth::spf::IpAddress::parse(settings.client_ip);
  if (!client_ip) {
    std::cerr << "maildog-ci check: --client-ip: not an IP address: " << settings.client_ip << '\n';
    return k_exit_invalid;
  }
  std::ifstream file(settings.message_path, std::ios::binary);
  std::ostringstream message;
  message << file.rdbuf();
  if (!file) {
    std::cerr << "maildog-ci check: cannot read " << settings.message_path << '\n';
    return k_exit_invalid;
  }

  std::unique_ptr<dns::Resolver> resolver;
  if (settings.live) {
    resolver = std::make_unique<dns::LiveResolver>();
  } else {
    try {
      resolver = std::make_unique<dns::FixtureResolver>(
          settings.dns_fixture.empty() ? dns::FixtureResolver::Records{} : load_fixture(settings.dns_fixture));
    } catch (const YAML::Exception& error) {
      std::cerr << "maildog-ci check: --dns " << settings.dns_fixture << ": " << error.what() << '\n';
      return k_exit_invalid;
    } catch (const std::invalid_argument& error) {
      std::cerr << "maildog-ci check: --dns: " << error.what() << '\n';
      return k_exit_invalid;
    }
  }

  auth::CheckInput input;
  input.client_ip = *client_ip;
  input.helo = settings.helo;
  input.mail_from = settings.mail_from;
  input.receiver = settings.receiver;
  input.dnsbl_zones = settings.dnsbl_zones;
  input.check_ptr = !settings.no_ptr;
  const std::string bytes = message.str();
  const auth::AuthVerdict verdict = auth::check_message(bytes, input, *resolver);
  // The file is the DATA content; without a session, BODY= and SMTPUTF8 are unknown.
  const std::vector<lint::Finding> findings = lint::lint_message(bytes, lint::Envelope{});

  if (settings.json) {
    nlohmann::json out = verdict_json(verdict);
    out["lint"] = lint_json(findings);
    std::cout << out.dump(2) << '\n';
  } else {
    std::cout << "Authentication-Results: " << verdict.authentication_results << "\n\n";
    print_verdict(verdict, std::cout);
    print_lint(findings, std::cout);
  }
  // A verdict is information, not a failure of the command: scripts read it from the output.
  return k_exit_passed;
}

}  // namespace

Command add_check_command(CLI::App& app) {
  auto* command = app.add_subcommand("check", "Run SPF, DKIM, DMARC, iprev and DNSBL checks on one message file");
  command->footer(
      "DNS comes from --dns FILE (YAML: name -> {TYPE: value or [values]}, as a scenario's dns:), from the\n"
      "network with --live, or is empty. Prints the Authentication-Results header and a verdict,\n"
      "then the sender lint findings (bare LF, long lines, missing Date, ...).\n"
      "--json prints every result with its RFC 8601 word and reason, and the findings as \"lint\".\n"
      "Exit code 0 whatever the verdicts, 2 for bad usage or an unreadable file.");
  auto settings = std::make_shared<CheckSettings>();
  command->add_option("message", settings->message_path, "The message (.eml), headers and body")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--client-ip", settings->client_ip, "The connecting client's IP address")->required();
  command->add_option("--helo", settings->helo, "The HELO/EHLO name")->required();
  command->add_option("--mail-from", settings->mail_from, "The MAIL FROM address; empty: the null reverse-path");
  command->add_option("--receiver", settings->receiver, "The receiving host (authserv-id)")->capture_default_str();
  auto* dns_option =
      command->add_option("--dns", settings->dns_fixture, "DNS fixture file (YAML)")->check(CLI::ExistingFile);
  command->add_flag("--live", settings->live, "Use real DNS (c-ares, /etc/resolv.conf)")->excludes(dns_option);
  command->add_option("--dnsbl", settings->dnsbl_zones, "A DNSBL zone to query (repeatable)")->allow_extra_args(false);
  command->add_flag("--json", settings->json, "Print the results as JSON");
  command->add_flag("--no-ptr", settings->no_ptr, "Skip the forward-confirmed reverse DNS (iprev) check");
  return [command, settings]() {
    if (!command->parsed()) {
      return -1;
    }
    return run_check(*settings);
  };
}

}  // namespace maildog::cli
