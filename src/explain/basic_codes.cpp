#include "explain/basic_codes.hpp"

#include <array>

namespace maildog::explain {

namespace {

constexpr std::array k_codes{
    BasicCode{211, "System status, or system help reply", "RFC 5321 4.2.3", "An informational reply."},
    BasicCode{214, "Help message", "RFC 5321 4.2.3", "An informational reply to HELP."},
    BasicCode{220, "<domain> Service ready", "RFC 5321 4.2.3",
              "The server greets the client (or is ready to start TLS)."},
    BasicCode{221, "<domain> Service closing transmission channel", "RFC 5321 4.2.3",
              "The server closes the session normally."},
    BasicCode{235, "Authentication successful", "RFC 4954 6", "AUTH succeeded."},
    BasicCode{250, "Requested mail action okay, completed", "RFC 5321 4.2.3", "The command succeeded."},
    BasicCode{251, "User not local; will forward to <forward-path>", "RFC 5321 4.2.3",
              "Accepted; the server will forward it."},
    BasicCode{252, "Cannot VRFY user, but will accept message and attempt delivery", "RFC 5321 4.2.3",
              "The server will not confirm the address, but accepts mail for it."},
    BasicCode{334, "Server challenge", "RFC 4954 4", "The server waits for the next step of AUTH."},
    BasicCode{354, "Start mail input; end with <CRLF>.<CRLF>", "RFC 5321 4.2.3",
              "The server waits for the message after DATA."},
    BasicCode{421, "<domain> Service not available, closing transmission channel", "RFC 5321 4.2.3",
              "The server is ending the session for now (overload, shutdown, too many connections or errors, rate "
              "limits); the client should retry later."},
    BasicCode{432, "A password transition is needed", "RFC 4954 6",
              "The user must authenticate once with PLAIN first."},
    BasicCode{450, "Requested mail action not taken: mailbox unavailable", "RFC 5321 4.2.3",
              "The mailbox is temporarily unavailable (busy, or blocked by a temporary policy such as greylisting)."},
    BasicCode{451, "Requested action aborted: local error in processing", "RFC 5321 4.2.3",
              "The server had a temporary problem (or applies a temporary policy); retry later."},
    BasicCode{452, "Requested action not taken: insufficient system storage", "RFC 5321 4.2.3",
              "Temporarily out of storage; also used for too many recipients (RFC 5321 4.5.3.1.10)."},
    BasicCode{454, "Temporary authentication failure / TLS not available due to temporary reason",
              "RFC 4954 6, RFC 3207 4", "AUTH or STARTTLS failed for a temporary reason on the server side."},
    BasicCode{455, "Server unable to accommodate parameters", "RFC 5321 4.2.3",
              "The server cannot handle the MAIL/RCPT parameters right now."},
    BasicCode{500, "Syntax error, command unrecognized", "RFC 5321 4.2.3",
              "The server did not understand the command (or the line was too long)."},
    BasicCode{501, "Syntax error in parameters or arguments", "RFC 5321 4.2.3",
              "The command's arguments are malformed (e.g. a bad address in MAIL FROM or RCPT TO)."},
    BasicCode{502, "Command not implemented", "RFC 5321 4.2.3", "The server does not support this command."},
    BasicCode{503, "Bad sequence of commands", "RFC 5321 4.2.3",
              "The command came at the wrong point (e.g. RCPT before MAIL, MAIL before EHLO or AUTH)."},
    BasicCode{504, "Command parameter not implemented", "RFC 5321 4.2.3",
              "The server does not support this parameter."},
    BasicCode{521, "Host does not accept mail", "RFC 7504 3", "This host never accepts mail."},
    BasicCode{530, "Authentication required / Must issue a STARTTLS command first", "RFC 4954 6, RFC 3207 4",
              "The server requires AUTH (or TLS) before this command."},
    BasicCode{534, "Authentication mechanism is too weak", "RFC 4954 6",
              "The AUTH mechanism is too weak for this user; use a stronger one."},
    BasicCode{535, "Authentication credentials invalid", "RFC 4954 6", "AUTH failed: wrong user name or password."},
    BasicCode{538, "Encryption required for requested authentication mechanism", "RFC 4954 6",
              "This AUTH mechanism needs TLS first."},
    BasicCode{550, "Requested action not taken: mailbox unavailable", "RFC 5321 4.2.3",
              "Permanent refusal: the mailbox was not found, access was denied, or the command was rejected for "
              "policy reasons; the text says which."},
    BasicCode{551, "User not local; please try <forward-path>", "RFC 5321 4.2.3",
              "The server does not take mail for this recipient from you (it is not local, and it will not relay)."},
    BasicCode{552, "Requested mail action aborted: exceeded storage allocation", "RFC 5321 4.2.3",
              "Too big: the message exceeds a size or storage limit."},
    BasicCode{553, "Requested action not taken: mailbox name not allowed", "RFC 5321 4.2.3",
              "The address is not allowed (bad syntax, or a sender address the server refuses)."},
    BasicCode{554, "Transaction failed", "RFC 5321 4.2.3",
              "The transaction failed permanently (often a policy refusal; at connection time: no SMTP service here)."},
    BasicCode{555, "MAIL FROM/RCPT TO parameters not recognized or not implemented", "RFC 5321 4.2.3",
              "The server does not support a MAIL FROM or RCPT TO parameter that was sent."},
    BasicCode{556, "Domain does not accept mail", "RFC 7504 3",
              "The recipient's domain does not accept mail (e.g. a null MX)."},
};

}  // namespace

std::optional<BasicCode> basic_code(int code) {
  for (const auto& entry : k_codes) {
    if (entry.code == code) {
      return entry;
    }
  }
  return std::nullopt;
}

std::string_view basic_class_name(int code) {
  switch (code / 100) {
    case 2:
      return "Positive Completion";
    case 3:
      return "Positive Intermediate";
    case 4:
      return "Transient Negative Completion";
    case 5:
      return "Permanent Negative Completion";
    default:
      return "Not an SMTP reply class";
  }
}

}  // namespace maildog::explain
