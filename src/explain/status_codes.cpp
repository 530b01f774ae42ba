#include "explain/status_codes.hpp"

#include <array>

namespace maildog::explain {

namespace {

// Titles are the registry's <summary> (classes, subjects) and <sample> (details) texts, as of the
// registry updated 2024-12-06; the meanings are ours.
// The registry as data, one entry per line where it fits: clang-format would spread each entry over lines.
// clang-format off
constexpr std::array k_classes{
    std::pair{2, CodeTitle{"Success", "The action succeeded; nothing failed."}},
    std::pair{4, CodeTitle{"Persistent Transient Failure",
                           "A temporary failure: the message was valid, a condition on the way blocked it for now, "
                           "and sending it again later may succeed."}},
    std::pair{5, CodeTitle{"Permanent Failure",
                           "A permanent failure: sending the same message again will fail the same way until "
                           "something about the message, the sender or the destination changes."}},
};

constexpr std::array k_subjects{
    CodeTitle{"Other or Undefined Status", "No more detail on what kind of problem this is."},
    CodeTitle{"Addressing Status",
              "A problem with the sender's or the recipient's address (syntax, existence, routing to it)."},
    CodeTitle{"Mailbox Status", "A problem with the recipient's mailbox (it exists, but is full, disabled, ...)."},
    CodeTitle{"Mail System Status", "A problem with the receiving mail system (storage, size limits, configuration)."},
    CodeTitle{"Network and Routing Status", "A problem reaching or routing to the destination (DNS, connections, loops)."},
    CodeTitle{"Mail Delivery Protocol Status",
              "A problem in the SMTP conversation itself (command syntax, sequence, arguments)."},
    CodeTitle{"Message Content or Media Status", "A problem with the content of the message (format, encoding, conversion)."},
    CodeTitle{"Security or Policy Status",
              "A security or policy decision: authentication, authorization, anti-spam and anti-abuse rules."},
};

constexpr std::array k_details{
    DetailEntry{0, 0, {"Other undefined Status", "Only the class is known: it failed (or succeeded) for an unstated reason."}},

    DetailEntry{1, 0, {"Other address status", "Something about an address caused this; the text should say which."}},
    DetailEntry{1, 1, {"Bad destination mailbox address",
                       "The recipient's mailbox does not exist: the part left of the @ is unknown there."}},
    DetailEntry{1, 2, {"Bad destination system address",
                       "The recipient's domain (right of the @) does not exist or cannot accept mail."}},
    DetailEntry{1, 3, {"Bad destination mailbox address syntax", "The recipient address is not syntactically valid."}},
    DetailEntry{1, 4, {"Destination mailbox address ambiguous", "The recipient address matches more than one mailbox there."}},
    DetailEntry{1, 5, {"Destination address valid", "The recipient address is valid (a success detail)."}},
    DetailEntry{1, 6, {"Destination mailbox has moved, No forwarding address",
                       "The address used to be valid but no longer accepts mail, and there is no forwarding."}},
    DetailEntry{1, 7, {"Bad sender's mailbox address syntax", "The sender address (MAIL FROM) is not syntactically valid."}},
    DetailEntry{1, 8, {"Bad sender's system address",
                       "The sender's domain does not exist or cannot receive mail (so bounces could not go back)."}},
    DetailEntry{1, 9, {"Message relayed to non-compliant mailer",
                       "The address was valid, but the message went on to a system that reports nothing further."}},
    DetailEntry{1, 10, {"Recipient address has null MX",
                        "The recipient's domain publishes a null MX (RFC 7505): it accepts no mail at all."}},

    DetailEntry{2, 0, {"Other or undefined mailbox status", "The mailbox exists, but something about it caused this."}},
    DetailEntry{2, 1, {"Mailbox disabled, not accepting messages",
                       "The mailbox exists but is disabled or suspended and does not accept mail."}},
    DetailEntry{2, 2, {"Mailbox full", "The recipient's mailbox is over its storage quota."}},
    DetailEntry{2, 3, {"Message length exceeds administrative limit",
                       "The message is bigger than this mailbox accepts (a per-mailbox size limit)."}},
    DetailEntry{2, 4, {"Mailing list expansion problem", "The address is a mailing list that could not be expanded."}},

    DetailEntry{3, 0, {"Other or undefined mail system status",
                       "The destination system normally accepts mail, but something about it caused this."}},
    DetailEntry{3, 1, {"Mail system full", "The destination system has run out of storage."}},
    DetailEntry{3, 2, {"System not accepting network messages",
                       "The destination host is not accepting mail (shutting down, overloaded, in maintenance)."}},
    DetailEntry{3, 3, {"System not capable of selected features",
                       "The destination cannot provide a feature the message asked for."}},
    DetailEntry{3, 4, {"Message too big for system", "The message is larger than the destination's size limit."}},
    DetailEntry{3, 5, {"System incorrectly configured", "The destination is misconfigured and cannot accept this message."}},
    DetailEntry{3, 6, {"Requested priority was changed",
                       "The message was accepted, but not at the priority asked for (a success detail)."}},

    DetailEntry{4, 0, {"Other or undefined network or routing status",
                       "Something went wrong in networking or routing, without more detail."}},
    DetailEntry{4, 1, {"No answer from host", "The destination host did not answer the connection attempt."}},
    DetailEntry{4, 2, {"Bad connection",
                       "The connection was made but broke or timed out before the transaction finished."}},
    DetailEntry{4, 3, {"Directory server failure", "A directory server (usually DNS) could not be reached."}},
    DetailEntry{4, 4, {"Unable to route",
                       "No route to the destination could be found (no usable MX or A record for the domain)."}},
    DetailEntry{4, 5, {"Mail system congestion", "The mail system is congested; try again later."}},
    DetailEntry{4, 6, {"Routing loop detected", "The message went round in a loop (too many hops)."}},
    DetailEntry{4, 7, {"Delivery time expired",
                       "The message stayed in a queue too long and was given up on after retries."}},

    DetailEntry{5, 0, {"Other or undefined protocol status", "Something went wrong in the SMTP exchange, without more detail."}},
    DetailEntry{5, 1, {"Invalid command", "A command was sent out of sequence or is not supported."}},
    DetailEntry{5, 2, {"Syntax error", "A command could not be understood (bad syntax or unknown command)."}},
    DetailEntry{5, 3, {"Too many recipients",
                       "More recipients than the server accepts in one transaction; send the rest separately."}},
    DetailEntry{5, 4, {"Invalid command arguments", "A valid command had arguments that are invalid or unsupported."}},
    DetailEntry{5, 5, {"Wrong protocol version", "The two sides could not agree on a protocol version."}},
    DetailEntry{5, 6, {"Authentication Exchange line is too long",
                       "An AUTH response line was longer than the server's buffer for that mechanism."}},

    DetailEntry{6, 0, {"Other or undefined media error", "Something about the content made it undeliverable."}},
    DetailEntry{6, 1, {"Media not supported", "The message's media type is not supported on the way to the recipient."}},
    DetailEntry{6, 2, {"Conversion required and prohibited",
                       "The content needs converting for delivery, and conversion is not allowed."}},
    DetailEntry{6, 3, {"Conversion required but not supported",
                       "The content needs converting (e.g. 8-bit to 7-bit) and the next hop cannot do it."}},
    DetailEntry{6, 4, {"Conversion with loss performed", "Delivered, but a conversion lost some data."}},
    DetailEntry{6, 5, {"Conversion Failed", "A required conversion of the content failed."}},
    DetailEntry{6, 6, {"Message content not available", "The message content could not be fetched from where it was referenced."}},
    DetailEntry{6, 7, {"Non-ASCII addresses not permitted for that sender/recipient",
                       "A non-ASCII (internationalised) address was used where it is not allowed (SMTPUTF8 missing)."}},
    DetailEntry{6, 8, {"UTF-8 string reply is required, but not permitted by the SMTP client",
                       "The reply needs UTF-8 to name the mailbox, but the client did not allow UTF-8 replies."}},
    DetailEntry{6, 9, {"UTF-8 header message cannot be transferred to one or more recipients, so the message must be rejected",
                       "The message has UTF-8 headers that cannot be delivered to every recipient."}},
    DetailEntry{6, 10, {"Duplicate of X.6.8 (deprecated)", "A deprecated duplicate of X.6.8."}},

    DetailEntry{7, 0, {"Other or undefined security status",
                       "A security or policy reason the code does not narrow down; the text says which "
                       "(authentication, TLS, rate or reputation limits, ...)."}},
    DetailEntry{7, 1, {"Delivery not authorized, message refused",
                       "The sender is not allowed to send to this destination: a per-host or per-recipient policy "
                       "(relaying, block lists, anti-spam rules) refused it."}},
    DetailEntry{7, 2, {"Mailing list expansion prohibited", "The sender may not send to this mailing list."}},
    DetailEntry{7, 3, {"Security conversion required but not possible",
                       "Delivery needed converting between secure messaging formats, which was not possible."}},
    DetailEntry{7, 4, {"Security features not supported",
                       "The message or session used a security feature the delivery protocol does not support."}},
    DetailEntry{7, 5, {"Cryptographic failure", "A signature or encryption could not be checked: a key was missing or invalid."}},
    DetailEntry{7, 6, {"Cryptographic algorithm not supported", "The signing or encryption algorithm is not supported."}},
    DetailEntry{7, 7, {"Message integrity failure", "The message was corrupted or altered, so its integrity check failed."}},
    DetailEntry{7, 8, {"Authentication credentials invalid", "AUTH failed: the user name or password (or token) is wrong."}},
    DetailEntry{7, 9, {"Authentication mechanism is too weak",
                       "The AUTH mechanism is weaker than the server's policy allows for this user."}},
    DetailEntry{7, 10, {"Encryption Needed", "An encrypted connection (TLS) is required before this can proceed."}},
    DetailEntry{7, 11, {"Encryption required for requested authentication mechanism",
                        "This AUTH mechanism may only be used over an encrypted (TLS) connection."}},
    DetailEntry{7, 12, {"A password transition is needed",
                        "The user must authenticate once with PLAIN to enable the requested mechanism."}},
    DetailEntry{7, 13, {"User Account Disabled", "The account authenticated, but it is disabled."}},
    DetailEntry{7, 14, {"Trust relationship required",
                        "The submission server needs a configured trust relationship with a third party to go on."}},
    DetailEntry{7, 15, {"Priority Level is too low", "The message's priority is below what the server accepts now."}},
    DetailEntry{7, 16, {"Message is too big for the specified priority",
                        "The message is too large for the priority it was sent with."}},
    DetailEntry{7, 17, {"Mailbox owner has changed",
                        "The recipient mailbox changed owner since the date the sender required (RRVS)."}},
    DetailEntry{7, 18, {"Domain owner has changed",
                        "The recipient domain changed owner since the date the sender required (RRVS)."}},
    DetailEntry{7, 19, {"RRVS test cannot be completed",
                        "The receiver cannot tell whether the mailbox changed owner (RRVS)."}},
    DetailEntry{7, 20, {"No passing DKIM signature found", "The message has no DKIM signature that verifies."}},
    DetailEntry{7, 21, {"No acceptable DKIM signature found",
                        "DKIM signatures verify, but none is acceptable to the receiver's policy."}},
    DetailEntry{7, 22, {"No valid author-matched DKIM signature found",
                        "No verifying DKIM signature has a d= domain matching the From: address."}},
    DetailEntry{7, 23, {"SPF validation failed",
                        "SPF returned fail: the sending IP is not authorised by the envelope sender's domain."}},
    DetailEntry{7, 24, {"SPF validation error",
                        "SPF could not be evaluated: a DNS error or a broken SPF record (temperror/permerror)."}},
    DetailEntry{7, 25, {"Reverse DNS validation failed",
                        "The client IP has no PTR record, or the PTR name does not resolve back to that IP."}},
    DetailEntry{7, 26, {"Multiple authentication checks failed",
                        "More than one authentication check failed (in practice: SPF and DKIM, so DMARC failed)."}},
    DetailEntry{7, 27, {"Sender address has null MX",
                        "The sender's domain publishes a null MX, so it cannot receive bounces."}},
    DetailEntry{7, 28, {"Mail flood detected", "The message looks like part of a flood of similar abusive messages."}},
    DetailEntry{7, 29, {"ARC validation failure", "The message's ARC (Authenticated Received Chain) did not validate."}},
    DetailEntry{7, 30, {"REQUIRETLS support required",
                        "The message demanded REQUIRETLS, and the next hop does not support it."}},
};
// clang-format on

}  // namespace

std::optional<CodeTitle> class_title(int cls) {
  for (const auto& [number, title] : k_classes) {
    if (number == cls) {
      return title;
    }
  }
  return std::nullopt;
}

std::optional<CodeTitle> subject_title(int subject) {
  if (subject < 0 || subject >= static_cast<int>(k_subjects.size())) {
    return std::nullopt;
  }
  return k_subjects[static_cast<std::size_t>(subject)];
}

std::optional<CodeTitle> detail_title(int subject, int detail) {
  for (const auto& entry : k_details) {
    if (entry.subject == subject && entry.detail == detail) {
      return entry.title;
    }
  }
  return std::nullopt;
}

std::span<const DetailEntry> registered_details() { return k_details; }

}  // namespace maildog::explain
