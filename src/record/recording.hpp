// What `maildog-ci record` keeps of the conversations it relayed: per app session, each command
// the app sent (AUTH credentials already replaced by `***`) with the reply that answered it, and
// per message only its size and header names (the body only with --keep-bodies). Pure data: the
// proxy fills it, the scenario writer and the transcript file read it.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "reply/reply.hpp"

namespace maildog::record {

// Who made a reply: the upstream server (relayed unchanged) or the proxy itself (its 421 when
// the upstream failed, its STARTTLS answer with --upstream-tls none).
enum class Origin { upstream, proxy };

struct Exchange {
  // The stage as the sandbox's rules and transcripts name it: connect (the greeting), ehlo, helo,
  // starttls, auth, mail, rcpt, data, end_of_data, bdat, rset, noop, quit, vrfy, help, other.
  std::string stage;
  std::string command;   // the app's line as recorded (redacted for AUTH); empty for connect, end_of_data
  std::string argument;  // MAIL and RCPT: the address without brackets
  smtp::Reply reply;
  std::string wire;  // the reply as the app got it, lines ending in CRLF
  Origin origin = Origin::upstream;
  std::chrono::milliseconds at{0};  // since the session started
};

struct RecordedMessage {
  std::size_t size = 0;                   // octets of the message as sent, dot-stuffing removed
  std::vector<std::string> header_names;  // in order, as written
  std::optional<std::string> body;        // --keep-bodies only
};

struct RecordedSession {
  std::vector<Exchange> exchanges;
  std::vector<RecordedMessage> messages;
  bool tls = false;  // the app started TLS (STARTTLS at the proxy)
  std::string end;   // "quit", "app closed", "stopped"
};

struct Recording {
  std::string upstream;  // HOST:PORT
  std::vector<RecordedSession> sessions;
};

// The stage of an app's command line (its verb), as Exchange::stage names it.
std::string stage_of_command(std::string_view line);

// The address of a MAIL FROM:<a> or RCPT TO:<a> line, without brackets or parameters.
std::string path_argument(std::string_view line);

}  // namespace maildog::record
