// The `app.run` that `maildog-ci new` writes without --app: a value the loader recognises and
// refuses with a message saying what to fill in, so a scaffold never runs by accident.
#pragma once

#include <string_view>

namespace maildog::scenario {

inline constexpr std::string_view k_app_placeholder = "FILL IN: the command that sends your mail";

inline bool is_app_placeholder(std::string_view run) { return run.starts_with("FILL IN:"); }

}  // namespace maildog::scenario
