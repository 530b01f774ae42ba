#include "smtp/data_decoder.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace maildog::smtp {

namespace {

struct OctetFlags {
  bool eight_bit = false;
  bool nul = false;
};

// Looks for 8-bit and NUL octets a word at a time: this loop sees every byte of every message.
OctetFlags scan_octets(const char* first, const char* last) {
  constexpr std::uint64_t k_ones = 0x0101010101010101ULL;
  constexpr std::uint64_t k_high_bits = 0x8080808080808080ULL;
  constexpr std::ptrdiff_t k_word = sizeof(std::uint64_t);
  std::uint64_t any_high = 0;
  std::uint64_t any_zero = 0;
  for (; last - first >= k_word; first += k_word) {
    std::uint64_t word = 0;
    std::memcpy(&word, first, sizeof word);
    any_high |= word;
    // A zero byte is the only way to get a high bit from (byte - 1) & ~byte (borrows only ever
    // add false hits above a real zero byte, so "is there one" stays exact).
    any_zero |= (word - k_ones) & ~word;
  }
  OctetFlags flags{(any_high & k_high_bits) != 0, (any_zero & k_high_bits) != 0};
  for (; first != last; ++first) {
    const auto c = static_cast<unsigned char>(*first);
    flags.eight_bit = flags.eight_bit || c >= 0x80;
    flags.nul = flags.nul || c == 0;
  }
  return flags;
}

}  // namespace

DataDecoder::DataDecoder(std::size_t size_limit) : m_limit(size_limit) {}

// Bytes are kept in runs, one append per run rather than per line: a run ends only where a
// byte is dropped (a stuffed dot, the end-of-data line) and at the end of the input.
std::size_t DataDecoder::feed(std::string_view input) {
  const char* const first = input.data();
  const char* const last = first + input.size();
  const char* p = first;
  const char* run = first;
  auto drop_byte = [&] {
    keep({run, static_cast<std::size_t>(p - run)});
    run = ++p;
  };
  while (p != last && !m_done) {
    switch (m_state) {
      case State::line_start:
        if (*p == '.') {
          m_state = State::dot;
          drop_byte();
          continue;
        }
        break;
      case State::dot:
        if (*p == '\r') {
          m_state = State::dot_cr;
          drop_byte();
          continue;
        }
        // RFC 5321 4.5.2: any other line starting with "." lost that dot to stuffing.
        if (*p == '\n' && m_smuggling_line == 0) {
          m_smuggling_line = m_lines + 1;
        }
        break;
      case State::dot_cr:
        // RFC 5321 4.1.1.4: only CRLF "." CRLF ends the data; anything laxer is the
        // SMTP smuggling hole, so ".\r" followed by anything else is content with a bare CR.
        if (*p == '\n') {
          m_done = true;
          drop_byte();
          continue;
        }
        keep("\r");  // the CR skipped after the dot is content after all; the run starts at p
        ++m_line_length;
        m_bare_cr = true;
        if (m_smuggling_line == 0) {
          m_smuggling_line = m_lines + 1;
        }
        break;
      case State::cr:
        if (*p == '\n') {
          end_line(m_line_length - 1);  // the CR was counted with the line
          m_state = State::line_start;
          ++p;
          continue;
        }
        m_bare_cr = true;
        break;
      case State::text:
        break;
    }
    p = scan_text(p, last);
  }
  keep({run, static_cast<std::size_t>(p - run)});
  return static_cast<std::size_t>(p - first);
}

// Passes over text up to and including the next LF (or the whole input when there is none),
// with one memchr per line rather than a state change per byte; feed() keeps the bytes.
const char* DataDecoder::scan_text(const char* first, const char* last) {
  const auto* newline = static_cast<const char*>(std::memchr(first, '\n', static_cast<std::size_t>(last - first)));
  const char* const stop = newline != nullptr ? newline : last;
  // A CR right before the LF (or at the end of the input, still waiting for its LF) is no
  // bare CR; any other CR in the run is.
  const bool ends_in_cr = stop != first && stop[-1] == '\r';
  const char* const paired_cr = ends_in_cr ? stop - 1 : stop;
  if (!m_bare_cr && std::memchr(first, '\r', static_cast<std::size_t>(paired_cr - first)) != nullptr) {
    m_bare_cr = true;
  }
  if (!m_eight_bit || !m_nul) {
    const OctetFlags flags = scan_octets(first, stop);
    m_eight_bit = m_eight_bit || flags.eight_bit;
    m_nul = m_nul || flags.nul;
  }
  m_line_length += static_cast<std::size_t>(stop - first);
  if (newline == nullptr) {
    m_state = ends_in_cr ? State::cr : State::text;
    return last;
  }
  if (ends_in_cr) {
    end_line(m_line_length - 1);
    m_state = State::line_start;
  } else {
    // A bare LF ends a line for the statistics, but never starts one for end of data.
    m_bare_lf = true;
    end_line(m_line_length);
    m_state = State::text;
  }
  return newline + 1;
}

void DataDecoder::keep(std::string_view bytes) {
  if (bytes.empty()) {
    return;
  }
  m_size += bytes.size();
  if (m_too_big) {
    return;
  }
  if (m_size > m_limit) {
    m_too_big = true;
    std::string().swap(m_message);  // give the memory back, not just the length
    return;
  }
  m_message.append(bytes);
}

void DataDecoder::end_line(std::size_t length) {
  m_longest_line = std::max(m_longest_line, length);
  ++m_lines;
  m_line_length = 0;
}

}  // namespace maildog::smtp
