// The two ways `maildog-ci explain` prints an explanation: readable text for people, and JSON
// (code, enhanced, permanent, class, subject, detail, causes, fixes, ...) for scripts.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "explain/explanation.hpp"

namespace maildog::explain {

void render_text(const Explanation& explanation, std::ostream& out);

// The text keeps the input's bytes, which need not be UTF-8: dump with error_handler_t::replace.
nlohmann::ordered_json render_json(const Explanation& explanation);

}  // namespace maildog::explain
