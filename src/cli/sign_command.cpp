#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/dkim/sign.hpp"
#include "auth/dkim/signature.hpp"
#include "cli/commands.hpp"

namespace maildog::cli {

namespace {

// RFC 8410 3: the Ed25519 algorithm identifier is OID 1.3.101.112, DER 06 03 2B 65 70.
constexpr std::string_view k_ed25519_oid_der{"\x06\x03\x2b\x65\x70", 5};
constexpr std::string_view k_pem_begin = "-----BEGIN ";

struct SignSettings {
  std::string message_path;
  std::string key_path;
  std::string selector;
  std::string domain;
  std::string type;  // empty: from the key
  std::string headers;
  std::string canonicalization = "relaxed/relaxed";
  std::string out;
};

std::optional<std::string> read_whole_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    return std::nullopt;
  }
  return text.str();
}

// The algorithm a key file is for: PKCS#1 PEM is RSA; PKCS#8 PEM names its algorithm by OID;
// anything without PEM armour is a raw or base64 Ed25519 seed or secret key (sign.hpp).
auth::dkim::Algorithm algorithm_of_key(const std::string& key) {
  if (key.find("-----BEGIN RSA PRIVATE KEY-----") != std::string::npos) {
    return auth::dkim::Algorithm::rsa_sha256;
  }
  const auto begin = key.find(k_pem_begin);
  if (begin == std::string::npos) {
    return auth::dkim::Algorithm::ed25519_sha256;
  }
  const auto body_start = key.find('\n', begin);
  const auto body_end = key.find("-----END ", begin);
  if (body_start == std::string::npos || body_end == std::string::npos || body_end < body_start) {
    throw std::invalid_argument("the key file is not a complete PEM block");
  }
  std::string body;
  for (char c : key.substr(body_start, body_end - body_start)) {
    if (c != '\r' && c != '\n' && c != ' ' && c != '\t') {
      body += c;
    }
  }
  const auto der = auth::dkim::decode_base64(body);
  if (!der) {
    throw std::invalid_argument("the key file's PEM body is not valid base64");
  }
  return der->find(k_ed25519_oid_der) != std::string::npos ? auth::dkim::Algorithm::ed25519_sha256
                                                           : auth::dkim::Algorithm::rsa_sha256;
}

auth::dkim::Canonicalization canonicalization_named(const std::string& name) {
  if (name == "relaxed") {
    return auth::dkim::Canonicalization::relaxed;
  }
  if (name == "simple") {
    return auth::dkim::Canonicalization::simple;
  }
  throw std::invalid_argument("--canonicalization: expected simple or relaxed, got \"" + name + "\"");
}

// "h:t:..." as names; empty entries (a trailing colon) are skipped.
std::vector<std::string> header_names(const std::string& list) {
  std::vector<std::string> names;
  std::size_t at = 0;
  while (at <= list.size()) {
    const auto colon = std::min(list.find(':', at), list.size());
    if (colon > at) {
      names.push_back(list.substr(at, colon - at));
    }
    at = colon + 1;
  }
  return names;
}

auth::dkim::SignOptions sign_options(const SignSettings& settings, std::string key) {
  auth::dkim::SignOptions options;
  options.domain = settings.domain;
  options.selector = settings.selector;
  if (settings.type.empty()) {
    options.algorithm = algorithm_of_key(key);
  } else {
    options.algorithm =
        settings.type == "ed25519" ? auth::dkim::Algorithm::ed25519_sha256 : auth::dkim::Algorithm::rsa_sha256;
  }
  options.private_key = std::move(key);
  if (!settings.headers.empty()) {
    options.headers = header_names(settings.headers);
  }
  // RFC 6376 3.5 c=: "header/body"; a lone value is the header algorithm, body "simple".
  const auto slash = settings.canonicalization.find('/');
  options.header_canonicalization = canonicalization_named(settings.canonicalization.substr(0, slash));
  options.body_canonicalization = slash == std::string::npos
                                      ? auth::dkim::Canonicalization::simple
                                      : canonicalization_named(settings.canonicalization.substr(slash + 1));
  return options;
}

int run_sign(const SignSettings& settings) {
  auto message = read_whole_file(settings.message_path);
  if (!message) {
    std::cerr << "maildog-ci sign: cannot read message " << settings.message_path << '\n';
    return k_exit_invalid;
  }
  auto key = read_whole_file(settings.key_path);
  if (!key || key->empty()) {
    std::cerr << "maildog-ci sign: cannot read key " << settings.key_path << '\n';
    return k_exit_invalid;
  }
  std::string signature;
  try {
    signature = auth::dkim::sign(*message, sign_options(settings, std::move(*key)));
  } catch (const std::invalid_argument& error) {
    std::cerr << "maildog-ci sign: " << error.what() << '\n';
    return k_exit_invalid;
  }

  if (settings.out.empty()) {
    std::cout << signature << *message << std::flush;
    return std::cout ? k_exit_passed : k_exit_environment;
  }
  std::ofstream out(settings.out, std::ios::binary | std::ios::trunc);
  out << signature << *message;
  out.close();
  if (!out) {
    std::cerr << "maildog-ci sign: cannot write " << settings.out << '\n';
    return k_exit_environment;
  }
  return k_exit_passed;
}

}  // namespace

Command add_sign_command(CLI::App& app) {
  auto* command = app.add_subcommand("sign", "DKIM-sign a message: print it with a DKIM-Signature header in front");
  command->footer(
      "The key is a file written by `maildog-ci keygen` (or any PKCS#1/PKCS#8 PEM key).\n"
      "Exit code 0 on success, 2 for bad usage, a missing or unusable key or message.");
  auto settings = std::make_shared<SignSettings>();
  command->add_option("message", settings->message_path, "The message file (.eml)")->required();
  command->add_option("--key", settings->key_path, "The private key file")->required();
  command->add_option("--selector", settings->selector, "The selector (s=)")->required();
  command->add_option("--domain", settings->domain, "The signing domain (d=)")->required();
  command->add_option("--type,--algorithm", settings->type, "rsa or ed25519 (default: from the key)")
      ->check(CLI::IsMember({"rsa", "ed25519"}));
  command->add_option("--headers", settings->headers, "Header names to sign, colon-separated (h=)");
  command->add_option("--canonicalization", settings->canonicalization, "header/body: simple or relaxed (c=)")
      ->capture_default_str();
  command->add_option("--out", settings->out, "Write the signed message here instead of standard output");
  return [command, settings]() {
    if (!command->parsed()) {
      return -1;
    }
    return run_sign(*settings);
  };
}

}  // namespace maildog::cli
