// The two ways `maildog-ci explain` prints an explanation: readable text for people, and JSON
// (code, enhanced, permanent, class, subject, detail, causes, fixes, ...) for scripts.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>

#include "explain/explanation.hpp"

namespace maildog::explain {

void render_text(const Explanation& explanation, std::ostream& out);

// `maildog-ci new --from '<the reply>' -o <diagnosis id>.yaml`: the command that turns this reply
// into a scenario in the user's own repository; empty when the reply is not a failure.
std::string reproduce_command(const Explanation& explanation);

// `text` as one POSIX shell word: in single quotes, each ' written as '\''.
std::string shell_quoted(std::string_view text);

// The text keeps the input's bytes, which need not be UTF-8: dump with error_handler_t::replace.
nlohmann::ordered_json render_json(const Explanation& explanation);

}  // namespace maildog::explain
