// Sessions' transcripts as text lines, as reports and golden files show them, and a normalised
// rendering with ports, timestamps, queue ids, TLS details and challenges replaced by tokens.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "capture/records.hpp"

namespace maildog::expect {

// What the normalised rendering replaces besides the fixed tokens. Pure input: the caller
// decides which folders hold temporary files.
struct NormaliseOptions {
  // "/tmp/maildog-x1Y2/out.eml" -> "<tmp>/out.eml": the root and the first folder below it
  // (the random part of mkdtemp names) become "<tmp>".
  std::vector<std::string> temp_roots{"/tmp/", "/var/tmp/"};
};

// "== session 1 from 127.0.0.1:40312" ("[::1]:40312" for IPv6); no port when client_port is 0
// (reports drop it: report/normalise.hpp).
std::string render_session_header(const capture::SessionRecord& session);

// "S: 250 2.1.5 Recipient ok", "C: RCPT TO:<user@inbox.test>", "*  TLS established: ...".
std::string render_entry(const capture::TranscriptEntry& entry);

// Every session: its header, then one line per transcript entry, in order.
std::vector<std::string> render_lines(const std::vector<capture::SessionRecord>& sessions);

// The same lines, one for one (same count, same order), normalised for golden files:
//   client ports              "127.0.0.1:40312"        -> "127.0.0.1:<port>" (header: no port)
//   timestamps                "2025-06-03T10:00:00Z",
//                             "Tue, 3 Jun 2025 10:00:00 +0000" -> "<timestamp>"
//   queue ids                 "queued as 0A1B2C3D4E"   -> "queued as <id>"
//   TLS details               "TLS established: TLSv1.3 TLS_AES_..." -> "TLS established: <tls>"
//   CRAM-MD5 challenges       "334 PDE...=" after "AUTH CRAM-MD5" -> "334 <challenge>"
//   temporary paths           see NormaliseOptions
// AUTH payloads are masked in the records already and stay so.
std::vector<std::string> normalised_lines(const std::vector<capture::SessionRecord>& sessions,
                                          const NormaliseOptions& options = {});

// The replacements that need no context (ports, timestamps, queue ids, temp paths) on one line.
std::string normalise_text(std::string_view line, const NormaliseOptions& options = {});

// Lines joined, each ended by "\n" (the golden file format).
std::string join_lines(const std::vector<std::string>& lines);

}  // namespace maildog::expect
