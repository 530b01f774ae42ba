// Internal to the loader: whether a scenario's address and domain fields can ever match. A typo
// there (`mailboxes: [not-an-address]`) would otherwise validate and silently match nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace maildog::scenario::detail {

enum class AddressField {
  address,        // one exact address: expect.not_delivered, expect.retries[].rcpt
  address_glob,   // an address or a glob: server.mailboxes
  address_match,  // an address, a glob or a /regex/: rules' rcpt, expect delivered.to, rejected.to
  sender_match,   // as address_match, and "" for the null reverse-path: mail_from, delivered.from
  domain_glob,    // a domain or a glob: server.domains
};

// Why `text` cannot name what `field` holds, or nothing when it can. The address grammar is the
// server's own (smtp/address), so a field is accepted exactly when a client's address could match it.
std::optional<std::string> address_problem(std::string_view text, AddressField field);

}  // namespace maildog::scenario::detail
