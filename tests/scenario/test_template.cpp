#include <catch2/catch.hpp>

#include <algorithm>

#include "scenario/template.hpp"

using maildog::scenario::Environment;
using maildog::scenario::expand_env;
using maildog::scenario::expand_templates;
using maildog::scenario::template_references;

TEST_CASE("${VAR} expands from the environment", "[scenario]") {
  Environment env = Environment::from_map({{"HOST", "mx.test"}, {"EMPTY", ""}});
  SECTION("set variables") {
    auto result = expand_env("smtp://${HOST}:25/${HOST}", env);
    CHECK(result.errors.empty());
    CHECK(result.text == "smtp://mx.test:25/mx.test");
  }
  SECTION("defaults apply when unset or empty") {
    CHECK(expand_env("${PORT:-2525}", env).text == "2525");
    CHECK(expand_env("${EMPTY:-fallback}", env).text == "fallback");
    CHECK(expand_env("${HOST:-other}", env).text == "mx.test");
    CHECK(expand_env("${PORT:-}", env).text.empty());
    CHECK(expand_env("${EMPTY}", env).errors.empty());
  }
  SECTION("$$ is a literal dollar, a lone $ stays") {
    CHECK(expand_env("costs $$5 and ${HOST}", env).text == "costs $5 and mx.test");
    CHECK(expand_env("$$${HOST}", env).text == "$mx.test");
    CHECK(expand_env("a $ b $x $", env).text == "a $ b $x $");
  }
  SECTION("unset variables without default are errors") {
    auto result = expand_env("pw=${SMTP_PASSWORD}", env);
    REQUIRE(result.errors.size() == 1);
    CHECK_THAT(result.errors[0], Catch::Contains("SMTP_PASSWORD is not set"));
    // A shell variable meant for the app (in a run: string or its comments) needs $$ in the file.
    CHECK_THAT(result.errors[0], Catch::Contains("$${SMTP_PASSWORD}"));
  }
  SECTION("malformed references are errors") {
    CHECK(expand_env("${}", env).errors.size() == 1);
    CHECK(expand_env("${1X}", env).errors.size() == 1);
    CHECK(expand_env("${A B}", env).errors.size() == 1);
    auto open = expand_env("x ${HOST", env);
    REQUIRE(open.errors.size() == 1);
    CHECK_THAT(open.errors[0], Catch::Contains("unterminated"));
  }
}

TEST_CASE("the default Environment reads the process environment", "[scenario]") {
  Environment env;
  CHECK(env.get("MAILDOG_SURELY_UNSET_VARIABLE_FOR_TEST") == std::nullopt);
  CHECK(env.get("PATH").has_value());
}

TEST_CASE("{{name}} templates are expanded with runtime values", "[scenario]") {
  const std::map<std::string, std::string> values{{"smtp.host", "127.0.0.1"}, {"smtp.port", "40123"}};
  CHECK(expand_templates("{{smtp.host}}:{{ smtp.port }}", values) == "127.0.0.1:40123");
  CHECK(expand_templates("{{smtp.user}} stays", values) == "{{smtp.user}} stays");
  CHECK(expand_templates("no templates {{ here", values) == "no templates {{ here");
  CHECK(expand_templates("", values).empty());
  CHECK(template_references("--host={{smtp.host}} {{ scenario.dir }}/x {{smtp.hots}}") ==
        std::vector<std::string>{"smtp.host", "scenario.dir", "smtp.hots"});
  CHECK(maildog::scenario::template_names().size() == 7);
  const auto names = maildog::scenario::template_names();
  CHECK(std::find(names.begin(), names.end(), "smtp.ca_file") != names.end());
}

TEST_CASE("service and port names are a lower-case letter, then letters, digits, _ or -", "[scenario]") {
  using maildog::scenario::valid_name;
  CHECK(valid_name("web"));
  CHECK(valid_name("queue_worker-2"));
  CHECK_FALSE(valid_name(""));
  CHECK_FALSE(valid_name("Web"));
  CHECK_FALSE(valid_name("2web"));
  CHECK_FALSE(valid_name("web.1"));
  CHECK_FALSE(valid_name("_web"));
}
