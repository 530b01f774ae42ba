#include <catch2/catch.hpp>

#include <limits>

#include "capture/record_codec.hpp"

using namespace maildog;
using namespace maildog::capture;

namespace {

smtp::Reply reply(int code, std::optional<smtp::EnhancedCode> enhanced, std::vector<std::string> lines) {
  smtp::Reply out;
  out.code = code;
  out.enhanced = enhanced;
  out.lines = std::move(lines);
  return out;
}

TransactionRecord transaction() {
  TransactionRecord out;
  out.mail_from = "app@example.test";
  out.mail_parameters = "SIZE=42";
  out.mail_reply = reply(250, smtp::EnhancedCode{2, 1, 0}, {"Ok"});
  out.recipients.push_back({"user@inbox.test", "NOTIFY=NEVER", reply(250, smtp::EnhancedCode{2, 1, 5}, {"Ok"}), 1});
  out.recipients.push_back({"ghost@inbox.test", "", reply(550, smtp::EnhancedCode{5, 1, 1}, {"No", "such user"}), 2});
  out.data_reply = reply(354, std::nullopt, {"Go ahead"});
  out.final_reply = reply(250, smtp::EnhancedCode{2, 0, 0}, {"Ok: queued"});
  out.message = std::make_shared<const std::string>("Subject: hi\r\n\r\nbody\r\n");
  out.delivered = true;
  out.bare_lf = true;
  out.smuggling_line = 7;
  out.lint.push_back({"missing_date", "no Date field", 0, ""});
  out.authentication_results = "mx.sandbox.test; spf=pass";
  out.auth_results = {{"spf", "pass"}, {"dkim", "none"}};
  return out;
}

SessionRecord session() {
  SessionRecord out;
  out.id = 4;
  out.client_address = "127.0.0.1";
  out.client_port = 40000;
  out.helo = "client.test";
  out.esmtp = true;
  out.tls = true;
  out.tls_version = "TLSv1.3";
  out.tls_cipher = "TLS_AES_128_GCM_SHA256";
  out.auth_user = "alice";
  out.auth_mechanism = "PLAIN";
  out.transcript.push_back({TranscriptEntry::Direction::server, "220 ready", std::chrono::microseconds(12)});
  out.transcript.push_back({TranscriptEntry::Direction::client, "EHLO client.test", std::chrono::microseconds(340)});
  out.transcript.push_back({TranscriptEntry::Direction::event, "checks: spf=pass", std::chrono::microseconds(341)});
  out.transactions.push_back(transaction());
  out.refusals.push_back({"rule", "RCPT", "ghost@inbox.test", {}, reply(550, smtp::EnhancedCode{5, 1, 1}, {"No"})});
  out.close_reason = "quit";
  out.started = std::chrono::system_clock::time_point(std::chrono::microseconds(1748944807123456));
  out.duration = std::chrono::microseconds(99293);
  return out;
}

std::vector<std::string> keys(const RecordJson& object) {
  std::vector<std::string> out;
  for (const auto& [key, value] : object.items()) {
    out.push_back(key);
  }
  return out;
}

}  // namespace

TEST_CASE("a session with its transactions goes to JSON and back unchanged", "[capture][codec]") {
  const SessionRecord original = session();
  const RecordJson json = session_to_json(original, WithTransactions::yes);
  const SessionRecord read = session_from_json(RecordJson::parse(json.dump()));
  CHECK(read.id == original.id);
  CHECK(read.client_address == original.client_address);
  CHECK(read.client_port == original.client_port);
  CHECK(read.helo == original.helo);
  CHECK(read.tls_cipher == original.tls_cipher);
  CHECK(read.auth_user == original.auth_user);
  CHECK(read.close_reason == original.close_reason);
  CHECK(read.started == original.started);
  CHECK(read.duration == original.duration);
  REQUIRE(read.transcript.size() == 3);
  CHECK(read.transcript[2].direction == TranscriptEntry::Direction::event);
  CHECK(read.transcript[1].offset == std::chrono::microseconds(340));
  REQUIRE(read.refusals.size() == 1);
  CHECK(read.refusals[0].reply.summary() == "550 5.1.1 No");
  REQUIRE(read.transactions.size() == 1);
  const auto& transaction = read.transactions[0];
  CHECK(transaction.mail_parameters == "SIZE=42");
  CHECK(transaction.recipients[1].reply.lines == std::vector<std::string>{"No", "such user"});
  CHECK(transaction.recipients[1].attempt == 2);
  CHECK_FALSE(transaction.data_reply->enhanced);
  CHECK(transaction.final_reply->summary() == "250 2.0.0 Ok: queued");
  CHECK(transaction.bare_lf);
  CHECK(transaction.smuggling_line == 7);
  CHECK(transaction.lint == original.transactions[0].lint);
  CHECK(transaction.auth_results == original.transactions[0].auth_results);
  CHECK(transaction.authentication_results == "mx.sandbox.test; spf=pass");
  CHECK_FALSE(transaction.message);  // the bytes are kept beside the record, never in it
}

TEST_CASE("the canonical record has one name per field, in the report's order", "[capture][codec]") {
  const RecordJson json = session_to_json(session(), WithTransactions::yes);
  CHECK(keys(json) == std::vector<std::string>{"id", "client_address", "client_port", "helo", "esmtp", "tls",
                                               "tls_version", "tls_cipher", "auth_user", "auth_mechanism",
                                               "close_reason", "started_us", "duration_us", "transcript",
                                               "transactions", "refusals"});
  CHECK(json["started_us"] == 1748944807123456);
  CHECK(json["transcript"][0] == RecordJson{{"direction", "server"}, {"text", "220 ready"}, {"offset_us", 12}});
  CHECK(json["transactions"][0]["size"] == 21);
  CHECK(json["transactions"][0]["recipients"][1]["reply"] ==
        RecordJson{{"code", 550}, {"enhanced", "5.1.1"}, {"lines", {"No", "such user"}}});
  CHECK_FALSE(session_to_json(session(), WithTransactions::no).contains("transactions"));
}

TEST_CASE("records written by the store before the codec read back", "[capture][codec]") {
  // maildog-ci daba7b9's SQLite record of a session (keys sorted, no transactions), as stored.
  const auto read = session_from_json(RecordJson::parse(
      R"({"auth_mechanism":"","auth_user":null,"client_address":"127.0.0.1","client_port":39232,"close_reason":"quit",)"
      R"("duration_us":99293,"esmtp":true,"helo":"old.client.test","id":1,"refusals":[{"argument":"bad@y.test",)"
      R"("command":"RCPT","reason":"rule","recipients":[],"reply":{"code":550,"enhanced":"5.1.1","lines":["no such user"]}}],)"
      R"("started_us":1796699990062187,"tls":false,"tls_cipher":"","tls_version":"","transcript":[]})"));
  CHECK(read.helo == "old.client.test");
  CHECK(read.duration == std::chrono::microseconds(99293));
  CHECK(read.transactions.empty());
  CHECK(read.refusals.at(0).reply.summary() == "550 5.1.1 no such user");
}

TEST_CASE("a value the model cannot hold is an error, not a guess", "[capture][codec]") {
  CHECK_THROWS_AS(transcript_entry_from_json(RecordJson{{"direction", "sideways"}, {"text", ""}, {"offset_us", 0}}),
                  RecordError);
  CHECK_THROWS_WITH(reply_from_json(RecordJson{{"code", 550}, {"enhanced", "9.9"}, {"lines", {"x"}}}),
                    "not an enhanced status code: 9.9");
  CHECK_THROWS_AS(reply_from_json(RecordJson{{"code", 550}, {"lines", {"x"}}}), nlohmann::json::exception);
}

TEST_CASE("reshape writes a public shape over the canonical record", "[capture][codec]") {
  const RecordJson canonical = refusal_to_json(session().refusals[0]);
  const RecordJson shaped =
      reshape(canonical, {renamed("argument", "address"),
                          dropped("recipients"),
                          {"command", [](RecordJson& out, const RecordJson& value, const RecordJson& record) {
                             out["command"] = value;
                             out["refused_by"] = record.at("reason");
                           }}});
  CHECK(keys(shaped) == std::vector<std::string>{"reason", "command", "refused_by", "address", "reply"});
  CHECK(shaped["address"] == "ghost@inbox.test");

  const RecordJson text = reshape(reply_to_json(reply(451, std::nullopt, {"one", "two"})), {lines_as_text()});
  CHECK(text == RecordJson{{"code", 451}, {"enhanced", nullptr}, {"text", "one\ntwo"}});

  const RecordJson lines =
      reshape(RecordJson{{"list", {1, 2}}},
              {each("list", [](const RecordJson& value) { return RecordJson(value.get<int>() * 10); })});
  CHECK(lines["list"] == RecordJson{10, 20});
}

TEST_CASE("times kept in microseconds are written as the public shapes write them", "[capture][codec]") {
  const RecordJson canonical = session_to_json(session(), WithTransactions::no);
  const RecordJson shaped =
      reshape(canonical, {micros_as_iso_time("started_us", "started"), micros_as_millis("duration_us", "duration_ms")});
  CHECK(shaped["started"] == "2025-06-03T10:00:07.123Z");
  CHECK(shaped["duration_ms"] == 99.293);
  CHECK_FALSE(shaped.contains("started_us"));
  CHECK(keys(shaped).at(11) == "started");  // in the place of the field it replaces
}

TEST_CASE("a number out of its field's range is an error, never a wrapped or undefined cast", "[capture][codec]") {
  CHECK_THROWS_AS(transcript_entry_from_json(RecordJson{{"direction", "client"}, {"text", ""}, {"offset_us", 1e300}}),
                  RecordError);
  CHECK_THROWS_AS(
      reply_from_json(RecordJson{{"code", 18446744073709551615ULL}, {"enhanced", nullptr}, {"lines", {"x"}}}),
      RecordError);
  RecordJson json = session_to_json(session(), WithTransactions::no);
  json["client_port"] = 70000;
  CHECK_THROWS_AS(session_from_json(json), RecordError);
  json["client_port"] = 25;
  json["started_us"] = std::numeric_limits<std::int64_t>::max();
  CHECK_THROWS_AS(session_from_json(json), RecordError);
  CHECK(integer_of<int>(RecordJson{{"n", -3}}, "n") == -3);
  CHECK_THROWS_AS(integer_of<unsigned>(RecordJson{{"n", -3}}, "n"), RecordError);
}
