#include <catch2/catch.hpp>

#include <filesystem>

#include "serve/sqlite.hpp"
#include "serve/store.hpp"
#include "support/temp_dir.hpp"

using namespace maildog;
using namespace maildog::serve;

// The record columns of a --data folder written before the capture record codec (issue 22): the
// rows below are what maildog-ci daba7b9's serve wrote for one message with a refused
// recipient and one refused attempt (transcripts shortened). The tables are unchanged, so the
// store of this build makes them; the records are the old build's text, and must still read.
TEST_CASE("a store's records written before the record codec still read", "[serve][store][sqlite]") {
  test::TempDir dir;
  const std::string data = (dir.path() / "data").string();
  make_sqlite_store(data, 0).reset();  // the current schema, empty
  {
    sqlite::Database db((std::filesystem::path(data) / "maildog.sqlite3").string());
    db.execute(R"sql(
INSERT INTO messages VALUES(1,1796699990116489,1,'a@x.test','b@y.test' || char(10),'old store',' ',
'{"auth_results":{},"authentication_results":"","bare_lf":false,"data_reply":{"code":354,"enhanced":null,"lines":["End data with <CR><LF>.<CR><LF>"]},"delivered":true,"eight_bit":false,"final_reply":{"code":250,"enhanced":"2.0.0","lines":["Ok: queued as E76408A1EC"]},"lint":[],"mail_from":"a@x.test","mail_parameters":"size=122","mail_reply":{"code":250,"enhanced":"2.1.0","lines":["Sender ok"]},"recipients":[{"address":"b@y.test","attempt":1,"parameters":"","reply":{"code":250,"enhanced":"2.1.5","lines":["Recipient ok"]}},{"address":"bad@y.test","attempt":1,"parameters":"","reply":{"code":550,"enhanced":"5.1.1","lines":["no such user"]}}],"smuggling_line":0}',
CAST('Subject: old store' || char(13) || char(10) || char(13) || char(10) || 'hello' || char(13) || char(10) AS BLOB));
INSERT INTO sessions VALUES(1,0,'{"auth_mechanism":"","auth_user":null,"client_address":"127.0.0.1","client_port":39232,"close_reason":"quit","duration_us":99293,"esmtp":true,"helo":"old.client.test","id":1,"refusals":[{"argument":"bad@y.test","command":"RCPT","reason":"rule","recipients":[],"reply":{"code":550,"enhanced":"5.1.1","lines":["no such user"]}}],"started_us":1796699990062187,"tls":false,"tls_cipher":"","tls_version":"","transcript":[]}');
INSERT INTO session_lines VALUES(1,0,'[{"direction":"server","offset_us":108,"text":"220 mx.sandbox.test ESMTP maildog-ci sandbox"},{"direction":"client","offset_us":11442,"text":"ehlo old.client.test"},{"direction":"event","offset_us":41426,"text":"rule 1 matched at rcpt"}]');
INSERT INTO session_lines VALUES(1,3,'[{"direction":"client","offset_us":99173,"text":"quit"},{"direction":"server","offset_us":99180,"text":"221 2.0.0 mx.sandbox.test Bye"}]');
INSERT INTO attempts VALUES(2,1796699990175032,1,'refused',0,'a@x.test','bad@y.test' || char(10),'',' 550 5.1.1 ',' rule ',
'{"at_us":1796699990175032,"auth_user":null,"client_address":"127.0.0.1","client_port":39246,"ended":"RSET","fault":"","helo":"x","message_id":0,"message_size":0,"refusals":[{"argument":"bad@y.test","command":"RCPT","reason":"rule","recipients":[],"reply":{"code":550,"enhanced":"5.1.1","lines":["no such user"]}}],"session_id":2,"status":"refused","subject":"","transaction":{"auth_results":{},"authentication_results":"","bare_lf":false,"data_reply":null,"delivered":false,"eight_bit":false,"final_reply":null,"lint":[],"mail_from":"a@x.test","mail_parameters":"size=122","mail_reply":{"code":250,"enhanced":"2.1.0","lines":["Sender ok"]},"recipients":[{"address":"bad@y.test","attempt":2,"parameters":"","reply":{"code":550,"enhanced":"5.1.1","lines":["no such user"]}}],"smuggling_line":0},"transcript":[{"direction":"server","offset_us":3894,"text":"220 mx.sandbox.test ESMTP maildog-ci sandbox"},{"direction":"client","offset_us":4450,"text":"ehlo x"},{"direction":"server","offset_us":4951,"text":"550 5.1.1 no such user"},{"direction":"client","offset_us":5014,"text":"rset"},{"direction":"event","offset_us":5043,"text":"transaction abandoned: RSET"}]}');
)sql");
  }
  auto store = make_sqlite_store(data, 0);

  const auto message = store->get(1);
  REQUIRE(message);
  const auto& transaction = message->transaction;
  CHECK(message->session_id == 1);
  CHECK(transaction.mail_from == "a@x.test");
  CHECK(transaction.mail_parameters == "size=122");
  CHECK(transaction.mail_reply.summary() == "250 2.1.0 Sender ok");
  REQUIRE(transaction.recipients.size() == 2);
  CHECK(transaction.recipients[1].reply.summary() == "550 5.1.1 no such user");
  CHECK(transaction.accepted_recipients() == std::vector<std::string>{"b@y.test"});
  REQUIRE(transaction.data_reply);
  CHECK_FALSE(transaction.data_reply->enhanced);
  CHECK(transaction.final_reply->summary() == "250 2.0.0 Ok: queued as E76408A1EC");
  CHECK(transaction.delivered);
  CHECK(*transaction.message == "Subject: old store\r\n\r\nhello\r\n");

  const auto session = store->session(1);
  REQUIRE(session);
  const auto& record = session->record;
  CHECK(record.client_address == "127.0.0.1");
  CHECK(record.client_port == 39232);
  CHECK(record.helo == "old.client.test");
  CHECK(record.duration == std::chrono::microseconds(99293));
  CHECK(record.started.time_since_epoch() ==
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::microseconds(1796699990062187)));
  REQUIRE(record.refusals.size() == 1);
  CHECK(record.refusals[0].argument == "bad@y.test");
  REQUIRE(record.transcript.size() == 5);
  CHECK(record.transcript[2].direction == capture::TranscriptEntry::Direction::event);
  CHECK(record.transcript[4].text == "221 2.0.0 mx.sandbox.test Bye");
  CHECK(record.transcript[4].offset == std::chrono::microseconds(99180));

  const auto attempt = store->attempt(2);
  REQUIRE(attempt);
  CHECK(attempt->status == AttemptStatus::refused);
  CHECK(attempt->ended == "RSET");
  REQUIRE(attempt->transaction);
  CHECK(attempt->transaction->recipients[0].attempt == 2);
  CHECK_FALSE(attempt->transaction->final_reply);
  REQUIRE(attempt->transcript.size() == 5);
  CHECK(attempt->transcript[4].text == "transaction abandoned: RSET");
  CHECK(store->find_attempts({.reason = "rule"}).size() == 1);
}
