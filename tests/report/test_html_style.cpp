// The HTML report's stylesheet on its own (the golden page names it by its hash instead of
// embedding it): the report embeds it byte for byte, it is the source file's text, every class the
// report sets has a rule (or is a hook on purpose) and every class a rule names is set, and
// headless Chromium keeps every rule and every declaration of it.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "report/fixture.hpp"
#include "report/html.hpp"
#include "report/html_assets.hpp"
#include "report/style_reference.hpp"
#include "support/chromium.hpp"
#include "support/paths.hpp"
#include "support/temp_dir.hpp"

using namespace maildog;

namespace {

struct CssRule {
  std::string selector;                   // as written, whitespace collapsed to one space
  std::vector<std::string> declarations;  // "name: value", whitespace collapsed, in order
};

std::string collapsed(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space) {
      out += c;
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  if (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  return out;
}

// The stylesheet's rules, read as plainly as it is written: comments, then `selector { a: b; ... }`.
// An at-rule or a nested block is more than this reader knows: it says so (extend it then).
std::vector<CssRule> css_rules(std::string_view css, std::string* error) {
  std::string text;
  for (std::size_t at = 0; at < css.size();) {
    const std::size_t open = css.find("/*", at);
    text += css.substr(at, open == std::string_view::npos ? std::string_view::npos : open - at);
    if (open == std::string_view::npos) {
      break;
    }
    const std::size_t close = css.find("*/", open + 2);
    at = close == std::string_view::npos ? css.size() : close + 2;
  }
  std::vector<CssRule> rules;
  for (std::size_t at = 0;;) {
    const std::size_t open = text.find('{', at);
    if (open == std::string::npos) {
      if (!collapsed(text.substr(at)).empty()) {
        *error = "text after the last rule: " + collapsed(text.substr(at));
      }
      return rules;
    }
    const std::size_t close = text.find('}', open);
    CssRule rule{collapsed(text.substr(at, open - at)), {}};
    const std::string body = text.substr(open + 1, close == std::string::npos ? std::string::npos : close - open - 1);
    if (close == std::string::npos || body.find('{') != std::string::npos || rule.selector.starts_with('@')) {
      *error = "an at-rule, a nested block or an unclosed rule at \"" + rule.selector + "\"";
      return rules;
    }
    std::istringstream declarations(body);
    for (std::string declaration; std::getline(declarations, declaration, ';');) {
      if (std::string written = collapsed(declaration); !written.empty()) {
        rule.declarations.push_back(std::move(written));
      }
    }
    rules.push_back(std::move(rule));
    at = close + 1;
  }
}

// The class names a page's `class="..."` attributes set.
std::set<std::string> classes_set(const std::string& html) {
  std::set<std::string> classes;
  const std::regex attribute(R"re(class="([^"]*)")re");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), attribute); it != std::sregex_iterator(); ++it) {
    std::istringstream names((*it)[1].str());
    for (std::string name; names >> name;) {
      classes.insert(name);
    }
  }
  return classes;
}

// The class names the stylesheet's selectors name.
std::set<std::string> classes_styled(const std::vector<CssRule>& rules) {
  std::set<std::string> classes;
  const std::regex class_selector(R"(\.([A-Za-z_-][A-Za-z0-9_-]*))");
  for (const auto& rule : rules) {
    for (auto it = std::sregex_iterator(rule.selector.begin(), rule.selector.end(), class_selector);
         it != std::sregex_iterator(); ++it) {
      classes.insert((*it)[1].str());
    }
  }
  return classes;
}

// The sample run with client steps, one of them failed: the report then sets every class it has.
std::string sample_html_with_steps() {
  auto run = test::sample_run();
  auto& steps = run.scenarios[0].steps;
  runner::StepOutcome sent;
  sent.line = 12;
  sent.action = "EHLO client.test";
  sent.reply = smtp::Reply::parse("250 mx.sandbox.test");
  steps.push_back(sent);
  runner::StepOutcome refused;
  refused.line = 13;
  refused.action = "RCPT TO:<ghost@inbox.test>";
  refused.reply = smtp::Reply::parse("550 5.1.1 unknown");
  refused.expected = "250";
  refused.ok = false;
  refused.unexpected_reply = true;
  refused.problem = "expected 250";
  steps.push_back(refused);
  std::ostringstream out;
  report::write_html(run, out);
  return out.str();
}

// Classes the report sets without a rule of their own: they name what a block is, for the page's
// readers, the tests and anyone's user style, and are shown in the inherited style on purpose.
const std::set<std::string> k_unstyled_hooks = {
    "context",   // a failure's transcript excerpt: a plain <pre>
    "failure",   // one failure: `ol.failures > li` styles it
    "headers",   // a message's headers: a plain <pre>
    "lint",      // a lint note's <dd>: `dl.fields dd` styles it
    "output",    // the app's output: a plain <pre>
    "server",    // a server line of the transcript: the default colour, against the client's blue
    "sessions",  // the list of sessions: a plain <ul>
};

std::string html_unescaped(std::string text) {
  for (const auto& [entity, character] : {std::pair{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&amp;", "&"}}) {
    for (std::size_t at = text.find(entity); at != std::string::npos; at = text.find(entity, at + 1)) {
      text.replace(at, std::string_view(entity).size(), character);
    }
  }
  return text;
}

// Writes what Chromium made of the stylesheet as JSON into <pre id="parsed">: the selector of each
// rule it kept (a rule whose selector it cannot read is dropped whole), and the source's
// declarations it rejects, each parsed on its own as an element's style (an invalid property or
// value sets nothing; a later declaration overriding part of a shorthand does not hide it).
constexpr const char* k_parse_script = R"(<script>
var declared = JSON.parse(document.getElementById('declared').textContent);
var rules = document.styleSheets[0].cssRules;
var selectors = [];
for (var i = 0; i < rules.length; i++) {
  selectors.push(rules[i].selectorText);
}
var probe = document.createElement('div');
var rejected = declared.filter(function (declaration) {
  probe.style.cssText = declaration;
  return probe.style.length === 0;
});
document.getElementById('parsed').textContent = JSON.stringify({selectors: selectors, rejected: rejected});
</script>
)";

}  // namespace

TEST_CASE("the HTML report's stylesheet", "[report][html]") {
  const std::string_view style = report::html_style();
  std::string error;
  const auto rules = css_rules(style, &error);
  INFO(error);
  REQUIRE(error.empty());
  REQUIRE(rules.size() > 30);

  SECTION("is the source file's text, embedded by the report byte for byte, once") {
    std::ifstream file(test::source_dir() / "src" / "report" / "html_report.css", std::ios::binary);
    CHECK(std::string(std::istreambuf_iterator<char>(file), {}) == style);
    const std::string html = sample_html_with_steps();
    const std::string embedded = "<style>\n" + std::string(style) + "</style>\n</head>\n";
    CHECK(html.find(embedded) != std::string::npos);
    CHECK(html.find("<style>") == html.rfind("<style>"));
    // What the golden page holds instead names the file and its hash.
    CHECK(test::with_style_reference(html).find("<style>\n" + test::style_reference() + "</style>\n</head>\n") !=
          std::string::npos);
    CHECK(test::style_reference().find(test::sha256_hex(style)) != std::string::npos);
    CHECK(test::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
  SECTION("has a rule for every class the report sets, and every class it styles is set") {
    const std::set<std::string> set = classes_set(sample_html_with_steps());
    const std::set<std::string> styled = classes_styled(rules);
    for (const auto& name : set) {
      CAPTURE(name);
      CHECK((styled.contains(name) || k_unstyled_hooks.contains(name)));
    }
    for (const auto& name : styled) {
      CAPTURE(name);
      CHECK(set.contains(name));
    }
    for (const auto& name : k_unstyled_hooks) {
      CAPTURE(name);
      CHECK(set.contains(name));           // a hook the report dropped leaves this list
      CHECK_FALSE(styled.contains(name));  // a hook that got a rule leaves it too
    }
  }
}

TEST_CASE("headless Chromium keeps every rule and declaration of the report's stylesheet", "[report][html][chromium]") {
  if (!test::chromium_available("stylesheet parsing test")) {
    return;
  }
  const std::string_view style = report::html_style();
  std::string error;
  const auto rules = css_rules(style, &error);
  REQUIRE(error.empty());
  nlohmann::json declared = nlohmann::json::array();
  for (const auto& rule : rules) {
    for (const auto& declaration : rule.declarations) {
      declared.push_back(declaration);
    }
  }
  REQUIRE(declared.size() > 100);
  test::TempDir dir;
  std::string html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n";
  html += "<style>\n" + std::string(style) + "</style>\n</head><body>\n";
  html += "<script type=\"application/json\" id=\"declared\">" + declared.dump() + "</script>\n";
  html += "<pre id=\"parsed\"></pre>\n" + std::string(k_parse_script) + "</body></html>\n";
  const auto page = dir.write("style.html", html);
  const auto dump = test::run_chromium(dir.path(), {"--dump-dom", "file://" + page.string()});
  {
    INFO(dump.err.substr(0, 2000));
    REQUIRE(dump.exit_code == 0);
  }
  const std::string start_tag = "<pre id=\"parsed\">";
  const std::size_t start = dump.out.find(start_tag);
  const std::size_t end = dump.out.find("</pre>", start);
  REQUIRE(start != std::string::npos);
  REQUIRE(end != std::string::npos);
  const auto parsed = nlohmann::json::parse(
      html_unescaped(dump.out.substr(start + start_tag.size(), end - start - start_tag.size())), nullptr, false);
  REQUIRE(parsed.is_object());
  CHECK(parsed.value("rejected", std::vector<std::string>{"(no answer)"}) == std::vector<std::string>());
  const auto selectors = parsed.value("selectors", std::vector<std::string>());
  // A rule whose selector Chromium cannot read is dropped whole: the counts then differ.
  REQUIRE(selectors.size() == rules.size());
  for (std::size_t i = 0; i < rules.size(); ++i) {
    CHECK(collapsed(selectors[i]) == rules[i].selector);
  }
}
