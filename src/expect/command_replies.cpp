#include <string>
#include <string_view>
#include <utility>

#include "core/ascii.hpp"
#include "expect/evaluate.hpp"

// Pairs every server reply in a transcript with the command it answers: what expect.replies,
// the excerpts and the reports walk.
namespace maildog::expect {

namespace {

using ascii::trim;
using capture::TranscriptEntry;
std::string to_upper(std::string_view text) { return ascii::upper(text); }

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

}  // namespace maildog::expect
