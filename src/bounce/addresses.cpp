// Mail addresses in free text: what a bounce names, to be kept or replaced by test addresses.
#include <string>
#include <vector>

#include "bounce/facts.hpp"

namespace maildog::bounce {

namespace {

constexpr bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// A conservative local part: quotes, slashes and brackets around addresses in logs stay outside.
constexpr bool is_local_char(char c) {
  return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '=';
}
constexpr bool is_domain_char(char c) { return is_alnum(c) || c == '.' || c == '-'; }

}  // namespace

std::vector<std::string> addresses_in(std::string_view text) {
  std::vector<std::string> found;
  std::size_t resume = 0;  // where the previous address ended: no address starts inside another
  for (std::size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    if (at < resume) {
      continue;
    }
    std::size_t start = at;
    while (start > resume && is_local_char(text[start - 1])) {
      --start;
    }
    while (start < at && (text[start] == '.' || text[start] == '-' || text[start] == '=')) {
      ++start;
    }
    std::size_t end = at + 1;
    while (end < text.size() && is_domain_char(text[end])) {
      ++end;
    }
    while (end > at + 1 && (text[end - 1] == '.' || text[end - 1] == '-')) {
      --end;
    }
    const std::string_view domain = text.substr(at + 1, end - at - 1);
    const std::size_t last_dot = domain.rfind('.');
    if (start == at || last_dot == std::string_view::npos || last_dot + 2 >= domain.size() + 1 ||
        domain.front() == '.') {
      continue;
    }
    bool alpha_tld = domain.size() - last_dot - 1 >= 2;
    for (std::size_t i = last_dot + 1; i < domain.size(); ++i) {
      alpha_tld = alpha_tld && !(domain[i] >= '0' && domain[i] <= '9');
    }
    if (!alpha_tld) {
      continue;
    }
    found.emplace_back(text.substr(start, end - start));
    resume = end;
  }
  return found;
}

}  // namespace maildog::bounce
