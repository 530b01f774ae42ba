#include "explain/reply_text.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "core/ascii.hpp"
#include "explain/bounce_facts.hpp"

namespace maildog::explain {

namespace {

using Lines = std::vector<std::string_view>;

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_space(char c) { return c == ' ' || c == '\t'; }

Lines split_lines(std::string_view text) {
  Lines lines;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    lines.push_back(line);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
  }
  return lines;
}

std::string_view trim_left(std::string_view text) {
  while (!text.empty() && is_space(text.front())) {
    text.remove_prefix(1);
  }
  return text;
}

std::size_t find_ci(std::string_view text, std::string_view needle, std::size_t from = 0) {
  if (needle.size() > text.size()) {
    return std::string_view::npos;
  }
  for (std::size_t i = from; i + needle.size() <= text.size(); ++i) {
    if (ascii::iequals(text.substr(i, needle.size()), needle)) {
      return i;
    }
  }
  return std::string_view::npos;
}

bool contains_ci(std::string_view text, std::string_view needle) {
  return find_ci(text, needle) != std::string_view::npos;
}

// "5.7.1", "#5.7.1" (Exchange) or "5.7.1," at the start of `text`, with its length.
struct EnhancedToken {
  smtp::EnhancedCode code;
  std::size_t length = 0;
};

std::optional<EnhancedToken> enhanced_at(std::string_view text) {
  const std::size_t start = !text.empty() && text.front() == '#' ? 1 : 0;
  std::size_t end = start;
  while (end < text.size() && (is_digit(text[end]) || text[end] == '.')) {
    ++end;
  }
  std::size_t token_end = end;
  while (token_end > start && text[token_end - 1] == '.') {
    --token_end;
  }
  if (end < text.size() && is_alnum(text[end])) {
    return std::nullopt;
  }
  auto code = smtp::EnhancedCode::parse(text.substr(start, token_end - start));
  if (!code) {
    return std::nullopt;
  }
  return EnhancedToken{*code, end};
}

// Characters after which a bare three-digit number is taken for a reply code: log and library
// formats put one of these right before it ("said: 550", "'550 ...'", "#550", "smtp;550", "<** 550").
constexpr bool is_marker(char c) {
  constexpr std::string_view k_markers = ":'\"(#<>*;[";
  return k_markers.find(c) != std::string_view::npos;
}

struct Candidate {
  std::size_t line = 0;
  std::size_t column = 0;  // where the three digits start
  int code = 0;
  char separator = ' ';     // ' ', '-', ',' (a Python (550, b'...') tuple) or '\0' at the end of the line
  char quote = '\0';        // the quote that opens the text of a Python tuple
  bool line_start = false;  // nothing but blanks before the code
  std::optional<smtp::EnhancedCode> enhanced;
  std::size_t text_start = 0;  // column where the text after the code (and enhanced code) starts
};

std::optional<Candidate> code_in_line(std::string_view line, std::size_t line_index) {
  for (std::size_t p = 0; p + 3 <= line.size(); ++p) {
    if (line[p] < '2' || line[p] > '5' || !is_digit(line[p + 1]) || !is_digit(line[p + 2])) {
      continue;
    }
    if (p > 0 && (is_alnum(line[p - 1]) || line[p - 1] == '.' || line[p - 1] == '-' || line[p - 1] == '/')) {
      continue;
    }
    Candidate candidate;
    candidate.line = line_index;
    candidate.column = p;
    candidate.code = (line[p] - '0') * 100 + (line[p + 1] - '0') * 10 + (line[p + 2] - '0');
    std::size_t after = p + 3;
    if (after == line.size()) {
      candidate.separator = '\0';
    } else if (line[after] == ' ' || line[after] == '-') {
      candidate.separator = line[after];
      ++after;
    } else if (line.substr(after).starts_with(", b'") || line.substr(after).starts_with(", '") ||
               line.substr(after).starts_with(", \"")) {
      candidate.separator = ',';
      after += line[after + 2] == 'b' ? 4 : 3;
      candidate.quote = line[after - 1];
    } else {
      continue;
    }
    std::size_t text = after;
    while (text < line.size() && is_space(line[text])) {
      ++text;
    }
    // "550 550 5.1.1 user unknown": a relaying MTA (Gmail's bounces) repeats the remote code.
    if (line.substr(text, 4) == std::string(line.substr(p, 3)) + ' ') {
      text += 4;
    }
    if (auto enhanced = enhanced_at(line.substr(text))) {
      candidate.enhanced = enhanced->code;
      text += enhanced->length;
    }
    candidate.text_start = text;
    std::size_t before = p;
    while (before > 0 && is_space(line[before - 1])) {
      --before;
    }
    candidate.line_start = before == 0;
    const bool after_marker = before > 0 && is_marker(line[before - 1]);
    if (candidate.enhanced || candidate.line_start || after_marker || candidate.separator == ',') {
      return candidate;
    }
  }
  return std::nullopt;
}

// Postfix "(in reply to RCPT TO command)", Exim "SMTP error from remote mail server after RCPT
// TO:<x>:", Postfix "NOQUEUE: reject: RCPT from host[ip]:".
std::string stage_in(std::string_view context) {
  if (std::size_t at = find_ci(context, "in reply to "); at != std::string_view::npos) {
    std::string_view rest = context.substr(at + 12);
    return stage_name(rest.substr(0, find_ci(rest, "command")));
  }
  if (std::size_t at = find_ci(context, "remote mail server after "); at != std::string_view::npos) {
    std::string_view rest = context.substr(at + 25);
    return stage_name(rest.substr(0, rest.find_first_of(":<")));
  }
  if (std::size_t at = find_ci(context, "reject: "); at != std::string_view::npos) {
    std::string_view rest = context.substr(at + 8);
    return stage_name(rest.substr(0, find_ci(rest, " from")));
  }
  return {};
}

std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (is_space(text[i]) || text[i] == '\n' || text[i] == '\r')) {
      ++i;
    }
    const std::size_t start = i;
    while (i < text.size() && !is_space(text[i]) && text[i] != '\n' && text[i] != '\r') {
      ++i;
    }
    if (i > start) {
      words.push_back(text.substr(start, i - start));
    }
  }
  return words;
}

// Folded multi-line replies leave "550-5.7.1" and "550 5.7.1" in the middle of the text (a DSN's
// Diagnostic-Code, a log that joined the lines); drops them and joins the words by single spaces.
std::string join_without_markers(std::string_view text, int code, const std::optional<smtp::EnhancedCode>& enhanced) {
  const std::string code_text = std::to_string(code);
  const std::string enhanced_text = enhanced ? enhanced->str() : std::string();
  const auto words = words_of(text);
  std::string out;
  auto append = [&out](std::string_view word) {
    if (!out.empty()) {
      out += ' ';
    }
    out += word;
  };
  for (std::size_t i = 0; i < words.size(); ++i) {
    std::string_view word = words[i];
    if (!enhanced_text.empty() && (word == enhanced_text || word == "#" + enhanced_text)) {
      continue;
    }
    if (word == code_text) {
      continue;
    }
    if (word.size() > code_text.size() && word.starts_with(code_text) && word[code_text.size()] == '-') {
      word.remove_prefix(code_text.size() + 1);
      if (word.empty() || word == enhanced_text) {
        continue;
      }
    }
    append(word);
  }
  return out;
}

std::string replace_escapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 'n' || text[i + 1] == 'r')) {
      out += ' ';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// The reply text without what log formats wrap around it.
std::string clean_text(std::string_view raw, int code, const std::optional<smtp::EnhancedCode>& enhanced, char opener) {
  std::string text = replace_escapes(raw);
  if (std::size_t at = find_ci(text, "(in reply to "); at != std::string::npos) {
    text.erase(at);
  }
  // Postfix's reject lines go on with the envelope: "; from=<a> to=<b> proto=...", or only
  // "; proto=SMTP helo=<x>" before MAIL FROM.
  for (const std::string_view tail : {std::string_view("; from=<"), std::string_view("; proto=")}) {
    if (std::size_t at = text.find(tail); at != std::string::npos) {
      text.erase(at);
    }
  }
  text = join_without_markers(text, code, enhanced);
  const std::size_t first = text.find_first_not_of(" :;,-");
  text.erase(0, first == std::string::npos ? text.size() : first);
  // Closing characters the log wrapped around the reply: unbalanced ones at the end go. Counted
  // once, so a text ending in a million ')' stays linear.
  auto count = [&text](char c) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), c)); };
  std::size_t opened = count('(');
  std::size_t closed = count(')');
  std::size_t angle_opened = count('<');
  std::size_t angle_closed = count('>');
  std::size_t singles = count('\'');
  std::size_t doubles = count('"');
  while (!text.empty()) {
    const char last = text.back();
    const std::size_t quotes = last == '\'' ? singles : doubles;
    const bool quote = last == '\'' || last == '"';
    if (last == ' ' || last == '#' || last == ',' || last == ';' || (quote && (last == opener || quotes % 2 == 1)) ||
        (last == ')' && closed > opened) || (last == '>' && angle_closed > angle_opened)) {
      closed -= last == ')' ? 1 : 0;
      angle_closed -= last == '>' ? 1 : 0;
      singles -= last == '\'' ? 1 : 0;
      doubles -= last == '"' ? 1 : 0;
      text.pop_back();
    } else {
      break;
    }
  }
  return text;
}

// The text of a reply found at `candidate`, with the continuation lines of a multi-line reply
// (the same code with '-' until a line with ' ') and the folded lines of a Postfix bounce. A reply
// that starts its line is a reply on its own; one inside a line was found in a log or message.
FoundReply reply_at(const Lines& lines, const Candidate& candidate, std::optional<ReplySource> source) {
  const std::string_view line = lines[candidate.line];
  const std::string_view before = line.substr(0, candidate.column);
  const char opener = [&] {
    std::string_view trimmed = before;
    while (!trimmed.empty() && is_space(trimmed.back())) {
      trimmed.remove_suffix(1);
    }
    return trimmed.empty() ? '\0' : trimmed.back();
  }();
  std::string raw;
  std::string_view own = line.substr(std::min(candidate.text_start, line.size()));
  if (candidate.separator == ',') {
    if (const std::size_t close = own.rfind(candidate.quote); close != std::string_view::npos) {
      own = own.substr(0, close);
    }
  }
  raw += own;
  std::size_t next = candidate.line + 1;
  const std::string code_text = std::to_string(candidate.code);
  if (candidate.separator == '-') {
    for (; next < lines.size(); ++next) {
      // "S: 250-..." transcripts repeat their prefix on every line.
      std::string_view continuation = trim_left(lines[next]);
      if (!trim_left(before).empty() && lines[next].substr(0, candidate.column) == before) {
        continuation = lines[next].substr(candidate.column);
      }
      if (!continuation.starts_with(code_text) ||
          (continuation.size() > 3 && continuation[3] != ' ' && continuation[3] != '-')) {
        break;
      }
      std::string_view rest = continuation.size() > 3 ? trim_left(continuation.substr(4)) : std::string_view();
      if (auto enhanced = enhanced_at(rest)) {
        rest = trim_left(rest.substr(enhanced->length));
      }
      raw += ' ';
      raw += rest;
      if (continuation.size() <= 3 || continuation[3] == ' ') {
        ++next;
        break;
      }
    }
  } else if (candidate.line > 0 && contains_ci(lines[candidate.line - 1], "remote mail server after")) {
    // Exim folds a long reply onto lines indented as deep as the one with the code; the next
    // recipient of the bounce is indented less.
    const std::size_t indent = line.size() - trim_left(line).size();
    for (; next < lines.size() && !trim_left(lines[next]).empty() &&
           lines[next].size() - trim_left(lines[next]).size() >= indent;
         ++next) {
      raw += ' ';
      raw += trim_left(lines[next]);
    }
  } else if (contains_ci(before, "said:") && !contains_ci(raw, "(in reply to ")) {
    // Postfix folds a long "said:" line onto indented lines ending in "(in reply to ... command)".
    for (; next < lines.size() && !lines[next].empty() && is_space(lines[next].front()); ++next) {
      raw += ' ';
      raw += trim_left(lines[next]);
      if (contains_ci(lines[next], "(in reply to ")) {
        ++next;
        break;
      }
    }
  }
  FoundReply reply;
  reply.code = candidate.code;
  reply.enhanced = candidate.enhanced;
  reply.source = source.value_or(candidate.line_start ? ReplySource::reply : ReplySource::log);
  std::string context = candidate.line > 0 ? std::string(lines[candidate.line - 1]) + '\n' : std::string();
  context += before;
  context += ' ';
  context += raw;
  reply.stage = stage_in(context);
  reply.text = clean_text(raw, candidate.code, candidate.enhanced, opener);
  return reply;
}

// The first reply that reports a failure, else the first reply of any kind.
std::optional<FoundReply> search_codes(const Lines& lines, std::optional<ReplySource> source) {
  std::optional<Candidate> first;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto candidate = code_in_line(lines[i], i);
    if (!candidate) {
      continue;
    }
    if (candidate->code >= 400) {
      return reply_at(lines, *candidate, source);
    }
    if (!first) {
      first = candidate;
    }
  }
  if (first) {
    return reply_at(lines, *first, source);
  }
  return std::nullopt;
}

// The unfolded value of an RFC 3464 field ("Diagnostic-Code: smtp; 550 ..." and its indented
// continuation lines), or nothing when the text has no such field.
std::optional<std::string> dsn_field(const Lines& lines, std::string_view name) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = trim_left(lines[i]);
    if (line.size() <= name.size() || !ascii::iequals(line.substr(0, name.size()), name) || line[name.size()] != ':') {
      continue;
    }
    std::string value(trim_left(line.substr(name.size() + 1)));
    for (std::size_t j = i + 1; j < lines.size() && !lines[j].empty() && is_space(lines[j].front()); ++j) {
      value += ' ';
      value += trim_left(lines[j]);
    }
    return value;
  }
  return std::nullopt;
}

// "smtp; 550 ..." -> "550 ...": the diagnostic type (RFC 3464 2.3.6) is not part of the reply.
std::string_view without_diagnostic_type(std::string_view value) {
  const std::size_t semicolon = value.find(';');
  if (semicolon == std::string_view::npos || semicolon == 0) {
    return value;
  }
  for (std::size_t i = 0; i < semicolon; ++i) {
    if (!is_alnum(value[i]) && value[i] != '-') {
      return value;
    }
  }
  return trim_left(value.substr(semicolon + 1));
}

// "Diagnostic-Code: smtp; 550-first line" followed by "550-..." and "550 last" lines at the start of
// the line (Symantec's DSNs do not indent them): they belong to the same reply.
void append_unindented_continuations(const Lines& lines, std::string& value) {
  if (value.size() < 4 || value[3] != '-' || !is_digit(value[0]) || !is_digit(value[1]) || !is_digit(value[2])) {
    return;
  }
  const std::string code = value.substr(0, 3);  // a copy: value grows below
  const std::string first(value);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = trim_left(lines[i]);
    if (!(line.size() > 10 && ascii::iequals(line.substr(0, 10), "diagnostic")) ||
        line.find(first.substr(0, std::min<std::size_t>(first.size(), 40))) == std::string_view::npos) {
      continue;
    }
    for (std::size_t j = i + 1; j < lines.size() && lines[j].size() > 3 && lines[j].substr(0, 3) == code &&
                                (lines[j][3] == '-' || lines[j][3] == ' ');
         ++j) {
      value += '\n';
      value += lines[j];
      if (lines[j][3] == ' ') {
        break;
      }
    }
    return;
  }
}

std::optional<FoundReply> search_dsn(const Lines& lines) {
  auto diagnostic = dsn_field(lines, "Diagnostic-Code");
  if (!diagnostic) {
    diagnostic = dsn_field(lines, "Diagnostic code");
  }
  const auto status_field = dsn_field(lines, "Status");
  const bool is_dsn = diagnostic || dsn_field(lines, "Final-Recipient");
  if (!is_dsn) {
    return std::nullopt;
  }
  std::optional<smtp::EnhancedCode> status;
  if (status_field) {
    if (auto token = enhanced_at(*status_field)) {
      status = token->code;
    }
  }
  std::string value = diagnostic ? std::string(without_diagnostic_type(*diagnostic)) : std::string();
  append_unindented_continuations(lines, value);
  if (auto found = search_codes(split_lines(value), ReplySource::dsn)) {
    if (!found->enhanced) {
      found->enhanced = status;
    }
    return found;
  }
  if (!status) {
    return std::nullopt;
  }
  FoundReply reply;
  reply.enhanced = status;
  reply.source = ReplySource::dsn;
  reply.text = clean_text(value, 0, status, '\0');
  return reply;
}

// A Postfix delivery log line without a remote reply: "dsn=5.4.4, status=bounced (Host or
// domain name not found. ...)".
std::optional<FoundReply> search_postfix_dsn(const Lines& lines) {
  for (const auto line : lines) {
    const std::size_t at = find_ci(line, "dsn=");
    if (at == std::string_view::npos) {
      continue;
    }
    auto token = enhanced_at(line.substr(at + 4));
    if (!token) {
      continue;
    }
    FoundReply reply;
    reply.enhanced = token->code;
    reply.source = ReplySource::log;
    const std::size_t status = find_ci(line, "status=", at);
    const std::size_t open = status == std::string_view::npos ? status : line.find('(', status);
    if (open != std::string_view::npos) {
      std::string_view inside = line.substr(open + 1);
      reply.stage = stage_in(inside);
      reply.text = clean_text(inside, 0, reply.enhanced, '(');
    }
    return reply;
  }
  return std::nullopt;
}

// An enhanced code with no basic code: a line that starts with one ("5.7.26 Unauthenticated ..."),
// or a failure code after a colon ("The server response was: 5.7.57 Client not authenticated").
std::optional<FoundReply> search_enhanced_only(const Lines& lines) {
  for (const auto line : lines) {
    for (std::size_t p = 0; p < line.size(); ++p) {
      if (p > 0 && (is_alnum(line[p - 1]) || line[p - 1] == '.')) {
        continue;
      }
      auto token = enhanced_at(line.substr(p));
      if (!token) {
        continue;
      }
      std::size_t before = p;
      while (before > 0 && is_space(line[before - 1])) {
        --before;
      }
      const bool at_line_start = before == 0;
      const bool failure_after_colon = before > 0 && line[before - 1] == ':' && token->code.cls != 2;
      if (!at_line_start && !failure_after_colon) {
        continue;
      }
      FoundReply reply;
      reply.enhanced = token->code;
      reply.source = at_line_start ? ReplySource::reply : ReplySource::log;
      reply.stage = stage_in(line);
      reply.text = clean_text(line.substr(p + token->length), 0, reply.enhanced, '\0');
      return reply;
    }
  }
  return std::nullopt;
}

}  // namespace

namespace {

// What the rest of the input says about the reply: who bounced it, for whom, and (when the reply's
// own line does not say) the command it answered.
ReplySearch with_facts(std::optional<FoundReply> reply, std::string_view input) {
  BounceFacts facts = bounce_facts(input);
  reply->mta = std::move(facts.mta);
  reply->recipients = std::move(facts.recipients);
  reply->sender = std::move(facts.sender);
  if (reply->stage.empty()) {
    reply->stage = std::move(facts.stage);
  }
  return {std::move(reply), {}};
}

}  // namespace

ReplySearch find_reply(std::string_view input) {
  input = input.substr(0, std::min(input.size(), k_input_max));
  const Lines lines = split_lines(input);
  bool blank = true;
  for (const auto line : lines) {
    if (!trim_left(line).empty()) {
      blank = false;
      break;
    }
  }
  if (blank) {
    return {std::nullopt, "the input is empty"};
  }
  if (auto reply = search_dsn(lines)) {
    return with_facts(std::move(reply), input);
  }
  if (auto reply = search_codes(lines, std::nullopt)) {
    return with_facts(std::move(reply), input);
  }
  if (auto reply = search_postfix_dsn(lines)) {
    return with_facts(std::move(reply), input);
  }
  if (auto reply = search_enhanced_only(lines)) {
    return with_facts(std::move(reply), input);
  }
  return {std::nullopt, "no SMTP reply code (such as 550 or 5.7.26) was found in the input"};
}

}  // namespace maildog::explain
