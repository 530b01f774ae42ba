#include "mime/mime.hpp"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <utility>

#include "core/ascii.hpp"
#include "mime/encoding_checks.hpp"
#include "mime/gmime_ptr.hpp"
#include "mime/nesting_cut.hpp"

namespace maildog::mime {

namespace {

using detail::copy;
using detail::Owned;
using detail::OwnedParserOptions;
using detail::take;

// More nesting than this is an attack, not mail (GMime has its own, higher, limit).
constexpr std::size_t k_depth_max = 32;
// Parts described per message; a message with more is reported and cut.
constexpr std::size_t k_parts_max = 1000;
// Problems kept per message; the last one says how many more there were.
constexpr std::size_t k_problems_max = 50;
// Characters of an offending header value or parameter quoted in a problem.
constexpr std::size_t k_item_max = 60;
// Bytes read from a GMime stream at once.
constexpr std::size_t k_read_chunk = 64 * 1024;

void ensure_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

class Problems {
 public:
  void add(std::string problem) {
    if (std::find(m_items.begin(), m_items.end(), problem) != m_items.end()) {
      return;
    }
    if (m_items.size() < k_problems_max) {
      m_items.push_back(std::move(problem));
    } else {
      ++m_dropped;
    }
  }
  std::vector<std::string> take() {
    if (m_dropped > 0) {
      m_items.push_back("... and " + std::to_string(m_dropped) + " more problems");
    }
    return std::move(m_items);
  }

 private:
  std::vector<std::string> m_items;
  std::size_t m_dropped = 0;
};

// A value from the message quoted for a person: control and 8-bit bytes as \xNN, cut.
std::string quoted_item(std::string_view item) {
  std::string out = "\"";
  for (std::size_t i = 0; i < item.size() && i < k_item_max; ++i) {
    const auto byte = static_cast<unsigned char>(item[i]);
    if (byte < 0x20 || byte >= 0x7F) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02X", byte);
      out += buffer;
    } else {
      out += item[i];
    }
  }
  return out + (item.size() > k_item_max ? "...\"" : "\"");
}

std::string_view warning_text(GMimeParserWarning code) {
  switch (code) {
    case GMIME_WARN_DUPLICATED_HEADER:
      return "header repeated that must occur once";
    case GMIME_WARN_DUPLICATED_PARAMETER:
      return "parameter repeated";
    case GMIME_WARN_UNENCODED_8BIT_HEADER:
      return "header contains unencoded 8-bit bytes";
    case GMIME_WARN_INVALID_CONTENT_TYPE:
      return "invalid Content-Type, read as application/octet-stream";
    case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE:
      return "invalid RFC 2047 encoded word";
    case GMIME_WARN_MALFORMED_MULTIPART:
      return "malformed multipart";
    case GMIME_WARN_TRUNCATED_MESSAGE:
      return "message is truncated";
    case GMIME_WARN_MALFORMED_MESSAGE:
      return "message is malformed";
    case GMIME_CRIT_INVALID_HEADER_NAME:
      return "invalid header name";
    case GMIME_CRIT_CONFLICTING_HEADER:
      return "conflicting header";
    case GMIME_CRIT_CONFLICTING_PARAMETER:
      return "conflicting parameter";
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
      return "multipart without a boundary parameter";
    case GMIME_WARN_INVALID_PARAMETER:
      return "invalid header parameter";
    case GMIME_WARN_INVALID_ADDRESS_LIST:
      return "invalid address list";
    case GMIME_CRIT_NESTING_OVERFLOW:
      return "MIME nesting too deep";
    case GMIME_WARN_PART_WITHOUT_CONTENT:
      return "part headers ended by a boundary, no content";
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
      return "part without headers or content";
  }
  return "MIME parser warning";
}

void on_parser_warning(gint64 offset, GMimeParserWarning code, const gchar* item, gpointer problems) {
  std::string text(warning_text(code));
  if (item && *item) {
    text += ": " + quoted_item(item);
  }
  if (offset >= 0) {
    text += " (byte " + std::to_string(offset) + ")";
  }
  static_cast<Problems*>(problems)->add(std::move(text));
}

// One parsed message with the parser options and problem list its GMime objects refer to.
struct Document {
  explicit Document(std::string_view raw) : bytes(raw) {
    ensure_gmime();
    // Multiparts nested past the limit cost GMime seconds: the rest is cut, with a problem noted.
    if (const std::size_t cut = nesting_cut(raw); cut != std::string_view::npos) {
      bytes = raw.substr(0, cut);
      problems.add("multiparts nest deeper than " + std::to_string(k_open_boundaries_max) + " levels at byte " +
                   std::to_string(cut) + ": the rest of the message is not inspected");
    }
    Owned<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
    Owned<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
    g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
    g_mime_parser_options_set_warning_callback(options.get(), on_parser_warning, &problems);
    message.reset(g_mime_parser_construct_message(parser.get(), options.get()));
  }
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

  std::string_view bytes;  // what GMime parsed: the message, or its part before a cut
  Problems problems;
  OwnedParserOptions options{g_mime_parser_options_new()};
  Owned<GMimeMessage> message;
};

std::string read_all(GMimeStream* stream) {
  std::string out;
  if (!stream || g_mime_stream_reset(stream) != 0) {
    return out;
  }
  std::string chunk(k_read_chunk, '\0');
  for (;;) {
    const auto n = g_mime_stream_read(stream, chunk.data(), chunk.size());
    if (n <= 0) {
      break;
    }
    out.append(chunk.data(), static_cast<std::size_t>(n));
  }
  return out;
}

// Transfer-decoded bytes of a leaf part.
std::string decoded_bytes(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (!content) {
    return {};
  }
  Owned<GMimeStream> sink(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, sink.get());
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(sink.get()));
  return bytes ? std::string(reinterpret_cast<const char*>(bytes->data), bytes->len) : std::string();
}

// The content a person reads: text converted from its charset to UTF-8, anything else as is.
std::string readable_content(GMimePart* part) {
  if (GMIME_IS_TEXT_PART(part)) {
    return take(g_mime_text_part_get_text(GMIME_TEXT_PART(part)));
  }
  return decoded_bytes(part);
}

std::string where(const std::string& path) { return path.empty() ? "message" : "part " + path; }

std::string child_path(const std::string& parent, std::size_t index) {
  return parent.empty() ? std::to_string(index) : parent + "." + std::to_string(index);
}

// A leaf part as lookups need it.
struct Leaf {
  std::string path;
  GMimePart* part = nullptr;
  bool attachment = false;
  bool encapsulated = false;  // inside a message/rfc822 part
};

// Walks the GMime tree in order, numbering parts the IMAP way (RFC 3501 6.4.5). With `inspect`,
// it also decodes every leaf for its size and checks encodings and boundaries.
class Walker {
 public:
  Walker(bool inspect, std::string_view raw, Problems& problems)
      : m_inspect(inspect), m_raw(raw), m_problems(problems) {}

  Part walk(GMimeObject* object, const std::string& path, std::size_t depth, bool encapsulated) {
    Part part = describe(object, path);
    ++m_parts;
    if (depth > k_depth_max) {
      m_problems.add(where(path) + ": nested more than " + std::to_string(k_depth_max) +
                     " levels deep; not inspected further");
      return part;
    }
    if (GMIME_IS_MULTIPART(object)) {
      auto* multipart = GMIME_MULTIPART(object);
      if (m_inspect) {
        check_end_boundary(multipart, path);
      }
      const int count = g_mime_multipart_get_count(multipart);
      for (int i = 0; i < count; ++i) {
        if (m_parts >= k_parts_max) {
          m_problems.add("more than " + std::to_string(k_parts_max) + " parts; the rest is not inspected");
          break;
        }
        part.children.push_back(walk(g_mime_multipart_get_part(multipart, i),
                                     child_path(path, static_cast<std::size_t>(i) + 1), depth + 1, encapsulated));
      }
    } else if (GMIME_IS_MESSAGE_PART(object)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
      GMimeObject* body = inner ? g_mime_message_get_mime_part(inner) : nullptr;
      if (body) {
        // IMAP: an encapsulated multipart's parts are path.1, path.2; a single body is path.1.
        const std::string body_path = GMIME_IS_MULTIPART(body) ? path : child_path(path, 1);
        part.children.push_back(walk(body, body_path, depth + 1, true));
      }
    } else if (GMIME_IS_PART(object)) {
      auto* leaf = GMIME_PART(object);
      if (m_inspect) {
        part.size = decoded_bytes(leaf).size();
        check_encoding(leaf, part, path);
      }
      m_leaves.push_back({path, leaf, is_attachment(part), encapsulated});
    }
    return part;
  }

  const std::vector<Leaf>& leaves() const { return m_leaves; }

 private:
  static Part describe(GMimeObject* object, const std::string& path) {
    Part part;
    part.path = path;
    if (GMimeContentType* type = g_mime_object_get_content_type(object)) {
      part.content_type = ascii::lower(take(g_mime_content_type_get_mime_type(type)));
    }
    part.charset = ascii::lower(copy(g_mime_object_get_content_type_parameter(object, "charset")));
    part.transfer_encoding =
        ascii::lower(ascii::trim(copy(g_mime_object_get_header(object, "Content-Transfer-Encoding"))));
    part.disposition = ascii::lower(copy(g_mime_object_get_disposition(object)));
    part.content_id = copy(g_mime_object_get_content_id(object));
    if (GMIME_IS_PART(object)) {
      part.filename = copy(g_mime_part_get_filename(GMIME_PART(object)));
    } else {
      part.filename = copy(g_mime_object_get_content_disposition_parameter(object, "filename"));
      if (part.filename.empty()) {
        part.filename = copy(g_mime_object_get_content_type_parameter(object, "name"));
      }
    }
    return part;
  }

  void check_end_boundary(GMimeMultipart* multipart, const std::string& path) {
    // The parameter as parsed: g_mime_multipart_get_boundary() makes one up when it is
    // missing, and rewriting the Content-Type of a hostile header took GMime minutes and GiBs.
    const char* boundary = g_mime_object_get_content_type_parameter(GMIME_OBJECT(multipart), "boundary");
    if (!boundary || !*boundary) {
      m_problems.add(where(path) + ": multipart without a boundary parameter (RFC 2046 5.1.1)");
      return;
    }
    const std::string end = "--" + std::string(boundary) + "--";
    for (std::size_t at = m_raw.find(end); at != std::string_view::npos; at = m_raw.find(end, at + 1)) {
      if (at == 0 || m_raw[at - 1] == '\n') {
        return;
      }
    }
    m_problems.add(where(path) + ": missing end boundary " + quoted_item(end));
  }

  void check_encoding(GMimePart* leaf, const Part& part, const std::string& path) {
    std::optional<std::string> problem;
    if (part.transfer_encoding == "base64") {
      problem = base64_problem(read_all(g_mime_data_wrapper_get_stream(g_mime_part_get_content(leaf))));
    } else if (part.transfer_encoding == "quoted-printable") {
      problem = quoted_printable_problem(read_all(g_mime_data_wrapper_get_stream(g_mime_part_get_content(leaf))));
    }
    if (problem) {
      m_problems.add(where(path) + ": " + *problem);
    }
  }

  bool m_inspect;
  std::string_view m_raw;
  Problems& m_problems;
  std::size_t m_parts = 0;
  std::vector<Leaf> m_leaves;
};

// The top-level header section from the raw bytes: GMime files the Content-* fields under the
// body part, while a person expects every field in order. RFC 5322 2.2.3: unfolding removes the
// line breaks only; RFC 2047 words (and raw 8-bit text) are decoded to UTF-8 by GMime.
std::vector<Header> top_headers(std::string_view raw) {
  std::vector<Header> fields;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    const std::size_t eol = raw.find('\n', pos);
    std::string_view line = raw.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? raw.size() : eol + 1;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (!fields.empty()) {
        fields.back().value += line;
      }
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;  // not a field (an mbox "From " line, garbage): GMime reports what matters
    }
    fields.push_back({std::string(ascii::trim(line.substr(0, colon))), std::string(line.substr(colon + 1))});
  }
  GMimeParserOptions* defaults = g_mime_parser_options_get_default();
  for (auto& field : fields) {
    field.value = std::string(ascii::trim(take(g_mime_utils_header_decode_text(defaults, field.value.c_str()))));
  }
  return fields;
}

// RFC 2045 4: MIME-Version is required when the message uses MIME header fields.
void check_mime_version(const std::vector<Header>& headers, Problems& problems) {
  bool mime_fields = false;
  for (const auto& header : headers) {
    if (ascii::iequals(header.name, "MIME-Version")) {
      return;
    }
    mime_fields = mime_fields || ascii::lower(header.name).starts_with("content-");
  }
  if (mime_fields) {
    problems.add("Content-* header fields without MIME-Version (RFC 2045 4)");
  }
}

// The leaves of a message, structure only.
std::vector<Leaf> leaves_of(const Document& document, std::string_view raw) {
  Problems ignored;
  Walker walker(false, raw, ignored);
  if (GMimeObject* body = document.message ? g_mime_message_get_mime_part(document.message.get()) : nullptr) {
    walker.walk(body, "", 0, false);
  }
  return walker.leaves();
}

}  // namespace

bool is_attachment(const Part& part) {
  return part.disposition == "attachment" || (part.disposition.empty() && !part.filename.empty());
}

Parsed parse(std::string_view message) {
  Document document(message);
  Parsed parsed;
  parsed.root.content_type = "text/plain";  // RFC 2045 5.2, for a message GMime cannot read
  if (!document.message) {
    document.problems.add("not a message: no header section could be read");
    parsed.problems = document.problems.take();
    return parsed;
  }
  parsed.headers = top_headers(message);
  check_mime_version(parsed.headers, document.problems);
  if (GMimeObject* body = g_mime_message_get_mime_part(document.message.get())) {
    Walker walker(true, message, document.problems);
    parsed.root = walker.walk(body, "", 0, false);
  }
  parsed.problems = document.problems.take();
  return parsed;
}

std::optional<std::string> part_content(std::string_view message, std::string_view path) {
  Document document(message);
  for (const auto& leaf : leaves_of(document, message)) {
    if (leaf.path == path) {
      return readable_content(leaf.part);
    }
  }
  return std::nullopt;
}

std::optional<std::string> text_body(std::string_view message, std::string_view subtype) {
  Document document(message);
  const std::string wanted = "text/" + ascii::lower(subtype);
  for (const auto& leaf : leaves_of(document, message)) {
    if (leaf.attachment || leaf.encapsulated) {
      continue;
    }
    GMimeContentType* type = g_mime_object_get_content_type(GMIME_OBJECT(leaf.part));
    if (type && ascii::lower(take(g_mime_content_type_get_mime_type(type))) == wanted) {
      return readable_content(leaf.part);
    }
  }
  return std::nullopt;
}

}  // namespace maildog::mime
