#include "lint/transaction.hpp"

#include <string_view>

#include "core/ascii.hpp"

namespace maildog::lint {

Envelope envelope_of(const capture::TransactionRecord& transaction) {
  Envelope envelope;
  envelope.eight_bit_mime = false;
  envelope.smtputf8 = false;
  // RFC 5321 4.1.2: parameters are separated by spaces; keywords and BODY values ignore case.
  std::string_view rest = transaction.mail_parameters;
  while (!rest.empty()) {
    const std::size_t space = rest.find(' ');
    const std::string_view parameter = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    if (ascii::iequals(parameter, "BODY=8BITMIME") || ascii::iequals(parameter, "BODY=BINARYMIME")) {
      envelope.eight_bit_mime = true;
    } else if (ascii::iequals(parameter, "SMTPUTF8")) {
      envelope.smtputf8 = true;
    }
  }
  envelope.mail_from = transaction.mail_from;
  for (const auto& recipient : transaction.recipients) {
    envelope.recipients.push_back(recipient.address);
  }
  envelope.bare_lf = transaction.bare_lf;
  envelope.smuggling_line = transaction.smuggling_line;
  return envelope;
}

std::vector<Finding> lint_transaction(const capture::TransactionRecord& transaction) {
  const Envelope envelope = envelope_of(transaction);
  return transaction.message ? lint_message(*transaction.message, envelope) : lint_envelope(envelope);
}

std::vector<capture::LintNote> lint_notes(const capture::TransactionRecord& transaction) {
  std::vector<capture::LintNote> notes;
  for (auto& finding : lint_transaction(transaction)) {
    notes.push_back(
        {std::string(finding.name()), std::move(finding.message), finding.line, std::move(finding.excerpt)});
  }
  return notes;
}

}  // namespace maildog::lint
