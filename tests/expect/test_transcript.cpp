#include <catch2/catch.hpp>

#include "expect/transcript.hpp"

using maildog::capture::SessionRecord;
using maildog::capture::TranscriptEntry;
using namespace maildog::expect;

namespace {

TranscriptEntry entry(char direction, std::string text) {
  TranscriptEntry out;
  out.direction = direction == 'C'   ? TranscriptEntry::Direction::client
                  : direction == 'S' ? TranscriptEntry::Direction::server
                                     : TranscriptEntry::Direction::event;
  out.text = std::move(text);
  return out;
}

SessionRecord tls_auth_session() {
  SessionRecord session;
  session.id = 2;
  session.client_address = "127.0.0.1";
  session.client_port = 40312;
  session.transcript = {
      entry('S', "220 mx.sandbox.test ESMTP maildog-ci sandbox"),
      entry('C', "EHLO app.test"),
      entry('S', "250-mx.sandbox.test"),
      entry('S', "250 STARTTLS"),
      entry('C', "STARTTLS"),
      entry('S', "220 2.0.0 Ready to start TLS"),
      entry('*', "TLS established: TLSv1.3 TLS_AES_256_GCM_SHA384"),
      entry('C', "AUTH CRAM-MD5"),
      entry('S', "334 PDEyMzQ1Njc4OS4xNzE3NDA4ODAwQG14LnNhbmRib3gudGVzdD4="),
      entry('C', "***"),
      entry('S', "235 2.7.0 Authentication successful"),
      entry('C', "AUTH LOGIN"),
      entry('S', "334 VXNlcm5hbWU6"),
      entry('C', "***"),
      entry('*', "message: 120 octets, 5 lines"),
      entry('S', "250 2.0.0 Ok: queued as 0A1B2C3D4E"),
  };
  return session;
}

}  // namespace

TEST_CASE("transcript lines are rendered with a header per session", "[transcript]") {
  auto session = tls_auth_session();
  auto lines = render_lines({session});
  REQUIRE(lines.size() == session.transcript.size() + 1);
  CHECK(lines[0] == "== session 2 from 127.0.0.1:40312");
  CHECK(lines[1] == "S: 220 mx.sandbox.test ESMTP maildog-ci sandbox");
  CHECK(lines[2] == "C: EHLO app.test");
  CHECK(lines[7] == "*  TLS established: TLSv1.3 TLS_AES_256_GCM_SHA384");
  CHECK(lines[10] == "C: ***");
  CHECK(lines[16] == "S: 250 2.0.0 Ok: queued as 0A1B2C3D4E");

  SECTION("IPv6 clients get brackets around the address") {
    session.client_address = "::1";
    CHECK(render_session_header(session) == "== session 2 from [::1]:40312");
  }
  SECTION("join_lines ends every line with a line feed") {
    CHECK(join_lines({"a", "b"}) == "a\nb\n");
    CHECK(join_lines({}).empty());
  }
}

TEST_CASE("the normalised transcript replaces what changes from run to run", "[transcript]") {
  auto session = tls_auth_session();
  auto raw = render_lines({session});
  auto lines = normalised_lines({session});
  REQUIRE(lines.size() == raw.size());
  CHECK(lines[0] == "== session 2 from 127.0.0.1");
  CHECK(lines[7] == "*  TLS established: <tls>");
  CHECK(lines[9] == "S: 334 <challenge>");
  CHECK(lines[10] == "C: ***");
  CHECK(lines[13] == "S: 334 VXNlcm5hbWU6");  // LOGIN prompts are fixed text: kept
  CHECK(lines[15] == "*  message: 120 octets, 5 lines");
  CHECK(lines[16] == "S: 250 2.0.0 Ok: queued as <id>");
  for (std::size_t i : {1U, 2U, 3U, 4U, 5U, 6U, 8U, 11U, 12U, 14U}) {
    CHECK(lines[i] == raw[i]);
  }
}

TEST_CASE("normalise_text replaces ports, timestamps, queue ids and temp paths", "[transcript]") {
  auto [input, expected] = GENERATE(table<std::string, std::string>({
      {"connect from 127.0.0.1:40312", "connect from 127.0.0.1:<port>"},
      {"peer [::1]:5555 closed", "peer [::1]:<port> closed"},
      {"target localhost:2525", "target localhost:<port>"},
      {"version 1.2.3:45 stays", "version 1.2.3:45 stays"},
      {"at 2025-06-03T10:00:00Z done", "at <timestamp> done"},
      {"at 2025-06-03T10:00:00.123+02:00", "at <timestamp>"},
      {"at 2025-06-03 10:00:00", "at <timestamp>"},
      {"Date: Tue, 3 Jun 2025 10:00:00 +0000 (UTC)", "Date: <timestamp>"},
      {"Date: 13 Jun 2025 10:00:00 -0700", "Date: <timestamp>"},
      {"ready at 10:00:00", "ready at <timestamp>"},
      {"IPv6 2001:db8:10:20:30::1 stays", "IPv6 2001:db8:10:20:30::1 stays"},
      {"250 2.0.0 Ok: queued as 0A1B2C3D4E", "250 2.0.0 Ok: queued as <id>"},
      {"250 Queued as ABC123 and queued as XYZ", "250 Queued as <id> and queued as <id>"},
      {"saved /tmp/maildog-x1Y2/out.eml", "saved <tmp>/out.eml"},
      {"path=/var/tmp/run42", "path=<tmp>"},
      {"not a temp path: /srv/tmp/x", "not a temp path: /srv/tmp/x"},
      {"AUTH PLAIN ***", "AUTH PLAIN ***"},
  }));
  CAPTURE(input);
  CHECK(normalise_text(input) == expected);
}

TEST_CASE("temp roots come from the options", "[transcript]") {
  NormaliseOptions options;
  options.temp_roots = {"/work/scratch/"};
  CHECK(normalise_text("wrote /work/scratch/a1/b.txt and /tmp/x", options) == "wrote <tmp>/b.txt and /tmp/x");
}
