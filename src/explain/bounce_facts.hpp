// What a bounce message or a mail log line says besides the reply itself: which MTA wrote it, the
// recipients it names as failed, the envelope sender, and the command the reply answered when the
// reply's own line does not say (a DSN's Diagnostic-Code never does; its notification part, an
// Exim "after RCPT TO" line or a Sendmail ">>> RCPT" transcript does). Pure over a string_view.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "explain/text_lines.hpp"

namespace maildog::explain {

struct BounceFacts {
  std::string mta;                      // "Exim", "Postfix", "Sendmail", "qmail", ...; empty when unknown
  std::vector<std::string> recipients;  // X-Failed-Recipients, else Final-Recipient fields, else a log's to=<>
  std::string sender;                   // X-Postfix-Sender, a log's from=<> or F=<>; empty when not named
  std::string stage;                    // "RCPT TO", "end of DATA", ... (as stage_name gives them), or empty
};

BounceFacts bounce_facts(std::string_view input);

// "RCPT TO", "MAIL FROM", "end of DATA", "DATA", "EHLO", "STARTTLS", "AUTH", "connect" from the
// words a log or bounce uses for a command ("RCPT To:<x>", "end of DATA command", "initial
// connection"); empty when none of them is there.
std::string stage_name(std::string_view words);

// Sendmail's transcript: the last ">>> COMMAND" before the first refusing "<<< 4xx/5xx" line, as
// a stage_name ("." is the end of DATA), with that ">>> " line (at most 60 characters) as the
// evidence; nullopt without such a pair or when the command names no stage.
struct TranscriptStage {
  std::string stage;
  std::string command_line;
};
std::optional<TranscriptStage> transcript_stage(const text::Lines& lines);

// A stage_name ("RCPT TO", "end of DATA", "EHLO", ...) as a scenario's `at:` stage ("rcpt",
// "end_of_data", "helo", ...); empty for an empty or unknown name.
std::string_view scenario_stage(std::string_view stage_name);

}  // namespace maildog::explain
