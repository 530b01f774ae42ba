// The linter applied to what a sandbox captured: a transaction's envelope and parameters, what
// its DATA decoder saw, and its message bytes when they were kept.
#pragma once

#include <vector>

#include "capture/records.hpp"
#include "lint/lint.hpp"

namespace maildog::lint {

// BODY=8BITMIME (or BINARYMIME) and SMTPUTF8 from the MAIL parameters, every RCPT address,
// and what the DATA decoder noted.
Envelope envelope_of(const capture::TransactionRecord& transaction);

// lint_message() on the kept bytes, else lint_envelope().
std::vector<Finding> lint_transaction(const capture::TransactionRecord& transaction);

// lint_transaction() as the reports keep it (capture::TransactionRecord::lint).
std::vector<capture::LintNote> lint_notes(const capture::TransactionRecord& transaction);

}  // namespace maildog::lint
