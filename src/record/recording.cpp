#include "record/recording.hpp"

#include "core/ascii.hpp"
#include "smtp/command.hpp"

namespace maildog::record {

std::string stage_of_command(std::string_view line) {
  smtp::Command command = smtp::parse_command(line);
  switch (command.verb) {
    case smtp::Verb::unknown:
      return "other";
    default:
      return ascii::lower(smtp::to_string(command.verb));
  }
}

std::string path_argument(std::string_view line) {
  auto open = line.find('<');
  if (open == std::string_view::npos) {
    // "MAIL FROM:user@x" without brackets: up to the first space after the colon.
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      return {};
    }
    auto rest = line.substr(colon + 1);
    while (!rest.empty() && rest.front() == ' ') {
      rest.remove_prefix(1);
    }
    return std::string(rest.substr(0, rest.find(' ')));
  }
  auto close = line.find('>', open);
  return std::string(
      line.substr(open + 1, close == std::string_view::npos ? std::string_view::npos : close - open - 1));
}

}  // namespace maildog::record
