// A rejection rule from a scenario: at a stage, when a match holds, answer with a reply or a
// fault. Plain data; the engine (rules/engine.hpp) decides, the session acts.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "message/headers.hpp"
#include "reply/reply.hpp"
#include "rules/text_match.hpp"

namespace maildog::rules {

// Where in the dialogue a rule is asked. `data` is the DATA command itself; `end_of_data` is
// after the final dot, when headers are known (a `data` rule that matches headers runs there).
// `starttls` is the STARTTLS command, before the handshake.
enum class Stage { connect, helo, starttls, auth, mail, rcpt, data, end_of_data };

std::string_view to_string(Stage stage);
std::optional<Stage> parse_stage(std::string_view text);

struct AttemptRange {
  unsigned min = 1;
  unsigned max = 1;  // inclusive
  bool contains(unsigned attempt) const { return attempt >= min && attempt <= max; }
};

struct HeaderMatch {
  std::string name;  // compared without case
  TextMatch value;
};

// Rate-limit emulation: the rule holds once more than `max` events (the stage's commands that
// meet the rule's other conditions: connections at connect, messages at mail) fell within
// the trailing `window`, across all sessions of the sandbox.
struct RateLimit {
  unsigned max = 1;
  std::chrono::milliseconds window{60000};
};

struct Match {
  std::optional<TextMatch> mail_from;
  std::optional<TextMatch> rcpt;
  std::optional<TextMatch> helo;
  std::optional<TextMatch> client_ip;
  std::optional<TextMatch> auth_user;
  std::vector<HeaderMatch> headers;
  std::optional<AttemptRange> attempt;
  std::optional<double> probability;  // 0..1, drawn from the scenario seed
  std::optional<RateLimit> rate;
};

struct Fault {
  enum class Kind {
    disconnect,   // close the connection without a reply
    delay,        // wait, then answer (the rule's reply, or the normal one)
    close_421,    // answer 421 4.3.2 and close
    tarpit,       // write the answer slowly, its bytes spread over the duration
    split,        // write the answer in two TCP segments, a pause apart
    drop,         // at data: answer 354, then close once message bytes arrive, with no reply
    tls_failure,  // at starttls: answer 220, then close instead of the handshake
  };
  Kind kind = Kind::disconnect;
  std::chrono::milliseconds duration{0};
};

std::string_view to_string(Fault::Kind kind);
std::optional<Fault::Kind> parse_fault_kind(std::string_view text);

struct Rule {
  Stage at = Stage::rcpt;
  Match match;
  std::optional<smtp::Reply> reply;
  std::optional<Fault> fault;
  // Answers at most this many commands, then no longer matches. Counted per installed rule
  // set across all its sessions (EngineState), not per session.
  std::optional<unsigned> times;
  std::size_t source_line = 0;  // 1-based line in the scenario file, for reports
};

// A header as rules see it: the one type of message/headers.hpp.
using Header = message::Header;

// What a rule can look at. Views stay valid for the duration of one evaluation.
struct Context {
  Stage stage = Stage::connect;
  std::string_view client_ip;
  std::string_view helo;
  std::string_view auth_user;
  std::string_view mail_from;
  std::string_view rcpt;
  unsigned attempt = 0;                          // this recipient's attempt number across sessions (rcpt stage on)
  const std::vector<Header>* headers = nullptr;  // end_of_data only
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now();  // for rate limits
};

// `{address}` in a rule's reply stands for the address the rule's stage is about: MAIL the
// sender, RCPT the recipient, DATA and END_OF_DATA the sender again (a message has one
// reverse-path but may have many recipients, so the sender is the one address that names it;
// empty for the null sender `<>`). CONNECT, HELO, STARTTLS and AUTH know no address, so the
// loader refuses the placeholder there rather than sending it literally.
inline constexpr std::string_view k_address_placeholder = "address";
bool stage_has_address(Stage stage);
std::string_view address_at(const Context& context);  // empty where the stage has none

struct Decision {
  std::optional<smtp::Reply> reply;
  std::optional<Fault> fault;
  std::size_t rule_index = 0;
};

}  // namespace maildog::rules
