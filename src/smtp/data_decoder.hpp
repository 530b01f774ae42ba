// DATA phase decoder: finds the end of data (CRLF "." CRLF, RFC 5321 4.1.1.4), removes
// dot-stuffing (4.5.2), and counts what a strict receiver cares about, without ever holding
// more than `size_limit` bytes. Incremental: feed it whatever the socket returned.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace maildog::smtp {

class DataDecoder {
 public:
  explicit DataDecoder(std::size_t size_limit);

  // Consumes bytes up to and including the end-of-data line; returns how many bytes of `input`
  // it used (the rest belongs to the next command, e.g. a pipelined QUIT).
  std::size_t feed(std::string_view input);

  bool done() const { return m_done; }
  // The message without the terminating ".\r\n", dot-unstuffed; line endings as received.
  // Empty once the size limit was exceeded (the rest is counted, not kept).
  const std::string& message() const { return m_message; }
  std::string take_message() { return std::move(m_message); }
  bool too_big() const { return m_too_big; }
  std::size_t size() const { return m_size; }  // unstuffed bytes seen, kept or not

  bool bare_lf() const { return m_bare_lf; }  // LF not preceded by CR
  bool bare_cr() const { return m_bare_cr; }  // CR not followed by LF
  bool eight_bit() const { return m_eight_bit; }
  bool nul() const { return m_nul; }
  std::size_t longest_line() const { return m_longest_line; }  // without CRLF
  std::size_t line_count() const { return m_lines; }
  // First line (1-based, lines end at every LF) where a "." line ended in a bare LF or CR: an
  // end-of-data look-alike (SMTP smuggling) whose dot unstuffing removed from message(); 0: none.
  std::size_t smuggling_line() const { return m_smuggling_line; }

 private:
  std::size_t m_limit;
  std::string m_message;
  std::size_t m_size = 0;
  bool m_done = false;
  bool m_too_big = false;
  bool m_bare_lf = false;
  bool m_bare_cr = false;
  bool m_eight_bit = false;
  bool m_nul = false;
  std::size_t m_longest_line = 0;
  std::size_t m_line_length = 0;
  std::size_t m_lines = 0;
  std::size_t m_smuggling_line = 0;
  // Position in the line-start state machine: at line start, after ".", after ".\r", after "\r".
  enum class State { line_start, text, cr, dot, dot_cr } m_state = State::line_start;

  const char* scan_text(const char* first, const char* last);
  void keep(std::string_view bytes);
  void end_line(std::size_t length);
};

}  // namespace maildog::smtp
