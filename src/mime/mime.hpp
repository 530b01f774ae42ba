// MIME inspection of a captured message (RFC 2045-2049, RFC 2047, RFC 2231): headers decoded to
// UTF-8, the part tree, and each part's decoded content. Built on GMime 3; the raw bytes stay
// authoritative. Malformed MIME is reported in `problems`, never thrown.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace maildog::mime {

struct Header {
  std::string name;
  std::string value;  // unfolded, RFC 2047 encoded words decoded to UTF-8
};

struct Part {
  std::string path;               // IMAP-style part number ("1", "1.2"); "" for the message itself
  std::string content_type;       // lower case "type/subtype"
  std::string charset;            // lower case; empty when none
  std::string transfer_encoding;  // lower case, e.g. "base64"; empty when none
  std::string disposition;        // "attachment", "inline" or empty
  std::string filename;           // decoded (RFC 2231 / 2047); empty when none
  std::string content_id;         // Content-ID without its angle brackets; empty when none
  std::size_t size = 0;           // octets of the decoded content (0 for multiparts)
  std::vector<Part> children;     // parts of a multipart, or the message of a message/rfc822
};

struct Parsed {
  std::vector<Header> headers;  // the top-level header section
  Part root;
  std::vector<std::string> problems;  // e.g. "part 2: missing end boundary", for a person
};

Parsed parse(std::string_view message);

// An attachment as mail clients show one: Content-Disposition attachment, or a file name
// without any disposition.
bool is_attachment(const Part& part);

// The decoded content of the part at `path` (text parts converted to UTF-8), or nothing when
// there is no such leaf part.
std::optional<std::string> part_content(std::string_view message, std::string_view path);

// The first text/`subtype` part that is not an attachment ("plain", "html"), decoded to UTF-8.
std::optional<std::string> text_body(std::string_view message, std::string_view subtype);

}  // namespace maildog::mime
