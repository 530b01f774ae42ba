#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "explain/explanation.hpp"
#include "explain/render.hpp"

namespace maildog::cli {

namespace {

struct ExplainSettings {
  std::vector<std::string> words;
  bool json = false;
};

// At most k_input_max bytes: the parser looks no further, and a pipe of any size must not be
// read into memory whole.
std::string read_bounded(std::istream& in) {
  std::string text(explain::k_input_max, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

int run_explain(const ExplainSettings& settings) {
  std::string input;
  if (settings.words.empty() || (settings.words.size() == 1 && settings.words[0] == "-")) {
    input = read_bounded(std::cin);
  } else {
    // `explain 550 5.1.1 User unknown` without quotes: the words are one reply.
    for (const auto& word : settings.words) {
      input += (input.empty() ? "" : " ") + word;
    }
  }
  const auto search = explain::find_reply(input);
  if (!search.reply) {
    std::cerr << "maildog-ci explain: " << search.error << ".\n"
              << "Expected an SMTP reply such as \"550 5.1.1 <user@example.com>: Recipient address rejected: User "
                 "unknown\",\na mail log line that contains one, or a bounce message with a Diagnostic-Code: field.\n";
    return k_exit_invalid;
  }
  const auto explanation = explain::explain(*search.reply);
  if (settings.json) {
    // Bounces carry Latin-1 and broken bytes: invalid UTF-8 becomes U+FFFD instead of an exception.
    std::cout << explain::render_json(explanation).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << '\n';
  } else {
    explain::render_text(explanation, std::cout);
  }
  return k_exit_passed;
}

}  // namespace

Command add_explain_command(CLI::App& app) {
  auto* command =
      app.add_subcommand("explain", "Explain an SMTP reply or bounce: what it means, the likely causes and the fixes");
  command->footer(
      "REPLY is a reply line, a multi-line reply, a mail log line or a whole bounce message; with no REPLY (or -)\n"
      "it is read from standard input. Several words are joined into one reply.\n"
      "\n"
      "Examples:\n"
      "  maildog-ci explain \"550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's\n"
      "                     DMARC policy. Please contact the administrator of example.com domain.\"\n"
      "  grep status=bounced /var/log/mail.log | tail -1 | maildog-ci explain\n"
      "  maildog-ci explain --json < bounce.eml\n"
      "\n"
      "Exit code 0 when a reply was found, 2 when the input holds no SMTP reply code.");
  auto settings = std::make_shared<ExplainSettings>();
  command->add_option("reply", settings->words, "The reply, log line or bounce (default: standard input)");
  command->add_flag("--json", settings->json,
                    "Print JSON: code, enhanced, permanent, class, subject, detail, causes, fixes, ...");
  return [command, settings]() {
    if (!command->parsed()) {
      return -1;
    }
    return run_explain(*settings);
  };
}

}  // namespace maildog::cli
