#include <algorithm>
#include <string>
#include <string_view>

#include "core/ascii.hpp"
#include "expect/checks.hpp"
#include "expect/describe.hpp"

namespace maildog::expect::detail {

namespace {

using runner::Failure;

using ascii::iequals;
using ascii::trim;
std::string to_upper(std::string_view text) { return ascii::upper(text); }

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

}  // namespace

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

}  // namespace maildog::expect::detail
