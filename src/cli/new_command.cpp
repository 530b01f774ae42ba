// `maildog-ci new --from BOUNCE`: a production bounce (a reply, a bounce message, a log line)
// turned into a scenario that reproduces it in the sandbox. Reading is bounce/, writing the YAML
// is scaffold/; this file reads the input and writes the file without ever half-writing it.
#include <fcntl.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>

#include "bounce/facts.hpp"
#include "cli/commands.hpp"
#include "explain/knowledge.hpp"
#include "scaffold/scenario_yaml.hpp"

namespace maildog::cli {

namespace {

struct NewSettings {
  std::string from;
  std::string output;
  std::optional<std::string> app;
  bool keep_addresses = false;
  bool force = false;
};

// At most explain::k_input_max bytes, as explain reads: the reader looks no further.
std::string read_bounded(std::istream& in) {
  std::string text(explain::k_input_max, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

// `-` is standard input, an existing file is read, anything else is the bounce text itself.
std::string read_from(const std::string& from) {
  if (from == "-") {
    return read_bounded(std::cin);
  }
  std::error_code error;
  if (std::filesystem::is_regular_file(from, error)) {
    std::ifstream in(from, std::ios::binary);
    if (!in) {
      throw std::runtime_error("cannot read " + from);
    }
    return read_bounded(in);
  }
  return from;
}

// Written to a temporary file beside `path`, then moved into place: a reader never sees half a
// scenario. Without `force`, link() refuses an existing file even if one appears meanwhile.
int write_atomically(const std::filesystem::path& path, const std::string& text, bool force) {
  if (!force && std::filesystem::exists(path)) {
    std::cerr << "maildog-ci new: " << path.string() << " exists; pass --force to replace it\n";
    return k_exit_invalid;
  }
  const std::filesystem::path folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::random_device random;
  const std::filesystem::path temporary =
      folder / ("." + path.filename().string() + ".tmp-" + std::to_string(random()) + std::to_string(::getpid()));
  {
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      throw std::runtime_error("cannot write " + temporary.string() + ": " + std::strerror(errno));
    }
    std::size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        const int saved = errno;
        ::close(fd);
        std::filesystem::remove(temporary);
        throw std::runtime_error("cannot write " + temporary.string() + ": " + std::strerror(saved));
      }
      written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
      std::filesystem::remove(temporary);
      throw std::runtime_error("cannot write " + temporary.string() + ": " + std::strerror(errno));
    }
  }
  if (force) {
    std::filesystem::rename(temporary, path);
    return k_exit_passed;
  }
  if (::link(temporary.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    std::filesystem::remove(temporary);
    if (saved == EEXIST) {
      std::cerr << "maildog-ci new: " << path.string() << " exists; pass --force to replace it\n";
      return k_exit_invalid;
    }
    throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(saved));
  }
  std::filesystem::remove(temporary);
  return k_exit_passed;
}

int run_new(const NewSettings& settings) {
  const std::string input = read_from(settings.from);
  const auto read = bounce::read_bounce(input);
  if (!read.facts) {
    std::cerr << "maildog-ci new: " << read.error << ".\n"
              << "Expected an SMTP reply such as \"550 5.1.1 <user@example.com>: Recipient address rejected: User "
                 "unknown\",\na bounce message (.eml), or a Postfix, Exim or Sendmail log line that contains one.\n";
    return k_exit_invalid;
  }
  const auto& reply = read.facts->reply;
  const int cls = reply.code != 0 ? reply.code / 100 : (reply.enhanced ? reply.enhanced->cls : 0);
  if (cls != 4 && cls != 5) {
    // A 250 in a transcript is no bounce: a scenario that "reproduces" it would test nothing.
    std::cerr << "maildog-ci new: the reply found ("
              << (reply.code != 0 ? std::to_string(reply.code) : reply.enhanced->str())
              << ") is not a refusal; new --from needs a 4xx or 5xx reply.\n";
    return k_exit_invalid;
  }
  const auto diagnosis = explain::diagnose(read.facts->reply);
  const std::string yaml =
      scaffold::scenario_yaml(*read.facts, diagnosis, {.app = settings.app, .keep_addresses = settings.keep_addresses});
  if (settings.output.empty() || settings.output == "-") {
    std::cout << yaml;
    return k_exit_passed;
  }
  const int code = write_atomically(settings.output, yaml, settings.force);
  if (code == k_exit_passed && !settings.app) {
    std::cerr << "maildog-ci new: wrote " << settings.output
              << "; fill in app.run with your app's command (or pass --app \"CMD\"), then: maildog-ci run "
              << settings.output << "\n";
  }
  return code;
}

}  // namespace

Command add_new_command(CLI::App& app) {
  auto* command = app.add_subcommand("new", "Turn a production bounce into a scenario that reproduces it");
  command->footer(
      "BOUNCE is a reply line, a bounce message file (an RFC 3464 DSN, an Exchange/Office 365 NDR, an Exim,\n"
      "qmail or Sendmail bounce), a Postfix, Exim or Sendmail log line, or - for standard input.\n"
      "The scenario refuses at the stage the bounce names (else the one explain's knowledge base gives),\n"
      "with the exact reply text; the bounce's addresses become test addresses unless --keep-addresses.\n"
      "\n"
      "Examples:\n"
      "  maildog-ci new --from \"550 5.1.1 <ghost@example.net>: Recipient address rejected: User unknown\" \\\n"
      "                 --app \"python3 send.py --to user1@recipient.test\" -o scenarios/ghost.yaml\n"
      "  maildog-ci new --from bounce.eml -o scenarios/bounce.yaml\n"
      "  grep status=bounced /var/log/mail.log | tail -1 | maildog-ci new --from - --app \"./send-mail\"\n"
      "\n"
      "Without --app, app.run is a placeholder that validate refuses until you fill it in.\n"
      "Exit code 0 when the scenario was written, 2 when the input holds no SMTP reply or the file exists.");
  auto settings = std::make_shared<NewSettings>();
  command->add_option("--from", settings->from, "The bounce: a reply, a file, or - for standard input")
      ->required()
      ->type_name("BOUNCE");
  command->add_option("-o,--output", settings->output, "Write the scenario to FILE (default: standard output)")
      ->type_name("FILE");
  command->add_flag("--force", settings->force, "Replace FILE if it exists");
  command->add_option("--app", settings->app, "app.run: the shell command that runs your app")->type_name("CMD");
  command->add_flag("--keep-addresses", settings->keep_addresses,
                    "Keep the bounce's addresses instead of replacing them with test addresses");
  return [command, settings]() {
    if (!command->parsed()) {
      return -1;
    }
    return run_new(*settings);
  };
}

}  // namespace maildog::cli
