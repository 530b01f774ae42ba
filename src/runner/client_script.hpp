// Runs a scenario's scripted SMTP conversation (`client.steps`) against the sandbox or any
// target server, and records each step as it happened. Expected outcomes (a refused RCPT, a
// reply that does not match) are values in the outcomes, never exceptions.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "capture/records.hpp"
#include "runner/result.hpp"
#include "scenario/model.hpp"

namespace maildog::runner {

struct ClientTarget {
  std::string host;
  std::uint16_t port = 0;
  smtp::TlsMode tls = smtp::TlsMode::none;  // none, starttls (steps decide) or implicit
  std::string server_name;                  // for SNI
};

struct ClientRun {
  std::vector<StepOutcome> steps;
  // The client's own transcript, one record per connection, written as the sandbox writes
  // its own (AUTH payloads as `***`, a "message:" event before the final reply), so replies
  // can be judged when the server is not the sandbox (`client.target`).
  std::vector<capture::SessionRecord> sessions;
};

// `templates` expands {{smtp.*}} and {{scenario.dir}} in what the steps send.
ClientRun run_client(const scenario::ClientSpec& client, const ClientTarget& target,
                     const std::map<std::string, std::string>& templates, std::chrono::milliseconds step_timeout);

// The message body as SMTP carries it: LF or CRLF line ends become CRLF, lines starting with
// "." get another one (RFC 5321 4.5.2), and the terminating ".\r\n" is appended.
std::string dot_stuff(std::string_view body);

}  // namespace maildog::runner
