#include "expect/evaluate.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "core/ascii.hpp"
#include "core/signals.hpp"
#include "expect/after_app.hpp"
#include "expect/transcript.hpp"
#include "lint/transaction.hpp"
#include "mime/mime.hpp"
#include "rules/engine.hpp"

namespace maildog::expect {

namespace {

using capture::TranscriptEntry;
using runner::Failure;

// Transcript lines shown before and after the line a failure is about.
constexpr std::size_t k_context_radius = 3;
// Observed items listed in an `actual` before "... and N more".
constexpr std::size_t k_listed_max = 3;
// Characters of app output quoted in an `actual`.
constexpr std::size_t k_excerpt_max = 200;

using ascii::iequals;
using ascii::lower;
using ascii::trim;
std::string to_upper(std::string_view text) { return ascii::upper(text); }

std::string counted(std::size_t n, std::string_view singular, std::string_view plural) {
  return std::to_string(n) + ' ' + std::string(n == 1 ? singular : plural);
}

// Text in double quotes with quotes, backslashes and control characters escaped, cut after
// `limit` bytes (on a UTF-8 boundary) with "..." appended.
std::string quote(std::string_view text, std::size_t limit = std::string_view::npos) {
  bool cut = false;
  if (text.size() > limit) {
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      --end;
    }
    text = text.substr(0, end);
    cut = true;
  }
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7F) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02X", byte);
      out += buffer;
    } else {
      out += c;
    }
  }
  out += cut ? "...\"" : "\"";
  return out;
}

// A pattern as written: regexes as "/.../i", other patterns quoted unless they are plain words
// (addresses, hostnames).
std::string show(const rules::TextMatch& match) {
  if (match.kind() == rules::TextMatch::Kind::regex) {
    return match.pattern();
  }
  const auto& text = match.pattern();
  const bool plain = !text.empty() && text.find_first_of(" \t\"\\") == std::string::npos;
  return plain ? text : quote(text);
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out += separator;
    }
    out += item;
  }
  return out;
}

// The first k_listed_max items joined by "; ", then "; ... and N more".
std::string listed(const std::vector<std::string>& items) {
  std::vector<std::string> shown(items.begin(),
                                 items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), k_listed_max)));
  std::string out = join(shown, "; ");
  if (items.size() > shown.size()) {
    out += "; ... and " + std::to_string(items.size() - shown.size()) + " more";
  }
  return out;
}

// "exactly 2 times", "at least 1 time", "between 1 and 3 times", "at most 0 times".
std::string count_phrase(std::optional<std::size_t> count, std::optional<std::size_t> min,
                         std::optional<std::size_t> max, std::string_view singular, std::string_view plural) {
  if (count) {
    return "exactly " + counted(*count, singular, plural);
  }
  if (min && max) {
    return "between " + std::to_string(*min) + " and " + counted(*max, singular, plural);
  }
  if (max) {
    return "at most " + counted(*max, singular, plural);
  }
  return "at least " + counted(min.value_or(1), singular, plural);
}

bool count_holds(std::size_t n, std::optional<std::size_t> count, std::optional<std::size_t> min,
                 std::optional<std::size_t> max) {
  if (count) {
    return n == *count;
  }
  if (!min && !max) {
    return n >= 1;
  }
  return n >= min.value_or(0) && (!max || n <= *max);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    std::string_view line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    lines.emplace_back(line);
    pos = eol == std::string_view::npos ? text.size() : eol + 1;
  }
  return lines;
}

// MAIL FROM:<a@b> SIZE=10 -> "a@b"; RCPT TO:c@d -> "c@d".
std::string path_argument(std::string_view rest) {
  auto colon = rest.find(':');
  if (colon == std::string_view::npos) {
    return std::string(trim(rest));
  }
  std::string_view path = trim(rest.substr(colon + 1));
  if (!path.empty() && path.front() == '<') {
    auto close = path.find('>');
    return std::string(path.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  return std::string(path.substr(0, path.find(' ')));
}

// "250-first" continues a reply; "250 last" and "250" end it.
bool continues(std::string_view line) { return line.size() >= 4 && line[3] == '-'; }

// Everything one evaluation needs, computed once.
struct Observation {
  const runner::ScenarioResult& result;
  std::vector<std::string> lines;  // normalised, one for one with render_lines()
  std::vector<CommandReply> replies;
  std::vector<const capture::TransactionRecord*> transactions;  // all, in order
  std::vector<std::uint64_t> transaction_session;               // session id of each

  std::vector<std::string> around(std::size_t index) const {
    if (lines.empty()) {
      return {};
    }
    index = std::min(index, lines.size() - 1);
    const std::size_t from = index >= k_context_radius ? index - k_context_radius : 0;
    const std::size_t to = std::min(lines.size(), index + k_context_radius + 1);
    return {lines.begin() + static_cast<std::ptrdiff_t>(from), lines.begin() + static_cast<std::ptrdiff_t>(to)};
  }

  std::vector<std::string> last_lines() const {
    return lines.empty() ? std::vector<std::string>{} : around(lines.size() - 1);
  }

  // The first reply from `from` on that `pick` accepts; nullptr when none does.
  template <typename Pick>
  const CommandReply* find_reply(Pick pick, const CommandReply* from = nullptr) const {
    auto it = from == nullptr ? replies.begin() : replies.begin() + (from - replies.data());
    it = std::find_if(it, replies.end(), pick);
    return it == replies.end() ? nullptr : &*it;
  }

  // The lines around `reply`'s command; the closing lines when there is no reply to point at.
  std::vector<std::string> around(const CommandReply* reply) const {
    return reply == nullptr ? last_lines() : around(reply->command_line);
  }
};

// What replies and the transcript are judged on: the sandbox's record, or for a client.target
// scenario (the sandbox saw nothing) the scripted client's own transcript.
const std::vector<capture::SessionRecord>& judged_sessions(const scenario::Scenario& scenario,
                                                           const runner::ScenarioResult& result) {
  const bool elsewhere = scenario.client && !scenario.client->target.sandbox;
  return elsewhere ? result.client_sessions : result.sessions;
}

Observation observe(const runner::ScenarioResult& result, const std::vector<capture::SessionRecord>& judged) {
  Observation observation{result, normalised_lines(judged), command_replies(judged), {}, {}};
  for (const auto& session : result.sessions) {
    for (const auto& transaction : session.transactions) {
      observation.transactions.push_back(&transaction);
      observation.transaction_session.push_back(session.id);
    }
  }
  return observation;
}

// ---- where a failure points -----------------------------------------------------------------
// An excerpt shows the reply or transaction an expectation is about; the session's closing
// lines say little about a refused RCPT three commands earlier.

bool is_rcpt_to(const CommandReply& reply, const rules::TextMatch& address) {
  return reply.command == "RCPT" && address.matches(reply.argument);
}

// The transaction of an accepted RCPT: its message's final reply (or DATA's refusal) in the
// same session; the RCPT itself when it was refused or no message followed.
const CommandReply* transaction_end(const Observation& observation, const CommandReply* rcpt) {
  if (rcpt == nullptr || !rcpt->reply.positive()) {
    return rcpt;
  }
  const CommandReply* end = observation.find_reply(
      [&](const CommandReply& reply) {
        return reply.session == rcpt->session &&
               (reply.command == "MAIL" || reply.command == "END_OF_DATA" ||
                (reply.command == "DATA" && reply.reply.code != 354));
      },
      rcpt);
  return end == nullptr || end->command == "MAIL" ? rcpt : end;
}

std::vector<std::string> delivered_context(const Observation& observation, const scenario::DeliveredExpect& expect) {
  if (expect.to) {
    if (const auto* rcpt = observation.find_reply([&](const CommandReply& r) { return is_rcpt_to(r, *expect.to); })) {
      return observation.around(transaction_end(observation, rcpt));
    }
  }
  const auto* message = observation.find_reply([](const CommandReply& r) { return r.command == "END_OF_DATA"; });
  return observation.around(message != nullptr ? message : observation.find_reply([](const CommandReply& r) {
    return r.command == "MAIL";
  }));
}

std::vector<std::string> not_delivered_context(const Observation& observation, const std::string& address) {
  return observation.around(transaction_end(observation, observation.find_reply([&](const CommandReply& r) {
    return r.command == "RCPT" && r.reply.positive() && iequals(r.argument, address);
  })));
}

// The refusal itself when there is one to show (too many, or another reason's); else the RCPT
// of the address the expectation names.
std::vector<std::string> rejected_context(const Observation& observation, const scenario::RejectedExpect& expect,
                                          const capture::RefusalRecord* refusal) {
  if (expect.to) {
    if (const auto* rcpt = observation.find_reply([&](const CommandReply& r) { return is_rcpt_to(r, *expect.to); })) {
      return observation.around(rcpt);
    }
  }
  if (refusal == nullptr) {
    return observation.last_lines();
  }
  return observation.around(observation.find_reply([&](const CommandReply& r) {
    return r.command == refusal->command && r.reply.code == refusal->reply.code &&
           (refusal->argument.empty() || iequals(r.argument, refusal->argument));
  }));
}

// Too many attempts: the first one beyond the limit; too few: the last one.
std::vector<std::string> retries_context(const Observation& observation, const scenario::RetryExpect& expect) {
  std::vector<const CommandReply*> attempts;
  for (const auto& reply : observation.replies) {
    if (reply.command == "RCPT" && iequals(reply.argument, expect.rcpt)) {
      attempts.push_back(&reply);
    }
  }
  if (attempts.empty()) {
    return observation.last_lines();
  }
  const bool too_many = expect.max_attempts && attempts.size() > *expect.max_attempts;
  return observation.around(too_many ? attempts[*expect.max_attempts] : attempts.back());
}

// A scripted step's command in the sandbox's transcript: the n-th line it sent as this step's
// action, n counted over the steps before it (a connect step: its session's greeting).
std::vector<std::string> step_context(const Observation& observation, const std::vector<runner::StepOutcome>& steps,
                                      std::size_t index) {
  const std::string& action = steps[index].action;
  const bool greeting = action.starts_with("connect") || action == "(read reply)";
  const std::string wanted = "C: " + normalise_text(action);
  std::size_t seen = 0;
  for (std::size_t i = 0; i < index; ++i) {
    seen += steps[i].action == action ? 1 : 0;
  }
  for (std::size_t line = 0; line < observation.lines.size(); ++line) {
    const bool hit = greeting ? observation.lines[line].starts_with("== session ") : observation.lines[line] == wanted;
    if (hit && seen-- == 0) {
      return observation.around(line);
    }
  }
  return observation.last_lines();
}

// One excerpt per place: a failure whose excerpt an earlier one already shows gets none, so
// several expectations about the same RCPT print it once.
void drop_repeated_excerpts(std::vector<Failure>& failures) {
  for (std::size_t i = 1; i < failures.size(); ++i) {
    auto& context = failures[i].context;
    for (std::size_t earlier = 0; earlier < i && !context.empty(); ++earlier) {
      const auto& shown = failures[earlier].context;
      if (std::search(shown.begin(), shown.end(), context.begin(), context.end()) != shown.end()) {
        context.clear();
      }
    }
  }
}

// ---- app ----------------------------------------------------------------------------------

std::string describe_exit(const runner::ProcessResult& app) {
  using Outcome = runner::ProcessResult::Outcome;
  switch (app.outcome) {
    case Outcome::exited:
      return "exit code " + std::to_string(app.exit_code);
    case Outcome::signaled:
      return "killed by signal " + signals::describe(app.signal);
    case Outcome::timed_out:
      // The runner's error already reads "timed out after 2s; process group 123 killed".
      return app.error.empty() ? std::string("timed out") : app.error;
    case Outcome::failed_to_start:
      return app.error.empty() ? std::string("failed to start") : "failed to start: " + app.error;
  }
  return "unknown outcome";
}

void check_output(const Observation& observation, const scenario::OutputExpect& expect, std::string_view stream,
                  const std::string& output, std::size_t line, std::vector<Failure>& failures) {
  const std::string base = "expect.app." + std::string(stream);
  const std::string stream_name(stream);
  auto nothing_or_excerpt = [&](std::string_view prefix) {
    return output.empty() ? stream_name + " was empty"
                          : std::string(prefix) + stream_name + ": " + quote(output, k_excerpt_max);
  };
  for (std::size_t i = 0; i < expect.contains.size(); ++i) {
    const auto& fragment = expect.contains[i];
    if (output.find(fragment) == std::string::npos) {
      failures.push_back({base + ".contains[" + std::to_string(i) + "]", line,
                          stream_name + " contains " + quote(fragment), nothing_or_excerpt("not found in "),
                          observation.last_lines()});
    }
  }
  for (std::size_t i = 0; i < expect.not_contains.size(); ++i) {
    const auto& fragment = expect.not_contains[i];
    auto found = output.find(fragment);
    if (fragment.empty() || found == std::string::npos) {
      continue;
    }
    const std::size_t line_start = output.rfind('\n', found) == std::string::npos ? 0 : output.rfind('\n', found) + 1;
    const std::size_t line_end = std::min(output.find('\n', found + fragment.size()), output.size());
    const auto line_number = static_cast<std::size_t>(std::count(
                                 output.begin(), output.begin() + static_cast<std::ptrdiff_t>(found), '\n')) +
                             1;
    failures.push_back({base + ".not_contains[" + std::to_string(i) + "]", line,
                        stream_name + " does not contain " + quote(fragment),
                        "found in " + stream_name + " line " + std::to_string(line_number) + ": " +
                            quote(std::string_view(output).substr(line_start, line_end - line_start), k_excerpt_max),
                        observation.last_lines()});
  }
  if (expect.regex && !expect.regex->matches(output)) {
    failures.push_back({base + ".regex", line, stream_name + " matches " + expect.regex->pattern(),
                        nothing_or_excerpt("no match in "), observation.last_lines()});
  }
}

// How the app ended, judged on `expect.app`'s exit, timed_out and signal, or without them on the
// rule of any test runner: exit 0 within the timeout. A failure names the key that decides, so
// the user sees what to write when the outcome was intended.
void check_app_outcome(const Observation& observation, const scenario::AppExpect* expect,
                       const scenario::AppSpec* spec, std::vector<Failure>& failures) {
  using Outcome = runner::ProcessResult::Outcome;
  const auto& app = *observation.result.app;
  if (app.outcome == Outcome::failed_to_start) {
    return;  // the scenario's error says why; an expectation on an app that never ran adds nothing
  }
  // Explicit keys point at `expect.app`; the default points at the `app:` that failed.
  const std::size_t line = expect ? expect->line : (spec ? spec->line : 0);
  auto fail = [&](std::string path, std::string expected, std::string actual) {
    failures.push_back({std::move(path), line, std::move(expected), std::move(actual), observation.last_lines()});
  };
  const std::string actual = describe_exit(app);
  if (expect && expect->timed_out.value_or(false)) {
    if (app.outcome != Outcome::timed_out) {
      fail("expect.app.timed_out", "the app runs into its timeout", actual + ", before its timeout");
    }
    return;
  }
  if (expect && expect->signal) {
    const bool holds = app.outcome == Outcome::signaled && app.signal == *expect->signal;
    if (!holds) {
      // The runner's SIGTERM/SIGKILL at the deadline is not the app dying of a signal.
      const std::string hint = app.outcome == Outcome::timed_out ? " (the runner's kill; expect timed_out: true)" : "";
      fail("expect.app.signal", "killed by signal " + signals::describe(*expect->signal), actual + hint);
    }
    return;
  }
  if (expect && (expect->exit || expect->exit_any)) {
    const bool holds = app.outcome == Outcome::exited && (expect->exit_any || app.exit_code == *expect->exit);
    if (!holds) {
      fail("expect.app.exit",
           expect->exit_any ? std::string("the app exits (any code)") : "exit code " + std::to_string(*expect->exit),
           actual);
    }
    return;
  }
  switch (app.outcome) {
    case Outcome::timed_out:
      fail("expect.app.timed_out", "the app exits before its timeout (expect.app.timed_out: true if it should not)",
           actual);
      return;
    case Outcome::signaled:
      fail("expect.app.signal", "the app exits (expect.app.signal names a signal it may die of)", actual);
      return;
    case Outcome::exited:
      if (app.exit_code != 0) {
        fail("expect.app.exit", "exit code 0 (expect.app.exit names another code, or any)", actual);
      }
      return;
    case Outcome::failed_to_start:
      return;
  }
}

void check_app(const Observation& observation, const scenario::AppExpect& expect, std::vector<Failure>& failures) {
  const auto& app = observation.result.app;
  if (!app) {
    failures.push_back(
        {"expect.app", expect.line, "the app's result", "the scenario ran no app", observation.last_lines()});
    return;
  }
  if (expect.stdout_expect) {
    check_output(observation, *expect.stdout_expect, "stdout", app->stdout_text, expect.line, failures);
  }
  if (expect.stderr_expect) {
    check_output(observation, *expect.stderr_expect, "stderr", app->stderr_text, expect.line, failures);
  }
}

// ---- replies ------------------------------------------------------------------------------

std::string command_text(std::string_view command, std::string_view argument) {
  return argument.empty() ? std::string(command) : std::string(command) + ' ' + std::string(argument);
}

std::string describe_reply(const CommandReply& reply) {
  return command_text(reply.command, reply.argument) + " -> " + reply.reply.summary();
}

// What an expectation wants of the reply itself: "550 5.7.26 \"text\"", or "any reply".
std::string wanted_reply(const scenario::ReplyExpect& expect) {
  std::string want;
  if (expect.code) {
    want = std::to_string(*expect.code);
  }
  if (expect.enhanced) {
    want += (want.empty() ? "" : " ") + expect.enhanced->str();
  }
  if (expect.text) {
    want +=
        (want.empty() ? "" : " ") +
        (expect.text->kind() == rules::TextMatch::Kind::regex ? expect.text->pattern() : quote(expect.text->pattern()));
  }
  return want.empty() ? "any reply" : want;
}

// "RCPT ghost@inbox.test", or "any command" when the expectation names none.
std::string wanted_command(const scenario::ReplyExpect& expect) {
  const std::string arg = expect.arg ? show(*expect.arg) : std::string();
  if (expect.command.empty()) {
    return arg.empty() ? "any command" : "any command on " + arg;
  }
  return command_text(expect.command, arg);
}

std::string describe(const scenario::ReplyExpect& expect) {
  std::string out = wanted_command(expect) + " -> " + wanted_reply(expect);
  if (expect.count || expect.min || expect.max) {
    out += " (" + count_phrase(expect.count, expect.min, expect.max, "time", "times") + ")";
  }
  return out;
}

bool reply_matches(const scenario::ReplyExpect& expect, const smtp::Reply& reply) {
  return (!expect.code || reply.code == *expect.code) && (!expect.enhanced || reply.enhanced == expect.enhanced) &&
         (!expect.text || expect.text->matches(reply.text()));
}

// The reply class an expectation names (5 for 550 or 5.7.26); 0 when it names neither code.
int wanted_class(const scenario::ReplyExpect& expect) {
  if (expect.code) {
    return *expect.code / 100;
  }
  return expect.enhanced ? expect.enhanced->cls : 0;
}

// Replies to other commands that are the refusal an expectation wants at its command: the
// usual mistake is the stage (the DMARC 550 comes at END_OF_DATA, not DATA). Positive replies
// are left out: a 250 answers nearly every command, so saying where else it came is noise.
std::vector<const CommandReply*> answered_elsewhere(const Observation& observation,
                                                    const scenario::ReplyExpect& expect) {
  std::vector<const CommandReply*> elsewhere;
  if (expect.command.empty() || wanted_class(expect) < 4) {
    return elsewhere;
  }
  for (const auto& reply : observation.replies) {
    if (!iequals(reply.command, expect.command) && reply_matches(expect, reply.reply)) {
      elsewhere.push_back(&reply);
    }
  }
  return elsewhere;
}

// "550 5.7.26 was the reply to END_OF_DATA, not to DATA (DATA -> 354 ...)"
std::string misplaced(const scenario::ReplyExpect& expect, const std::vector<const CommandReply*>& elsewhere,
                      const std::string& instead) {
  std::vector<std::string> commands;
  for (const auto* reply : elsewhere) {
    if (std::find(commands.begin(), commands.end(), reply->command) == commands.end()) {
      commands.push_back(reply->command);
    }
  }
  return wanted_reply(expect) + " was the reply to " + join(commands, " and ") + ", not to " + wanted_command(expect) +
         " (" + instead + ")";
}

std::vector<std::string> descriptions(const std::vector<const CommandReply*>& replies) {
  std::vector<std::string> out;
  for (const auto* reply : replies) {
    out.push_back(describe_reply(*reply));
  }
  return out;
}

struct ReplyMiss {
  std::string actual;
  const CommandReply* focus = nullptr;  // where the excerpt goes; null: the last lines
};

// Nothing matched an expectation without a command: the replies of the wanted class (the
// refusals, for a 550) are the nearest thing to it; all replies when it names no code.
ReplyMiss miss_any_command(const scenario::ReplyExpect& expect, const std::vector<const CommandReply*>& candidates) {
  if (candidates.empty()) {
    return {"no reply" + std::string(expect.arg ? " to " + wanted_command(expect) : " in the run"), nullptr};
  }
  const int cls = wanted_class(expect);
  std::vector<const CommandReply*> nearest;
  for (const auto* reply : candidates) {
    if (cls == 0 || reply->reply.code / 100 == cls) {
      nearest.push_back(reply);
    }
  }
  if (nearest.empty()) {
    return {"no " + std::to_string(cls) + "xx reply among " + counted(candidates.size(), "reply", "replies"), nullptr};
  }
  const std::string label = cls == 0 ? std::string("replies") : std::to_string(cls) + "xx replies";
  return {label + ": " + listed(descriptions(nearest)), nearest.front()};
}

// Nothing matched an expectation that names a command: what that command got instead, and
// where the wanted refusal went if another command got it.
ReplyMiss miss_at_command(const Observation& observation, const scenario::ReplyExpect& expect,
                          const std::vector<const CommandReply*>& candidates, const CommandReply* same_verb) {
  ReplyMiss miss;
  if (candidates.empty()) {
    miss.actual = "no reply to " + wanted_command(expect);
    if (same_verb) {
      miss.actual += "; first " + to_upper(expect.command) + ": " + describe_reply(*same_verb);
    }
    miss.focus = same_verb;
  } else {
    miss.actual = listed(descriptions(candidates));
    miss.focus = candidates.front();
  }
  if (auto elsewhere = answered_elsewhere(observation, expect); !elsewhere.empty()) {
    miss.actual = misplaced(expect, elsewhere, miss.actual);
    miss.focus = elsewhere.front();
  }
  return miss;
}

void check_replies(const Observation& observation, const std::vector<scenario::ReplyExpect>& expects,
                   std::vector<Failure>& failures) {
  for (std::size_t i = 0; i < expects.size(); ++i) {
    const auto& expect = expects[i];
    std::vector<const CommandReply*> candidates;
    std::vector<const CommandReply*> matching;
    const CommandReply* same_verb = nullptr;
    for (const auto& reply : observation.replies) {
      // No command: every reply of the run is a candidate (`arg` still narrows them).
      if (!expect.command.empty() && !iequals(reply.command, expect.command)) {
        continue;
      }
      if (!same_verb) {
        same_verb = &reply;
      }
      if (expect.arg && !expect.arg->matches(reply.argument)) {
        continue;
      }
      candidates.push_back(&reply);
      if (reply_matches(expect, reply.reply)) {
        matching.push_back(&reply);
      }
    }
    if (count_holds(matching.size(), expect.count, expect.min, expect.max)) {
      continue;
    }
    ReplyMiss miss;
    if (matching.empty()) {
      miss = expect.command.empty() ? miss_any_command(expect, candidates)
                                    : miss_at_command(observation, expect, candidates, same_verb);
    } else {
      miss.actual =
          counted(matching.size(), "matching reply", "matching replies") + ": " + listed(descriptions(matching));
      // Too many: show where the first one beyond the allowed number happened.
      const std::size_t allowed = expect.count ? *expect.count : expect.max.value_or(matching.size());
      miss.focus = matching[std::min(allowed, matching.size() - 1)];
    }
    failures.push_back({"expect.replies[" + std::to_string(i) + "]", expect.line, describe(expect), miss.actual,
                        miss.focus ? observation.around(miss.focus->command_line) : observation.last_lines()});
  }
}

// ---- delivered / not_delivered / retries ----------------------------------------------------

// The stored copy, so a scenario can assert on the Authentication-Results header the sandbox adds.
std::vector<rules::Header> headers_of(const capture::TransactionRecord& transaction) {
  return transaction.message ? rules::parse_headers(transaction.stored_header_section()) : std::vector<rules::Header>{};
}

const rules::Header* find_header(const std::vector<rules::Header>& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (iequals(header.name, name)) {
      return &header;
    }
  }
  return nullptr;
}

// What expect.delivered[].mime looks at in one message, from the bytes as received.
struct MimeFacts {
  std::vector<std::string> types;        // every content type of the part tree, once each, in order
  std::vector<std::string> attachments;  // file names
  std::optional<std::string> text;       // the plain body, else the HTML body
  std::vector<std::string> problems;
};

void collect_mime(const mime::Part& part, MimeFacts& facts) {
  if (std::find(facts.types.begin(), facts.types.end(), part.content_type) == facts.types.end()) {
    facts.types.push_back(part.content_type);
  }
  if (mime::is_attachment(part) && !part.filename.empty()) {
    facts.attachments.push_back(part.filename);
  }
  for (const auto& child : part.children) {
    collect_mime(child, facts);
  }
}

MimeFacts mime_facts(const capture::TransactionRecord& transaction) {
  MimeFacts facts;
  if (!transaction.message) {
    return facts;
  }
  const std::string& message = *transaction.message;
  auto parsed = mime::parse(message);
  collect_mime(parsed.root, facts);
  facts.problems = std::move(parsed.problems);
  facts.text = mime::text_body(message, "plain");
  if (!facts.text) {
    facts.text = mime::text_body(message, "html");
  }
  return facts;
}

bool mime_holds(const scenario::MimeExpect& expect, const MimeFacts& facts) {
  auto has = [](const std::vector<std::string>& items, const std::string& item) {
    return std::find(items.begin(), items.end(), item) != items.end();
  };
  return std::all_of(expect.types.begin(), expect.types.end(),
                     [&](const std::string& type) { return has(facts.types, type); }) &&
         std::all_of(expect.attachments.begin(), expect.attachments.end(),
                     [&](const std::string& name) { return has(facts.attachments, name); }) &&
         std::all_of(expect.text_contains.begin(), expect.text_contains.end(),
                     [&](const std::string& text) {
                       return facts.text && facts.text->find(text) != std::string::npos;
                     }) &&
         (!expect.problems || *expect.problems == !facts.problems.empty());
}

std::vector<std::string> quoted_all(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    out.push_back(quote(item, k_excerpt_max));
  }
  return out;
}

// " MIME multipart/mixed, text/plain; attachments "a.pdf"; text "Hi..."; 1 MIME problem: ..."
// with only what `expect` asks about.
std::string describe_mime(const scenario::MimeExpect& expect, const MimeFacts& facts) {
  std::string out = " MIME " + join(facts.types, ", ");
  if (!expect.attachments.empty()) {
    out += facts.attachments.empty() ? std::string("; no attachment")
                                     : "; attachments " + join(quoted_all(facts.attachments), ", ");
  }
  if (!expect.text_contains.empty()) {
    out += facts.text ? "; text " + quote(*facts.text, k_excerpt_max) : std::string("; no text body");
  }
  if (expect.problems) {
    out += facts.problems.empty()
               ? std::string("; no MIME problem")
               : "; " + counted(facts.problems.size(), "MIME problem", "MIME problems") + ": " + listed(facts.problems);
  }
  return out;
}

// "from <a@x> to b@y, c@z Subject: "Hi" -> 250 2.0.0 Ok: queued as 0A1B" (session 1)
std::string describe_transaction(const capture::TransactionRecord& transaction, std::uint64_t session,
                                 const std::map<std::string, rules::TextMatch>& shown_headers,
                                 const scenario::MimeExpect* shown_mime = nullptr) {
  std::string out = "from <" + transaction.mail_from + "> to ";
  auto accepted = transaction.accepted_recipients();
  out += accepted.empty() ? std::string("no accepted recipient") : join(accepted, ", ");
  if (!shown_headers.empty()) {
    const auto headers = headers_of(transaction);
    for (const auto& [name, pattern] : shown_headers) {
      const auto* header = find_header(headers, name);
      out += ' ' + name + ": " + (header ? quote(header->value, k_excerpt_max) : std::string("(absent)"));
    }
  }
  if (shown_mime && transaction.message) {
    out += describe_mime(*shown_mime, mime_facts(transaction));
  }
  if (!transaction.auth_results.empty()) {
    std::vector<std::string> results;
    for (const auto& [method, result] : transaction.auth_results) {
      results.push_back(method + "=" + result);
    }
    out += " auth " + join(results, " ");
  }
  if (transaction.final_reply) {
    out += " -> " + transaction.final_reply->summary();
  } else if (transaction.data_reply) {
    out += " -> DATA " + transaction.data_reply->summary() + ", no message";
  } else {
    out += " -> no DATA";
  }
  return out + " (session " + std::to_string(session) + ")";
}

bool delivered_matches(const scenario::DeliveredExpect& expect, const capture::TransactionRecord& transaction) {
  if (expect.to) {
    auto accepted = transaction.accepted_recipients();
    if (std::none_of(accepted.begin(), accepted.end(),
                     [&](const std::string& rcpt) { return expect.to->matches(rcpt); })) {
      return false;
    }
  }
  if (expect.from && !expect.from->matches(transaction.mail_from)) {
    return false;
  }
  if (!expect.headers.empty()) {
    const auto headers = headers_of(transaction);
    for (const auto& wanted : expect.headers) {
      const bool any = std::any_of(headers.begin(), headers.end(), [&](const rules::Header& header) {
        return iequals(header.name, wanted.first) && wanted.second.matches(header.value);
      });
      if (!any) {
        return false;
      }
    }
  }
  for (const auto& [method, result] : expect.auth) {
    auto recorded = transaction.auth_results.find(method);
    if (recorded == transaction.auth_results.end() || recorded->second != result) {
      return false;
    }
  }
  return !expect.mime || mime_holds(*expect.mime, mime_facts(transaction));
}

// " with MIME types text/plain, application/pdf, attachments "a.pdf", text containing "Hi", no MIME problem"
std::string describe(const scenario::MimeExpect& expect) {
  std::vector<std::string> wanted;
  if (!expect.types.empty()) {
    wanted.push_back("MIME types " + join(expect.types, ", "));
  }
  if (!expect.attachments.empty()) {
    wanted.push_back("attachments " + join(quoted_all(expect.attachments), ", "));
  }
  if (!expect.text_contains.empty()) {
    wanted.push_back("text containing " + join(quoted_all(expect.text_contains), ", "));
  }
  if (expect.problems) {
    wanted.push_back(*expect.problems ? "MIME problems" : "no MIME problem");
  }
  return " with " + join(wanted, ", ");
}

std::string describe(const scenario::DeliveredExpect& expect) {
  std::string out = "a delivered message";
  if (expect.to) {
    out += " to " + show(*expect.to);
  }
  if (expect.from) {
    out += " from " + show(*expect.from);
  }
  std::vector<std::string> headers;
  for (const auto& [name, pattern] : expect.headers) {
    headers.push_back(name + ": " +
                      (pattern.kind() == rules::TextMatch::Kind::regex ? pattern.pattern() : quote(pattern.pattern())));
  }
  if (!headers.empty()) {
    out += " with " + join(headers, ", ");
  }
  std::vector<std::string> results;
  for (const auto& [method, result] : expect.auth) {
    results.push_back(method + "=" + result);
  }
  if (!results.empty()) {
    out += " with auth " + join(results, " ");
  }
  if (expect.mime) {
    out += describe(*expect.mime);
  }
  if (expect.count) {
    out += " (exactly " + counted(*expect.count, "message", "messages") + ")";
  }
  return out;
}

void check_delivered(const Observation& observation, const std::vector<scenario::DeliveredExpect>& expects,
                     std::vector<Failure>& failures) {
  for (std::size_t i = 0; i < expects.size(); ++i) {
    const auto& expect = expects[i];
    std::vector<std::string> delivered;
    std::vector<std::string> matching;
    std::vector<std::string> refused;
    for (std::size_t t = 0; t < observation.transactions.size(); ++t) {
      const auto& transaction = *observation.transactions[t];
      std::string text = describe_transaction(transaction, observation.transaction_session[t], expect.headers,
                                              expect.mime ? &*expect.mime : nullptr);
      if (!transaction.delivered) {
        refused.push_back(std::move(text));
      } else if (delivered_matches(expect, transaction)) {
        matching.push_back(text);
        delivered.push_back(std::move(text));
      } else {
        delivered.push_back(std::move(text));
      }
    }
    if (count_holds(matching.size(), expect.count, std::nullopt, std::nullopt)) {
      continue;
    }
    std::string actual;
    if (!matching.empty()) {
      actual = counted(matching.size(), "matching message", "matching messages") + " delivered: " + listed(matching);
    } else if (!delivered.empty()) {
      actual = "none of " + counted(delivered.size(), "delivered message", "delivered messages") +
               " matches: " + listed(delivered);
    } else if (!refused.empty()) {
      actual = "no message was delivered; not delivered: " + listed(refused);
    } else {
      actual = "no mail transaction was started";
    }
    failures.push_back({"expect.delivered[" + std::to_string(i) + "]", expect.line, describe(expect), actual,
                        delivered_context(observation, expect)});
  }
}

void check_not_delivered(const Observation& observation, const scenario::Expectations& expect,
                         std::vector<Failure>& failures) {
  for (std::size_t i = 0; i < expect.not_delivered.size(); ++i) {
    const auto& address = expect.not_delivered[i];
    std::vector<std::string> offending;
    for (std::size_t t = 0; t < observation.transactions.size(); ++t) {
      const auto& transaction = *observation.transactions[t];
      if (!transaction.delivered) {
        continue;
      }
      auto accepted = transaction.accepted_recipients();
      if (std::any_of(accepted.begin(), accepted.end(),
                      [&](const std::string& rcpt) { return iequals(rcpt, address); })) {
        offending.push_back(describe_transaction(transaction, observation.transaction_session[t], {}));
      }
    }
    if (!offending.empty()) {
      failures.push_back({"expect.not_delivered[" + std::to_string(i) + "]", expect.not_delivered_line,
                          "no delivered message to " + address, "delivered: " + listed(offending),
                          not_delivered_context(observation, address)});
    }
  }
}

// ---- rejected --------------------------------------------------------------------------------

std::string describe(const scenario::RejectedExpect& expect) {
  std::string out = (expect.count == 0U ? "no refusal for " : "a refusal for ") + expect.reason;
  if (expect.to) {
    out += " of " + show(*expect.to);
  }
  if (expect.code || expect.enhanced) {
    out += " with";
    if (expect.code) {
      out += " " + std::to_string(*expect.code);
    }
    if (expect.enhanced) {
      out += " " + expect.enhanced->str();
    }
  }
  if (expect.count && *expect.count > 0) {
    out += " (" + count_phrase(expect.count, std::nullopt, std::nullopt, "time", "times") + ")";
  }
  return out;
}

std::string describe(const capture::RefusalRecord& refusal, std::uint64_t session) {
  std::string subject = refusal.argument;
  if (subject.empty() && !refusal.recipients.empty()) {
    subject = "for " + join(refusal.recipients, ", ");
  }
  return refusal.reason + ": " + command_text(refusal.command, subject) + " -> " + refusal.reply.summary() +
         " (session " + std::to_string(session) + ")";
}

bool refusal_matches(const scenario::RejectedExpect& expect, const capture::RefusalRecord& refusal) {
  if (refusal.reason != expect.reason || (expect.code && refusal.reply.code != *expect.code) ||
      (expect.enhanced && refusal.reply.enhanced != expect.enhanced)) {
    return false;
  }
  if (!expect.to) {
    return true;
  }
  if (!refusal.argument.empty() && refusal.command == "RCPT") {
    return expect.to->matches(refusal.argument);
  }
  return std::any_of(refusal.recipients.begin(), refusal.recipients.end(),
                     [&](const std::string& rcpt) { return expect.to->matches(rcpt); });
}

void check_rejected(const Observation& observation, const std::vector<scenario::RejectedExpect>& expects,
                    std::vector<Failure>& failures) {
  for (std::size_t i = 0; i < expects.size(); ++i) {
    const auto& expect = expects[i];
    std::vector<std::string> matching;
    std::vector<std::string> others;
    const capture::RefusalRecord* extra_match = nullptr;  // the first one beyond the expected count
    const capture::RefusalRecord* first_other = nullptr;
    for (const auto& session : observation.result.sessions) {
      for (const auto& refusal : session.refusals) {
        const bool match = refusal_matches(expect, refusal);
        if (match && expect.count && matching.size() == *expect.count) {
          extra_match = &refusal;
        } else if (!match && first_other == nullptr) {
          first_other = &refusal;
        }
        (match ? matching : others).push_back(describe(refusal, session.id));
      }
    }
    const bool holds = expect.count ? matching.size() == *expect.count : !matching.empty();
    if (holds) {
      continue;
    }
    std::string actual;
    if (!matching.empty()) {
      actual = counted(matching.size(), "matching refusal", "matching refusals") + ": " + listed(matching);
    } else if (!others.empty()) {
      actual = "no such refusal; the sandbox refused: " + listed(others);
    } else {
      actual = "the sandbox refused nothing";
    }
    failures.push_back({"expect.rejected[" + std::to_string(i) + "]", expect.line, describe(expect), actual,
                        rejected_context(observation, expect, extra_match != nullptr ? extra_match : first_other)});
  }
}

void check_retries(const Observation& observation, const std::vector<scenario::RetryExpect>& expects,
                   std::vector<Failure>& failures) {
  for (std::size_t i = 0; i < expects.size(); ++i) {
    const auto& expect = expects[i];
    std::vector<std::string> attempts;
    for (std::size_t t = 0; t < observation.transactions.size(); ++t) {
      for (const auto& recipient : observation.transactions[t]->recipients) {
        if (iequals(recipient.address, expect.rcpt)) {
          attempts.push_back(recipient.reply.summary() + " (session " +
                             std::to_string(observation.transaction_session[t]) + ")");
        }
      }
    }
    const std::size_t n = attempts.size();
    const bool holds =
        (!expect.min_attempts || n >= *expect.min_attempts) && (!expect.max_attempts || n <= *expect.max_attempts);
    if (holds) {
      continue;
    }
    std::optional<std::size_t> min;
    std::optional<std::size_t> max;
    if (expect.min_attempts) {
      min = *expect.min_attempts;
    }
    if (expect.max_attempts) {
      max = *expect.max_attempts;
    }
    const std::string expected =
        count_phrase(std::nullopt, min, max, "RCPT attempt", "RCPT attempts") + " for " + expect.rcpt;
    const std::string actual =
        n == 0 ? "no RCPT for " + expect.rcpt : counted(n, "attempt", "attempts") + ": " + listed(attempts);
    failures.push_back({"expect.retries[" + std::to_string(i) + "]", expect.line, expected, actual,
                        retries_context(observation, expect)});
  }
}

// ---- lint ---------------------------------------------------------------------------------

// One transaction's lint findings, with where it happened.
struct LintedTransaction {
  std::uint64_t session = 0;
  std::size_t message = 0;  // 1-based within its session
  std::vector<lint::Finding> findings;
};

// "session 1, message 2, line 7: 2 lines end in LF without CR "Hello\n""
std::string describe(const LintedTransaction& linted, const lint::Finding& finding) {
  std::string out = "session " + std::to_string(linted.session) + ", message " + std::to_string(linted.message);
  if (finding.line > 0) {
    out += ", line " + std::to_string(finding.line);
  }
  out += ": " + finding.message;
  if (!finding.excerpt.empty()) {
    out += " \"" + finding.excerpt + "\"";
  }
  return out;
}

// The lines around the end of data of session `session_id`'s n-th message (1-based): where a
// lint finding is about; the closing lines when that reply cannot be found.
std::vector<std::string> message_context(const Observation& observation, std::uint64_t session_id,
                                         std::size_t message) {
  const auto& sessions = observation.result.sessions;
  std::size_t index = 0;
  while (index < sessions.size() && sessions[index].id != session_id) {
    ++index;
  }
  std::size_t seen = 0;
  return observation.around(observation.find_reply([&](const CommandReply& reply) {
    return reply.session == index && reply.command == "END_OF_DATA" && ++seen == message;
  }));
}

void check_lint(const Observation& observation, const std::vector<scenario::LintExpect>& expects,
                std::vector<Failure>& failures) {
  if (expects.empty()) {
    return;
  }
  std::vector<LintedTransaction> linted;
  for (std::size_t t = 0; t < observation.transactions.size(); ++t) {
    const std::uint64_t session = observation.transaction_session[t];
    const std::size_t message = !linted.empty() && linted.back().session == session ? linted.back().message + 1 : 1;
    linted.push_back({session, message, lint::lint_transaction(*observation.transactions[t])});
  }
  for (const auto& expect : expects) {
    std::vector<std::string> found;
    const LintedTransaction* first = nullptr;  // the first message with the finding
    for (const auto& transaction : linted) {
      for (const auto& finding : transaction.findings) {
        if (finding.name() == expect.finding) {
          found.push_back(describe(transaction, finding));
          first = first != nullptr ? first : &transaction;
        }
      }
    }
    if (expect.occurs != found.empty()) {
      continue;
    }
    const std::string path = "expect.lint." + expect.finding;
    if (expect.occurs) {
      failures.push_back({path, expect.line, "a " + expect.finding + " finding in a captured message",
                          linted.empty() ? std::string("no mail transaction was captured")
                                         : "none in " + counted(linted.size(), "captured mail transaction",
                                                                        "captured mail transactions"),
                          observation.last_lines()});
    } else {
      failures.push_back({path, expect.line, "no " + expect.finding + " finding in any captured message",
                          "found in " + counted(found.size(), "message", "messages") + ": " + listed(found),
                          message_context(observation, first->session, first->message)});
    }
  }
}

// ---- transcript ---------------------------------------------------------------------------

std::string display_path(const std::filesystem::path& path, const std::filesystem::path& dir) {
  if (!dir.empty()) {
    auto relative = path.lexically_relative(dir);
    if (!relative.empty() && *relative.begin() != "..") {
      return relative.generic_string();
    }
  }
  return path.generic_string();
}

void check_transcript(const Observation& observation, const scenario::Scenario& scenario,
                      std::vector<Failure>& failures) {
  const auto& expect = *scenario.expect.transcript;
  const std::string text = join_lines(observation.lines);
  for (std::size_t i = 0; i < expect.contains.size(); ++i) {
    if (text.find(expect.contains[i]) == std::string::npos) {
      failures.push_back({"expect.transcript.contains[" + std::to_string(i) + "]", expect.line,
                          "transcript contains " + quote(expect.contains[i]),
                          observation.lines.empty() ? std::string("no session was recorded")
                                                    : "not found in the normalised transcript",
                          observation.last_lines()});
    }
  }
  if (!expect.golden) {
    return;
  }
  const std::string shown = display_path(*expect.golden, scenario.dir);
  const std::string path = "expect.transcript.golden";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(*expect.golden, ec)) {
    failures.push_back({path, expect.line, "transcript as in " + shown,
                        shown + " does not exist; run with --update-golden to create it", observation.last_lines()});
    return;
  }
  const auto golden = split_lines(read_file(*expect.golden));
  const auto& lines = observation.lines;
  std::size_t index = 0;
  while (index < golden.size() && index < lines.size() && golden[index] == lines[index]) {
    ++index;
  }
  if (index == golden.size() && index == lines.size()) {
    return;
  }
  const std::string number = std::to_string(index + 1);
  const std::string want = index < golden.size() ? quote(golden[index]) : std::string("end of file");
  const std::string got = index < lines.size() ? quote(lines[index]) : std::string("end of transcript");
  failures.push_back({path, expect.line, "transcript as in " + shown + ", line " + number + ": " + want,
                      "line " + number + ": " + got + " (run with --update-golden to accept the new transcript)",
                      observation.around(std::min(index, lines.empty() ? 0 : lines.size() - 1))});
}

}  // namespace

std::vector<CommandReply> command_replies(const std::vector<capture::SessionRecord>& sessions) {
  std::vector<CommandReply> out;
  std::size_t line = 0;  // index into render_lines()
  for (std::size_t s = 0; s < sessions.size(); ++s) {
    const auto& session = sessions[s];
    std::string command = "CONNECT";
    std::string argument;
    std::size_t command_line = line;
    std::string pending;  // server lines of the reply being read, CRLF-joined
    std::size_t reply_line = 0;
    ++line;  // the session header
    auto flush = [&] {
      if (pending.empty()) {
        return;
      }
      if (auto reply = smtp::Reply::parse(pending)) {
        out.push_back({command, argument, std::move(*reply), s, command_line, reply_line});
      }
      pending.clear();
    };
    for (const auto& entry : session.transcript) {
      switch (entry.direction) {
        case TranscriptEntry::Direction::server:
          if (pending.empty()) {
            reply_line = line;
          } else {
            pending += "\r\n";
          }
          pending += entry.text;
          if (!continues(entry.text)) {
            flush();
          }
          break;
        case TranscriptEntry::Direction::client: {
          flush();
          if (entry.text == "***") {
            break;  // an AUTH continuation: replies still answer the AUTH command
          }
          std::string_view text = trim(entry.text);
          auto space = text.find(' ');
          command = to_upper(text.substr(0, space));
          std::string_view rest = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
          argument = command == "MAIL" || command == "RCPT" ? path_argument(rest) : std::string(trim(rest));
          command_line = line;
          break;
        }
        case TranscriptEntry::Direction::event:
          flush();
          if (entry.text.starts_with("message:")) {
            command = "END_OF_DATA";
            argument.clear();
            command_line = line;
          }
          break;
      }
      ++line;
    }
    flush();
  }
  return out;
}

namespace {

// "RCPT TO:<a@b> -> 550 5.1.1": the command and the reply it wants, as expect.replies says it.
std::string step_expected(const runner::StepOutcome& step) {
  return step.action + " -> " + (step.expected.empty() ? std::string("a reply") : step.expected);
}

// The reply that came ("RCPT TO:<a@b> -> 250 2.1.5 Ok"), or what went wrong when none did.
std::string step_actual(const runner::StepOutcome& step) {
  if (step.unexpected_reply && step.reply) {
    return step.action + " -> " + step.reply->summary();
  }
  return step.problem;
}

}  // namespace

// A scripted client step whose reply was not what it expects (or whose I/O failed) fails the
// scenario like any other expectation.
void check_steps(const Observation& observation, const std::vector<runner::StepOutcome>& steps,
                 std::vector<Failure>& failures) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto& step = steps[i];
    if (step.ok) {
      continue;
    }
    failures.push_back({"client.steps[" + std::to_string(i) + "]", step.line, step_expected(step), step_actual(step),
                        step_context(observation, steps, i)});
  }
}

std::vector<runner::Failure> evaluate(const scenario::Scenario& scenario, const runner::ScenarioResult& observed) {
  const Observation observation = observe(observed, judged_sessions(scenario, observed));
  const auto& expect = scenario.expect;
  std::vector<Failure> failures;
  check_steps(observation, observed.steps, failures);
  if (observed.app) {
    check_app_outcome(observation, expect.app ? &*expect.app : nullptr, scenario.app ? &*scenario.app : nullptr,
                      failures);
  }
  if (expect.app) {
    check_app(observation, *expect.app, failures);
  }
  check_then_steps(scenario, observed, failures);  // they ran before the mail was judged
  check_replies(observation, expect.replies, failures);
  check_delivered(observation, expect.delivered, failures);
  check_not_delivered(observation, expect, failures);
  check_rejected(observation, expect.rejected, failures);
  check_retries(observation, expect.retries, failures);
  mark_timed_out(expect, failures);
  if (expect.transcript) {
    check_transcript(observation, scenario, failures);
  }
  check_lint(observation, expect.lint, failures);
  drop_repeated_excerpts(failures);
  return failures;
}

std::vector<runner::Failure> evaluate_mail(const scenario::Scenario& scenario, const scenario::Expectations& block,
                                           const std::string& path, const runner::ScenarioResult& observed) {
  const Observation observation = observe(observed, judged_sessions(scenario, observed));
  std::vector<Failure> failures;
  check_replies(observation, block.replies, failures);
  check_delivered(observation, block.delivered, failures);
  check_not_delivered(observation, block, failures);
  check_rejected(observation, block.rejected, failures);
  check_retries(observation, block.retries, failures);
  const std::string_view prefix = "expect";
  for (auto& failure : failures) {
    if (failure.expectation.starts_with(prefix)) {
      failure.expectation = path + failure.expectation.substr(prefix.size());
    }
  }
  return failures;
}

namespace {

// The lines between the common head and tail of `before` and `after`, as "-" and "+" lines:
// enough to see what a transcript change was without a diff tool.
std::string changed_lines(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  std::size_t head = 0;
  while (head < before.size() && head < after.size() && before[head] == after[head]) {
    ++head;
  }
  std::size_t tail = 0;
  while (tail < before.size() - head && tail < after.size() - head &&
         before[before.size() - 1 - tail] == after[after.size() - 1 - tail]) {
    ++tail;
  }
  std::string out = "  from line " + std::to_string(head + 1) + ":\n";
  auto show = [&](const std::vector<std::string>& lines, char sign) {
    const std::size_t end = lines.size() - tail;
    for (std::size_t i = head; i < end && i < head + k_golden_change_lines; ++i) {
      out += std::string("  ") + sign + ' ' + lines[i] + '\n';
    }
    if (end - head > k_golden_change_lines) {
      out += "  " + std::string(1, sign) + " ... " + std::to_string(end - head - k_golden_change_lines) + " more\n";
    }
  };
  show(before, '-');
  show(after, '+');
  return out;
}

}  // namespace

std::optional<std::string> update_golden(const scenario::Scenario& scenario, const runner::ScenarioResult& observed) {
  const auto& transcript = scenario.expect.transcript;
  if (!transcript || !transcript->golden) {
    return std::nullopt;
  }
  const auto& path = *transcript->golden;
  const auto lines = normalised_lines(judged_sessions(scenario, observed));
  const std::string content = join_lines(lines);
  std::error_code ec;
  const bool existed = std::filesystem::is_regular_file(path, ec);
  const std::string before = existed ? read_file(path) : std::string();
  if (existed && before == content) {
    return std::nullopt;
  }
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      throw std::runtime_error("cannot create " + path.parent_path().string() + ": " + ec.message());
    }
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) {
    throw std::runtime_error("cannot write golden file " + path.string());
  }
  const std::string shown = display_path(path, scenario.dir);
  if (!existed) {
    return "golden transcript " + shown + ": created (" + std::to_string(lines.size()) + " lines)\n";
  }
  return "golden transcript " + shown + ": updated\n" + changed_lines(split_lines(before), lines);
}

}  // namespace maildog::expect
