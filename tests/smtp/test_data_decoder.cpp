#include <catch2/catch.hpp>

#include "smtp/data_decoder.hpp"

#include <ostream>
#include <string>

using namespace std::string_literals;
using maildog::smtp::DataDecoder;

namespace {

constexpr std::size_t k_roomy_limit = 1 << 20;

// Everything a DataDecoder tells its caller, so runs with different chunk sizes compare whole.
struct Outcome {
  std::size_t consumed = 0;
  bool done = false;
  std::string message;
  bool too_big = false;
  std::size_t size = 0;
  bool bare_lf = false;
  bool bare_cr = false;
  bool eight_bit = false;
  bool nul = false;
  std::size_t longest_line = 0;
  std::size_t line_count = 0;
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

std::string escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\0') {
      out += "\\0";
    } else {
      out += c;
    }
  }
  return out;
}

[[maybe_unused]] std::ostream& operator<<(std::ostream& out, const Outcome& o) {
  return out << "{consumed " << o.consumed << ", done " << o.done << ", message \"" << escaped(o.message)
             << "\", too_big " << o.too_big << ", size " << o.size << ", bare_lf " << o.bare_lf << ", bare_cr "
             << o.bare_cr << ", eight_bit " << o.eight_bit << ", nul " << o.nul << ", longest_line " << o.longest_line
             << ", line_count " << o.line_count << "}";
}

// Feeds `input` in pieces of `chunk` bytes, as a socket might deliver it, until end of data.
Outcome decode(std::string_view input, std::size_t chunk, std::size_t limit = k_roomy_limit) {
  DataDecoder decoder(limit);
  Outcome out;
  while (out.consumed < input.size() && !decoder.done()) {
    const std::string_view piece = input.substr(out.consumed, chunk);
    const std::size_t used = decoder.feed(piece);
    // Only the end of data stops the decoder short of the piece it was given.
    REQUIRE((used == piece.size() || decoder.done()));
    out.consumed += used;
  }
  out.done = decoder.done();
  out.message = decoder.message();
  out.too_big = decoder.too_big();
  out.size = decoder.size();
  out.bare_lf = decoder.bare_lf();
  out.bare_cr = decoder.bare_cr();
  out.eight_bit = decoder.eight_bit();
  out.nul = decoder.nul();
  out.longest_line = decoder.longest_line();
  out.line_count = decoder.line_count();
  return out;
}

// A finished, clean message of `message`: the common expectation, adjusted per case.
Outcome finished(std::string message, std::size_t consumed, std::size_t lines, std::size_t longest) {
  Outcome out;
  out.consumed = consumed;
  out.done = true;
  out.size = message.size();
  out.message = std::move(message);
  out.line_count = lines;
  out.longest_line = longest;
  return out;
}

Outcome with_bare_lf(Outcome out) {
  out.bare_lf = true;
  return out;
}

Outcome with_bare_cr(Outcome out) {
  out.bare_cr = true;
  return out;
}

Outcome unfinished(Outcome out) {
  out.done = false;
  return out;
}

}  // namespace

TEST_CASE("DATA decoding gives the same result whatever the chunk size", "[smtp][data]") {
  const std::size_t chunk = GENERATE(1, 2, 3, 7, 4096);
  auto [name, input, expected] = GENERATE(table<std::string, std::string, Outcome>({
      {"empty message", ".\r\n", finished("", 3, 0, 0)},
      {"headers and body", "Subject: hi\r\n\r\nHello\r\n.\r\n", finished("Subject: hi\r\n\r\nHello\r\n", 25, 3, 11)},
      {"one empty line", "\r\n.\r\n", finished("\r\n", 5, 1, 0)},
      // RFC 5321 4.5.2: the first dot of a line is removed, whatever follows it.
      {"dot-stuffing", "..leading\r\n...\r\n.x\r\n.\r\n", finished(".leading\r\n..\r\nx\r\n", 23, 3, 8)},
      {"a dot inside a line", "a.\r\n.b.\r\n.\r\n", finished("a.\r\nb.\r\n", 12, 2, 2)},
      {"10,000 dots", std::string(10000, '.') + "\r\n.\r\n", finished(std::string(9999, '.') + "\r\n", 10005, 1, 9999)},
      {"a long line", std::string(2000, 'x') + "\r\n.\r\n", finished(std::string(2000, 'x') + "\r\n", 2005, 1, 2000)},
      // Pipelined commands after the end of data are left for the caller.
      {"pipelined QUIT", "a\r\n.\r\nQUIT\r\n", finished("a\r\n", 6, 1, 1)},
      {"pipelined MAIL", ".\r\nMAIL FROM:<a@b>\r\n.\r\n", finished("", 3, 0, 0)},
      // SMTP smuggling: none of these ends the data; they stay in the message.
      {"<LF>.<LF>", "A\n.\nMAIL FROM:<x@y>\r\n.\r\n", with_bare_lf(finished("A\n.\nMAIL FROM:<x@y>\r\n", 24, 3, 15))},
      {"<CR>.<CR>", "A\r.\rB\r\n.\r\n", with_bare_cr(finished("A\r.\rB\r\n", 10, 1, 5))},
      {"<LF>.<CR><LF>", "A\n.\r\nB\r\n.\r\n", with_bare_lf(finished("A\n.\r\nB\r\n", 11, 3, 1))},
      {"<CR><LF>.<LF>: the dot is stuffing", "A\r\n.\nB\r\n.\r\n", with_bare_lf(finished("A\r\n\nB\r\n", 11, 3, 1))},
      {"<CR><LF>.<CR>B: the dot is stuffing", "A\r\n.\rB\r\n.\r\n", with_bare_cr(finished("A\r\n\rB\r\n", 11, 2, 2))},
      {"<CR><LF>.<CR><CR><LF>", "A\r\n.\r\r\n.\r\n", with_bare_cr(finished("A\r\n\r\r\n", 10, 2, 1))},
      {"a bare LF first", "\n.\r\n.\r\n", with_bare_lf(finished("\n.\r\n", 7, 2, 1))},
      {"only smuggled ends", "A\n.\nB\r.\rC\n.\r\n",
       unfinished(with_bare_cr(with_bare_lf(finished("A\n.\nB\r.\rC\n.\r\n", 13, 4, 5))))},
      {"a bare CR before CRLF", "A\r\r\n.\r\n", with_bare_cr(finished("A\r\r\n", 7, 1, 2))},
      {"CR at the very end", "A\r", unfinished(finished("A\r", 2, 0, 0))},
      {"an unfinished end of data", "A\r\n.\r", unfinished(finished("A\r\n", 5, 1, 1))},
      {"a lone dot line so far", "A\r\n.", unfinished(finished("A\r\n", 4, 1, 1))},
  }));
  CAPTURE(name, chunk);
  CHECK(decode(input, chunk) == expected);
}

TEST_CASE("DATA decoding notes 8-bit and NUL octets", "[smtp][data]") {
  const std::size_t chunk = GENERATE(1, 2, 3, 7, 4096);
  CAPTURE(chunk);
  SECTION("UTF-8 text") {
    Outcome expected = finished("caf\xc3\xa9\r\n", 10, 1, 5);
    expected.eight_bit = true;
    CHECK(decode("caf\xc3\xa9\r\n.\r\n", chunk) == expected);
  }
  SECTION("a NUL octet") {
    Outcome expected = finished("nul\0here\r\n"s, 13, 1, 8);
    expected.nul = true;
    CHECK(decode("nul\0here\r\n.\r\n"s, chunk) == expected);
  }
  SECTION("both, far into a long line") {
    const std::string line = std::string(5000, 'a') + '\0' + std::string(3000, 'b') + "\xff\r\n";
    Outcome expected = finished(line, line.size() + 3, 1, line.size() - 2);
    expected.eight_bit = true;
    expected.nul = true;
    CHECK(decode(line + ".\r\n", chunk) == expected);
  }
  SECTION("neither in plain text") {
    const Outcome outcome = decode("plain ASCII text, every printable: ~!@#$%^&*()_+{}|:\"<>?\r\n.\r\n", chunk);
    CHECK_FALSE(outcome.eight_bit);
    CHECK_FALSE(outcome.nul);
  }
}

TEST_CASE("the size limit stops keeping, not counting", "[smtp][data]") {
  const std::size_t chunk = GENERATE(1, 2, 3, 7, 4096);
  CAPTURE(chunk);
  const std::string input = "0123456789\r\n..abc\r\n.\r\nQUIT\r\n";
  SECTION("over the limit: nothing kept, the end still found") {
    Outcome expected = finished("", 22, 2, 10);
    expected.too_big = true;
    expected.size = 18;  // "0123456789\r\n.abc\r\n" after unstuffing
    CHECK(decode(input, chunk, 10) == expected);
  }
  SECTION("exactly at the limit: all kept") {
    CHECK(decode(input, chunk, 18) == finished("0123456789\r\n.abc\r\n", 22, 2, 10));
  }
  SECTION("one byte over") {
    const Outcome outcome = decode(input, chunk, 17);
    CHECK(outcome.too_big);
    CHECK(outcome.message.empty());
    CHECK(outcome.size == 18);
    CHECK(outcome.consumed == 22);
  }
  SECTION("a zero limit") {
    const Outcome outcome = decode(input, chunk, 0);
    CHECK(outcome.too_big);
    CHECK(outcome.done);
    CHECK(outcome.size == 18);
  }
}

TEST_CASE("a large mixed message decodes the same in any chunking", "[smtp][data]") {
  std::string input;
  std::string message;
  for (int i = 0; i < 2000; ++i) {
    const std::string text = "line " + std::to_string(i) + (i % 7 == 0 ? " caf\xc3\xa9" : "");
    if (i % 5 == 0) {
      input += "." + text + "\r\n";  // a stuffed line
    } else if (i % 11 == 0) {
      input += text + "\n.\r\n";  // a smuggling attempt
      message += text + "\n.\r\n";
      continue;
    } else {
      input += text + "\r\n";
    }
    message += text + "\r\n";
  }
  input += ".\r\nQUIT\r\n";
  const Outcome whole = decode(input, input.size());
  CHECK(whole.done);
  CHECK(whole.consumed == input.size() - 6);
  CHECK(whole.message == message);
  CHECK(whole.size == message.size());
  CHECK(whole.bare_lf);
  CHECK_FALSE(whole.bare_cr);
  CHECK(whole.eight_bit);
  CHECK(whole.longest_line == std::string("line 1995 caf\xc3\xa9").size());
  const std::size_t chunk = GENERATE(1, 2, 3, 7, 4096, 65536);
  CAPTURE(chunk);
  CHECK(decode(input, chunk) == whole);
}

TEST_CASE("the decoder's own bookkeeping", "[smtp][data]") {
  DataDecoder decoder(k_roomy_limit);
  SECTION("empty input consumes nothing") {
    CHECK(decoder.feed("") == 0);
    CHECK_FALSE(decoder.done());
  }
  SECTION("nothing is taken after the end of data") {
    CHECK(decoder.feed("hi\r\n.\r\nRSET\r\n") == 7);
    CHECK(decoder.done());
    CHECK(decoder.feed("RSET\r\n") == 0);
    CHECK(decoder.message() == "hi\r\n");
  }
  SECTION("take_message moves the message out") {
    decoder.feed("hi\r\n.\r\n");
    CHECK(decoder.take_message() == "hi\r\n");
    CHECK(decoder.size() == 4);
  }
}
