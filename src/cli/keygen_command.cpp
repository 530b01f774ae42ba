#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "auth/dkim/sign.hpp"
#include "cli/commands.hpp"
#include "dns/resolver.hpp"

namespace maildog::cli {

namespace {

// RFC 1035 3.3.14: one character-string holds at most 255 octets; longer TXT values are
// written as several strings, which verifiers join (RFC 6376 3.6.2.2).
constexpr std::size_t k_txt_string_max = 255;

struct KeygenSettings {
  std::string algorithm = "rsa";
  unsigned bits = 2048;
  std::string selector;
  std::string domain;
  std::string out;
};

std::string zone_file_strings(const std::string& text) {
  std::string result;
  for (std::size_t at = 0; at < text.size(); at += k_txt_string_max) {
    result += (at == 0 ? "\"" : " \"") + text.substr(at, k_txt_string_max) + "\"";
  }
  return result;
}

int run_keygen(const KeygenSettings& settings) {
  const std::string record_name = settings.selector + "._domainkey." + dns::canonical_name(settings.domain);
  if (!dns::is_queryable_name(record_name)) {
    std::cerr << "maildog-ci keygen: not a usable DNS name: " << record_name << '\n';
    return k_exit_invalid;
  }
  const auto algorithm =
      settings.algorithm == "ed25519" ? auth::dkim::Algorithm::ed25519_sha256 : auth::dkim::Algorithm::rsa_sha256;
  const auth::dkim::KeyPair pair = auth::dkim::generate_keypair(algorithm, settings.bits);

  const std::filesystem::path key_path = settings.out + ".key";
  {
    std::ofstream create(key_path, std::ios::binary | std::ios::trunc);
    if (!create) {
      std::cerr << "maildog-ci keygen: cannot write " << key_path.string() << '\n';
      return k_exit_invalid;
    }
  }
  // The private key is readable by its owner only, before it is written.
  std::filesystem::permissions(key_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace);
  std::ofstream key_file(key_path, std::ios::binary | std::ios::trunc);
  key_file << pair.private_key_pem;
  key_file.close();
  if (!key_file) {
    std::cerr << "maildog-ci keygen: cannot write " << key_path.string() << '\n';
    return k_exit_environment;
  }

  std::cerr << "private key written to " << key_path.string() << '\n';
  std::cout << record_name << " IN TXT " << zone_file_strings(pair.dns_txt) << '\n';
  return k_exit_passed;
}

}  // namespace

Command add_keygen_command(CLI::App& app) {
  auto* command = app.add_subcommand("keygen", "Make a DKIM key pair: the private key file and its DNS TXT record");
  command->footer(
      "Writes PREFIX.key (PKCS#8 PEM, mode 0600) and prints the record to publish, e.g.\n"
      "  sel._domainkey.example.test IN TXT \"v=DKIM1; k=rsa; p=...\"\n"
      "Exit code 0 on success, 2 for bad usage.");
  auto settings = std::make_shared<KeygenSettings>();
  command->add_option("--type,--algorithm", settings->algorithm, "rsa (rsa-sha256) or ed25519 (ed25519-sha256)")
      ->check(CLI::IsMember({"rsa", "ed25519"}))
      ->capture_default_str();
  command->add_option("--bits", settings->bits, "RSA key size (RFC 8301: at least 1024)")
      ->check(CLI::Range(1024U, 8192U))
      ->capture_default_str();
  command->add_option("--selector", settings->selector, "The selector (s=)")->required();
  command->add_option("--domain", settings->domain, "The signing domain (d=)")->required();
  command->add_option("--out", settings->out, "Path prefix of the private key file")->required();
  return [command, settings]() {
    if (!command->parsed()) {
      return -1;
    }
    return run_keygen(*settings);
  };
}

}  // namespace maildog::cli
