#include "lint/lint.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "core/ascii.hpp"
#include "lint/header_scan.hpp"
#include "lint/line_scan.hpp"

namespace maildog::lint {

namespace {

using ascii::iequals;

// RFC 5322 3.6: the fields a message has at most once (duplicate_header lists them in this order).
constexpr std::array<std::string_view, 11> k_single_fields{
    "Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Message-ID", "In-Reply-To", "References", "Subject"};

// The fields whose addresses SMTPUTF8 covers (RFC 6532 3.2).
constexpr std::array<std::string_view, 6> k_address_fields{"From", "Sender", "Reply-To", "To", "Cc", "Bcc"};

std::string counted(std::size_t n, std::string_view singular, std::string_view plural) {
  return std::to_string(n) + ' ' + std::string(n == 1 ? singular : plural);
}

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

const HeaderField* find_field(const HeaderSection& headers, std::string_view name) {
  for (const auto& field : headers.fields) {
    if (iequals(field.name, name)) {
      return &field;
    }
  }
  return nullptr;
}

// The field as written, name to last line: both views point into the same message bytes.
std::string_view field_text(const HeaderField& field) {
  return {field.name.data(), static_cast<std::size_t>(field.value.data() + field.value.size() - field.name.data())};
}

// ---- what the envelope and the decoder tell --------------------------------------------------

std::optional<Finding> envelope_utf8(const Envelope& envelope) {
  if (envelope.smtputf8.value_or(true)) {
    return std::nullopt;
  }
  std::vector<std::string> found;
  if (!is_ascii(envelope.mail_from)) {
    found.push_back("MAIL FROM:<" + envelope.mail_from + ">");
  }
  for (const auto& recipient : envelope.recipients) {
    if (!is_ascii(recipient)) {
      found.push_back("RCPT TO:<" + recipient + ">");
    }
  }
  if (found.empty()) {
    return std::nullopt;
  }
  return Finding{Kind::utf8_without_smtputf8,
                 counted(found.size(), "envelope address is", "envelope addresses are") +
                     " not ASCII, but MAIL FROM had no SMTPUTF8 (RFC 6531 3.4)",
                 0, excerpt(found.front())};
}

std::optional<Finding> decoder_smuggling(const Envelope& envelope, std::string_view bytes) {
  if (envelope.smuggling_line == 0) {
    return std::nullopt;
  }
  // The decoder unstuffed the dot, so the kept line starts with what followed it.
  const std::string_view line = line_at(bytes, envelope.smuggling_line);
  const std::string sequence = line.empty()           ? "<CR><LF>.<LF> or <CR><LF>.<CR>"
                               : line.front() == '\n' ? "<CR><LF>.<LF>"
                                                      : "<CR><LF>.<CR>";
  return Finding{Kind::smuggling_eod,
                 sequence +
                     " in the data: a receiver that accepts it as the end of data reads the rest "
                     "as new SMTP commands (SMTP smuggling)",
                 envelope.smuggling_line, line.empty() ? std::string() : excerpt_around(line, 0)};
}

// ---- lines -----------------------------------------------------------------------------------

void lint_lines(const LineScan& scan, const Envelope& envelope, std::string_view bytes,
                std::vector<Finding>& findings) {
  if (scan.bare_lf.count > 0) {
    findings.push_back({Kind::bare_lf,
                        counted(scan.bare_lf.count, "line ends", "lines end") + " in LF without CR (RFC 5322 2.3)",
                        scan.bare_lf.first_line, scan.bare_lf.excerpt});
  }
  if (scan.bare_cr.count > 0) {
    findings.push_back({Kind::bare_cr, counted(scan.bare_cr.count, "CR is", "CRs are") + " not followed by LF",
                        scan.bare_cr.first_line, scan.bare_cr.excerpt});
  }
  if (scan.long_lines.count > 0) {
    findings.push_back({Kind::long_lines,
                        counted(scan.long_lines.count, "line is", "lines are") + " over " + std::to_string(k_line_max) +
                            " octets (RFC 5322 2.1.1), the longest " + std::to_string(scan.longest_line),
                        scan.long_lines.first_line, scan.long_lines.excerpt});
  }
  auto decoded = decoder_smuggling(envelope, bytes);
  if (decoded && (scan.smuggling.count == 0 || decoded->line <= scan.smuggling.first_line)) {
    findings.push_back(std::move(*decoded));
  } else if (scan.smuggling.count > 0) {
    findings.push_back({Kind::smuggling_eod,
                        scan.smuggling_sequence +
                            " in the data: a receiver that accepts it as the end of data reads the rest as new "
                            "SMTP commands (SMTP smuggling)",
                        scan.smuggling.first_line, scan.smuggling.excerpt});
  }
  const bool eight_bit_declared = envelope.eight_bit_mime.value_or(true) || envelope.smtputf8.value_or(false);
  if (scan.eight_bit.count > 0 && !eight_bit_declared) {
    findings.push_back({Kind::eight_bit_without_8bitmime,
                        counted(scan.eight_bit.count, "line has", "lines have") +
                            " 8-bit octets, but MAIL FROM had no BODY=8BITMIME (RFC 6152)",
                        scan.eight_bit.first_line, scan.eight_bit.excerpt});
  }
}

// ---- headers ---------------------------------------------------------------------------------

std::optional<Finding> header_utf8(const HeaderSection& headers, const Envelope& envelope) {
  if (envelope.smtputf8.value_or(true)) {
    return std::nullopt;
  }
  std::size_t count = 0;
  std::optional<Finding> first;
  for (const auto& field : headers.fields) {
    const bool address_field = std::any_of(k_address_fields.begin(), k_address_fields.end(),
                                           [&](std::string_view name) { return iequals(field.name, name); });
    if (!address_field) {
      continue;
    }
    for (const auto& address : addresses(field.value)) {
      if (!is_ascii(address) && count++ == 0) {
        first = Finding{Kind::utf8_without_smtputf8, "", field.line, excerpt(std::string(field.name) + ": " + address)};
      }
    }
  }
  if (first) {
    first->message = counted(count, "header address is", "header addresses are") +
                     " not ASCII, but MAIL FROM had no SMTPUTF8 (RFC 6532 3.2)";
  }
  return first;
}

void lint_missing(const HeaderSection& headers, std::vector<Finding>& findings) {
  if (!find_field(headers, "Date")) {
    findings.push_back({Kind::missing_date, "no Date field (RFC 5322 3.6 requires one)", 0, ""});
  }
  if (!find_field(headers, "Message-ID")) {
    findings.push_back(
        {Kind::missing_message_id, "no Message-ID field (RFC 5322 3.6.4: every message should have one)", 0, ""});
  }
  if (!find_field(headers, "From")) {
    findings.push_back({Kind::missing_from, "no From field (RFC 5322 3.6 requires one)", 0, ""});
  }
}

std::optional<Finding> duplicates(const HeaderSection& headers) {
  std::vector<std::string> repeated;
  const HeaderField* first_repeat = nullptr;
  for (std::string_view name : k_single_fields) {
    std::size_t count = 0;
    for (const auto& field : headers.fields) {
      if (!iequals(field.name, name) || ++count != 2) {
        continue;
      }
      if (!first_repeat || field.line < first_repeat->line) {
        first_repeat = &field;
      }
    }
    if (count > 1) {
      repeated.push_back(std::string(name) + " " + counted(count, "time", "times"));
    }
  }
  if (repeated.empty()) {
    return std::nullopt;
  }
  std::string list;
  for (const auto& item : repeated) {
    list += (list.empty() ? "" : ", ") + item;
  }
  return Finding{Kind::duplicate_header, "fields RFC 5322 3.6 allows once appear more often: " + list,
                 first_repeat->line, excerpt(field_text(*first_repeat))};
}

std::optional<Finding> from_without_domain(const HeaderSection& headers) {
  for (const auto& field : headers.fields) {
    if (!iequals(field.name, "From")) {
      continue;
    }
    const auto found = addresses(field.value);
    if (found.empty()) {
      return Finding{Kind::from_without_domain, "From holds no address", field.line, excerpt(field_text(field))};
    }
    for (const auto& address : found) {
      const std::size_t at = address.rfind('@');
      const std::string_view domain =
          at == std::string::npos ? std::string_view() : std::string_view(address).substr(at + 1);
      if (domain.empty() || domain.find('"') != std::string_view::npos) {
        return Finding{Kind::from_without_domain,
                       "From address " + excerpt(address) + " has no @domain (RFC 5322 3.4.1; DMARC needs one)",
                       field.line, excerpt(field_text(field))};
      }
    }
  }
  return std::nullopt;
}

std::optional<Finding> too_large(const HeaderSection& headers) {
  if (headers.size <= k_header_section_max) {
    return std::nullopt;
  }
  const auto largest = std::max_element(headers.fields.begin(), headers.fields.end(),
                                        [](const HeaderField& a, const HeaderField& b) { return a.size < b.size; });
  std::string message = "the header section is " + std::to_string(headers.size) + " octets, over the " +
                        std::to_string(k_header_section_max) + " strict receivers accept";
  if (largest == headers.fields.end()) {
    return Finding{Kind::header_too_large, message, 1, ""};
  }
  message += "; the largest field is " + std::string(largest->name) + " (" + std::to_string(largest->size) + " octets)";
  return Finding{Kind::header_too_large, message, largest->line, excerpt(field_text(*largest))};
}

void add(std::optional<Finding> finding, std::vector<Finding>& findings) {
  if (finding) {
    findings.push_back(std::move(*finding));
  }
}

void in_kind_order(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(),
                   [](const Finding& a, const Finding& b) { return a.kind < b.kind; });
}

}  // namespace

std::vector<Finding> lint_message(std::string_view bytes, const Envelope& envelope) {
  std::vector<Finding> findings;
  lint_lines(scan_lines(bytes), envelope, bytes, findings);
  const HeaderSection headers = scan_headers(bytes);
  if (auto envelope_finding = envelope_utf8(envelope)) {
    findings.push_back(std::move(*envelope_finding));
  } else {
    add(header_utf8(headers, envelope), findings);
  }
  lint_missing(headers, findings);
  add(duplicates(headers), findings);
  add(from_without_domain(headers), findings);
  add(too_large(headers), findings);
  in_kind_order(findings);
  return findings;
}

std::vector<Finding> lint_envelope(const Envelope& envelope) {
  std::vector<Finding> findings;
  if (envelope.bare_lf) {
    findings.push_back({Kind::bare_lf, "the DATA decoder saw LF without CR (the message was not kept)", 0, ""});
  }
  add(decoder_smuggling(envelope, {}), findings);
  add(envelope_utf8(envelope), findings);
  in_kind_order(findings);
  return findings;
}

}  // namespace maildog::lint
