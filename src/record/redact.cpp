#include "record/redact.hpp"

namespace maildog::record {

std::string redacted_auth_command(std::string_view line) {
  // Verb, one space, mechanism; anything after the mechanism is an initial response (RFC 4954 4).
  auto verb_end = line.find(' ');
  if (verb_end == std::string_view::npos) {
    return std::string(line);
  }
  auto mechanism_start = line.find_first_not_of(' ', verb_end);
  if (mechanism_start == std::string_view::npos) {
    return std::string(line.substr(0, verb_end));
  }
  auto mechanism_end = line.find(' ', mechanism_start);
  std::string kept(line.substr(0, mechanism_end));
  if (mechanism_end != std::string_view::npos && line.find_first_not_of(' ', mechanism_end) != std::string_view::npos) {
    kept += " ***";
  }
  return kept;
}

std::string redacted_sasl_line(std::string_view line) { return line == "*" ? std::string("*") : std::string("***"); }

}  // namespace maildog::record
