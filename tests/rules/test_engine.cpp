#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "rules/engine.hpp"

using namespace maildog::rules;
using maildog::smtp::Reply;

namespace {
Rule rcpt_rule(const std::string& pattern, const std::string& reply_text) {
  Rule rule;
  rule.at = Stage::rcpt;
  rule.match.rcpt = TextMatch::parse(pattern);
  rule.reply = Reply::parse(reply_text);
  return rule;
}
Context rcpt_context(std::string_view rcpt, unsigned attempt = 1) {
  Context context;
  context.stage = Stage::rcpt;
  context.rcpt = rcpt;
  context.attempt = attempt;
  return context;
}
}  // namespace

TEST_CASE("the first matching rule at the stage decides", "[rules][engine]") {
  EngineState state(1);
  std::vector<Rule> rules{rcpt_rule("ghost@inbox.test", "550 5.1.1 unknown"),
                          rcpt_rule("*@inbox.test", "451 4.7.1 later")};
  SECTION("exact match first") {
    auto decision = evaluate(rules, rcpt_context("ghost@inbox.test"), state);
    REQUIRE(decision);
    REQUIRE(decision->rule_index == 0);
    REQUIRE(decision->reply->code == 550);
  }
  SECTION("falls through to the glob") {
    REQUIRE(evaluate(rules, rcpt_context("user@inbox.test"), state)->reply->code == 451);
  }
  SECTION("nothing matches") { REQUIRE_FALSE(evaluate(rules, rcpt_context("user@elsewhere.test"), state)); }
  SECTION("other stages are not asked") {
    Context mail;
    mail.stage = Stage::mail;
    mail.rcpt = "ghost@inbox.test";
    REQUIRE_FALSE(evaluate(rules, mail, state));
  }
}

TEST_CASE("attempt ranges model greylisting", "[rules][engine]") {
  EngineState state(1);
  Rule greylist = rcpt_rule("*", "451 4.7.1 Greylisted");
  greylist.match.attempt = AttemptRange{1, 1};
  std::vector<Rule> rules{greylist};
  REQUIRE(evaluate(rules, rcpt_context("a@b.test", 1), state));
  REQUIRE_FALSE(evaluate(rules, rcpt_context("a@b.test", 2), state));
}

TEST_CASE("a data rule that matches headers is decided at end of data", "[rules][engine]") {
  EngineState state(1);
  Rule content;
  content.at = Stage::data;
  content.match.headers.push_back({"subject", TextMatch::parse("/free money/i")});
  content.reply = Reply::parse("550 5.7.1 Content rejected");
  std::vector<Rule> rules{content};
  std::vector<Header> headers = parse_headers("From: a@b.test\r\nSubject: Get\r\n FREE money\r\n\r\nbody\r\n");
  Context context;
  context.headers = &headers;
  context.stage = Stage::data;
  REQUIRE_FALSE(evaluate(rules, context, state));
  context.stage = Stage::end_of_data;
  REQUIRE(evaluate(rules, context, state)->reply->code == 550);
}

TEST_CASE("headers unfold and stop at the blank line", "[rules][engine]") {
  auto headers = parse_headers("Subject: a\r\n\tb\r\nX-Empty:\r\n\r\nNot: a header\r\n");
  REQUIRE(headers.size() == 2);
  REQUIRE(headers[0].value == "a\tb");
  REQUIRE(headers[1].name == "X-Empty");
  REQUIRE(headers[1].value.empty());
}

TEST_CASE("seeded probabilities are reproducible and roughly right", "[rules][engine]") {
  Rule coin = rcpt_rule("*", "451 4.3.0 try again");
  coin.match.probability = 0.3;
  std::vector<Rule> rules{coin};
  auto run = [&](std::uint64_t seed) {
    EngineState state(seed);
    std::string fired;
    for (int i = 0; i < 1000; ++i) {
      fired += evaluate(rules, rcpt_context("a@b.test"), state) ? '1' : '0';
    }
    return fired;
  };
  std::string first = run(42);
  REQUIRE(first == run(42));
  REQUIRE(first != run(43));
  auto hits = std::count(first.begin(), first.end(), '1');
  REQUIRE(hits > 230);
  REQUIRE(hits < 370);
}

TEST_CASE("stage and fault names round-trip", "[rules][engine]") {
  auto stage = GENERATE(Stage::connect, Stage::helo, Stage::starttls, Stage::auth, Stage::mail, Stage::rcpt,
                        Stage::data, Stage::end_of_data);
  REQUIRE(parse_stage(to_string(stage)) == stage);
  auto kind = GENERATE(Fault::Kind::disconnect, Fault::Kind::delay, Fault::Kind::close_421, Fault::Kind::tarpit,
                       Fault::Kind::split, Fault::Kind::drop, Fault::Kind::tls_failure);
  REQUIRE(parse_fault_kind(to_string(kind)) == kind);
  REQUIRE(parse_fault_kind("421") == Fault::Kind::close_421);
  REQUIRE_FALSE(parse_stage("bogus"));
}

TEST_CASE("a rate limit holds once more than max events fall in the window", "[rules][engine]") {
  EngineState state(1);
  Rule throttle;
  throttle.at = Stage::mail;
  throttle.match.mail_from = TextMatch::parse("*@bulk.test");
  throttle.match.rate = RateLimit{2, std::chrono::seconds(60)};
  throttle.reply = Reply::parse("450 4.7.1 Rate limit exceeded");
  std::vector<Rule> rules{throttle};
  const auto start = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  auto mail_at = [&](std::string_view from, std::chrono::seconds offset) {
    Context context;
    context.stage = Stage::mail;
    context.mail_from = from;
    context.now = start + offset;
    return evaluate(rules, context, state).has_value();
  };
  REQUIRE_FALSE(mail_at("a@bulk.test", std::chrono::seconds(0)));
  REQUIRE_FALSE(mail_at("a@bulk.test", std::chrono::seconds(10)));
  REQUIRE_FALSE(mail_at("a@other.test", std::chrono::seconds(11)));  // other conditions first: not counted
  REQUIRE(mail_at("a@bulk.test", std::chrono::seconds(20)));         // the third within 60 s
  REQUIRE(mail_at("a@bulk.test", std::chrono::seconds(59)));
  // At 70 s the events at 0 and 10 have left the window; 20 and 59 remain, so this is the third.
  REQUIRE(mail_at("a@bulk.test", std::chrono::seconds(70)));
  // At 130 s every earlier event is at least 60 s old: the window is empty again.
  REQUIRE_FALSE(mail_at("a@bulk.test", std::chrono::seconds(130)));
}

TEST_CASE("times: a rule answers that many commands, then falls through", "[rules][engine][times]") {
  Rule twice = rcpt_rule("bob@x.test", "451 4.7.1 later");
  twice.times = 2;
  std::vector<Rule> rules{twice, rcpt_rule("*", "550 5.1.1 unknown")};
  EngineState state(1);
  SECTION("spent only by commands it answers") {
    // Another recipient falls to rule 2 and spends nothing of rule 1.
    REQUIRE(evaluate(rules, rcpt_context("alice@x.test"), state)->rule_index == 1);
    REQUIRE(evaluate(rules, rcpt_context("bob@x.test"), state)->reply->code == 451);
    REQUIRE(evaluate(rules, rcpt_context("bob@x.test"), state)->reply->code == 451);
    REQUIRE(evaluate(rules, rcpt_context("bob@x.test"), state)->reply->code == 550);
  }
  SECTION("a rule that does not hold for another reason spends nothing") {
    rules[0].match.attempt = AttemptRange{2, 9};
    REQUIRE(evaluate(rules, rcpt_context("bob@x.test", 1), state)->rule_index == 1);
    REQUIRE(evaluate(rules, rcpt_context("bob@x.test", 2), state)->rule_index == 0);
    REQUIRE(evaluate(rules, rcpt_context("bob@x.test", 2), state)->rule_index == 0);
    REQUIRE(evaluate(rules, rcpt_context("bob@x.test", 2), state)->rule_index == 1);
  }
  SECTION("counters handed in are shared: a second state keeps counting down the same ones") {
    const auto times = fresh_times(rules);
    REQUIRE(times[0]->left() == 2);
    REQUIRE(times[1] == nullptr);
    EngineState first(1, times);
    EngineState second(2, times);
    REQUIRE(evaluate(rules, rcpt_context("bob@x.test"), first)->rule_index == 0);
    REQUIRE(times[0]->left() == 1);
    REQUIRE(evaluate(rules, rcpt_context("bob@x.test"), second)->rule_index == 0);
    REQUIRE(times[0]->left() == 0);
    REQUIRE(evaluate(rules, rcpt_context("bob@x.test"), first)->rule_index == 1);
  }
}

TEST_CASE("times: concurrent evaluations never spend more than there is", "[rules][engine][times]") {
  Rule five = rcpt_rule("*", "451 4.7.1 later");
  five.times = 5;
  const std::vector<Rule> rules{five};
  EngineState state(1);
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (evaluate(rules, rcpt_context("a@x.test"), state)) {
          ++answered;
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  REQUIRE(answered == 5);
}
