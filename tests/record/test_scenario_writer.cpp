#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>

#include "record/scenario_writer.hpp"

using namespace maildog;
using namespace maildog::record;

namespace {

Exchange exchange(std::string stage, std::string command, std::string reply_text, std::string argument = "") {
  auto reply = smtp::Reply::parse(reply_text);
  REQUIRE(reply);
  return Exchange{std::move(stage), std::move(command), std::move(argument), *reply, reply_text, Origin::upstream, {}};
}

// One session: greeting, EHLO, STARTTLS, EHLO, AUTH, MAIL, the RCPTs given, DATA, QUIT.
RecordedSession session(const std::vector<std::pair<std::string, std::string>>& rcpts, const std::string& queue_id) {
  RecordedSession s;
  s.exchanges.push_back(exchange("connect", "", "220 mx.up.test ESMTP Postfix"));
  s.exchanges.push_back(
      exchange("ehlo", "EHLO app.test",
               "250-mx.up.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 8BITMIME"));
  s.exchanges.push_back(exchange("starttls", "STARTTLS", "220 2.0.0 Ready to start TLS"));
  s.exchanges.push_back(
      exchange("ehlo", "EHLO app.test",
               "250-mx.up.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME"));
  s.exchanges.push_back(exchange("auth", "AUTH PLAIN ***", "235 2.7.0 Authentication successful"));
  s.exchanges.push_back(exchange("mail", "MAIL FROM:<app@app.test>", "250 2.1.0 Ok", "app@app.test"));
  bool any = false;
  for (const auto& [address, reply] : rcpts) {
    s.exchanges.push_back(exchange("rcpt", "RCPT TO:<" + address + ">", reply, address));
    any = any || reply.starts_with("2");
  }
  if (any) {
    s.exchanges.push_back(exchange("data", "DATA", "354 End data with <CR><LF>.<CR><LF>"));
    s.exchanges.push_back(exchange("end_of_data", "", "250 2.0.0 Ok: queued as " + queue_id));
  }
  s.exchanges.push_back(exchange("quit", "QUIT", "221 2.0.0 Bye"));
  return s;
}

YAML::Node written(const Recording& recording) { return YAML::Load(scenario_yaml(recording, WriterOptions{})); }

}  // namespace

TEST_CASE("a greylisting 451 then 250 becomes an attempt rule for that recipient only", "[record]") {
  Recording recording;
  recording.upstream = "mx.up.test:25";
  const std::string grey = "451 4.7.1 <grey@x.test>: Recipient address rejected: Greylisted";
  const std::string unknown = "550 5.1.1 <ghost@x.test>: Recipient address rejected: User unknown";
  recording.sessions.push_back(
      session({{"ok@x.test", "250 2.1.5 Ok"}, {"ghost@x.test", unknown}, {"grey@x.test", grey}}, "4AB12C"));
  recording.sessions.push_back(session({{"grey@x.test", "250 2.1.5 Ok"}}, "9FF001"));
  const YAML::Node scenario = written(recording);
  const YAML::Node rules = scenario["server"]["rules"];
  REQUIRE(rules.size() == 2);
  CHECK(rules[0]["at"].as<std::string>() == "rcpt");
  CHECK(rules[0]["match"]["rcpt"].as<std::string>() == "ghost@x.test");
  CHECK_FALSE(rules[0]["match"]["attempt"]);  // every attempt
  CHECK(rules[0]["reply"].as<std::string>() == unknown);
  CHECK(rules[1]["match"]["rcpt"].as<std::string>() == "grey@x.test");
  CHECK(rules[1]["match"]["attempt"].as<int>() == 1);  // then the usual 250
  CHECK(rules[1]["reply"].as<std::string>() == grey);
  // Queue ids differ between the two messages: one placeholder, no end_of_data rule.
  CHECK(scenario["server"]["ok_replies"]["queued"].as<std::string>() == "250 2.0.0 Ok: queued as {queue_id}");
  CHECK(scenario["server"]["hostname"].as<std::string>() == "mx.up.test");
  CHECK(scenario["server"]["ok_replies"]["greeting"].as<std::string>() == "220 mx.up.test ESMTP Postfix");
  CHECK(scenario["server"]["ok_replies"]["ehlo"].as<std::string>() == "250 mx.up.test");
  CHECK(scenario["server"]["limits"]["message_size"].as<std::size_t>() == 10240000);
  CHECK(scenario["server"]["tls"].as<std::string>() == "starttls");
  // What the app did: the 5xx never retried, the 4xx retried once, delivered after it.
  CHECK(scenario["expect"]["retries"][0]["rcpt"].as<std::string>() == "grey@x.test");
  CHECK(scenario["expect"]["retries"][0]["min_attempts"].as<int>() == 2);
  CHECK(scenario["expect"]["not_delivered"][0].as<std::string>() == "ghost@x.test");
  CHECK(scenario["expect"]["delivered"].size() == 2);
  // The app is a placeholder that fails saying what to fill in.
  CHECK(scenario["app"]["run"].as<std::string>().find("set app.run") != std::string::npos);
}

TEST_CASE("a refusal that comes back at a later attempt keeps its attempt range", "[record]") {
  Recording recording;
  recording.upstream = "mx.up.test:25";
  const std::string busy = "450 4.2.0 <b@x.test>: Recipient address rejected: Mailbox busy";
  recording.sessions.push_back(session({{"b@x.test", "250 2.1.5 Ok"}}, "A1"));
  recording.sessions.push_back(session({{"b@x.test", busy}}, "A2"));
  recording.sessions.push_back(session({{"b@x.test", busy}}, "A3"));
  const YAML::Node rules = written(recording)["server"]["rules"];
  REQUIRE(rules.size() == 1);
  CHECK(rules[0]["match"]["attempt"]["min"].as<int>() == 2);
  CHECK_FALSE(rules[0]["match"]["attempt"]["max"]);
}

TEST_CASE("end-of-data refusals in order become rules with times", "[record]") {
  Recording recording;
  recording.upstream = "mx.up.test:25";
  for (int i = 0; i < 3; ++i) {
    recording.sessions.push_back(session({{"a@x.test", "250 2.1.5 Ok"}}, "Q" + std::to_string(i)));
  }
  recording.sessions[0].exchanges[8].reply = *smtp::Reply::parse("451 4.3.0 Error: queue file write error");
  const YAML::Node rules = written(recording)["server"]["rules"];
  REQUIRE(rules.size() == 1);
  CHECK(rules[0]["at"].as<std::string>() == "end_of_data");
  CHECK(rules[0]["times"].as<int>() == 1);
}

TEST_CASE("EHLO keywords from before and after TLS merge in the server's order", "[record]") {
  CHECK(merged_keywords({"PIPELINING", "SIZE 10", "STARTTLS", "8BITMIME"},
                        {"PIPELINING", "SIZE 10", "AUTH PLAIN", "8BITMIME"}) ==
        std::vector<std::string>{"PIPELINING", "SIZE 10", "STARTTLS", "AUTH PLAIN", "8BITMIME"});
  CHECK(merged_keywords({"A", "B"}, {}) == std::vector<std::string>{"A", "B"});
  CHECK(merged_keywords({}, {"A", "B"}) == std::vector<std::string>{"A", "B"});
}

TEST_CASE("no AUTH credential is ever written, and --app fills app.run", "[record]") {
  Recording recording;
  recording.upstream = "mx.up.test:25";
  recording.sessions.push_back(session({{"a@x.test", "250 2.1.5 Ok"}}, "Q1"));
  const std::string yaml = scenario_yaml(recording, WriterOptions{.app = "python3 app.py", .recorded_at = ""});
  CHECK(yaml.find("AGFwc") == std::string::npos);
  CHECK(YAML::Load(yaml)["app"]["run"].as<std::string>() == "python3 app.py");
  CHECK(YAML::Load(yaml)["server"]["auth"]["mechanisms"].size() == 2);
}

TEST_CASE("the upstream's size refusal becomes server.replies.size, the limit kept, no rule", "[record]") {
  Recording recording;
  recording.upstream = "mx.up.test:25";
  const std::string too_big = "552 5.3.4 Message size exceeds fixed limit";
  // At MAIL, for a SIZE= over the advertised 10240000 (the app gives up: no RCPT).
  RecordedSession at_mail = session({}, "");
  at_mail.exchanges[5] = exchange("mail", "MAIL FROM:<app@app.test> SIZE=30720000", too_big, "app@app.test");
  recording.sessions.push_back(at_mail);
  // After DATA, for a message over it that announced no size.
  RecordedSession at_end = session({{"a@x.test", "250 2.1.5 Ok"}}, "Q1");
  at_end.exchanges[8] = exchange("end_of_data", "", too_big);
  at_end.messages.push_back(RecordedMessage{.size = 20000000, .header_names = {}, .body = std::nullopt});
  recording.sessions.push_back(at_end);
  recording.sessions.push_back(session({{"a@x.test", "250 2.1.5 Ok"}}, "Q2"));
  const YAML::Node server = written(recording)["server"];
  CHECK(server["replies"]["size"].as<std::string>() == too_big);
  CHECK(server["limits"]["message_size"].as<std::size_t>() == 10240000);
  CHECK_FALSE(server["rules"]);  // the sandbox's own size check answers, before any rule
}

TEST_CASE("a 552 for a size under the limit stays a rule: the sandbox would accept that size", "[record]") {
  Recording recording;
  recording.upstream = "mx.up.test:25";
  const std::string full = "552 5.2.2 Mailbox full";
  RecordedSession s = session({{"a@x.test", "250 2.1.5 Ok"}}, "Q1");
  s.exchanges[5] = exchange("mail", "MAIL FROM:<app@app.test> SIZE=1000", full, "app@app.test");
  recording.sessions.push_back(s);
  const YAML::Node server = written(recording)["server"];
  CHECK_FALSE(server["replies"]);
  REQUIRE(server["rules"].size() == 1);
  CHECK(server["rules"][0]["at"].as<std::string>() == "mail");
  CHECK(server["rules"][0]["reply"].as<std::string>() == full);
}
