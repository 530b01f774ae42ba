// `services:` in the loader: what the model holds, the defaults, and the {{port.NAME}} names
// collected from every templated string of the scenario. Bad input is in malformed/service_*.
#include <catch2/catch.hpp>

#include "scenario/loader.hpp"

namespace scn = maildog::scenario;
using Kind = scn::ReadySpec::Kind;

namespace {

scn::Scenario load_one(std::string_view yaml) {
  auto loaded = scn::load_text(yaml, "mem/services.yaml", scn::Environment::from_map({}));
  for (const auto& diagnostic : loaded.diagnostics) {
    FAIL(diagnostic.format());
  }
  REQUIRE(loaded.scenarios.size() == 1);
  return loaded.scenarios.front();
}

}  // namespace

TEST_CASE("services load into the model in order, with their readiness and grace", "[scenario][services]") {
  const auto s = load_one(R"yaml(name: web and worker
services:
  - name: web
    run: "python3 app.py --port {{port.web}}"
    env: {SMTP_PORT: "{{smtp.port}}", WORKERS: 2}
    cwd: app/
    ready:
      http: "http://127.0.0.1:{{port.web}}/healthz"
      timeout: 30s
    stop_timeout: 5s
  - name: worker
    run: [python3, worker.py]
    ready: {log: "^ready"}
  - name: mx
    run: [./mx, "{{port.mx}}"]
    ready: {port: 2525}
  - name: plain
    run: ./plain
app:
  run: "curl -X POST http://127.0.0.1:{{port.web}}/reset --data-urlencode tmp={{scenario.tmp}}"
)yaml");
  REQUIRE(s.services.size() == 4);
  const auto& web = s.services[0];
  CHECK(web.name == "web");
  CHECK(web.shell == "python3 app.py --port {{port.web}}");
  CHECK(web.argv.empty());
  CHECK(web.env == std::map<std::string, std::string>{{"SMTP_PORT", "{{smtp.port}}"}, {"WORKERS", "2"}});
  CHECK(web.cwd == "app/");
  CHECK(web.ready.kind == Kind::http);
  CHECK(web.ready.target == "http://127.0.0.1:{{port.web}}/healthz");
  CHECK(web.ready.timeout == std::chrono::seconds(30));
  CHECK(web.stop_timeout == std::chrono::seconds(5));
  CHECK(web.line == 3);
  CHECK(web.ready.line == 7);

  const auto& worker = s.services[1];
  CHECK(worker.argv == std::vector<std::string>{"python3", "worker.py"});
  CHECK_FALSE(worker.shell);
  CHECK(worker.ready.kind == Kind::log);
  CHECK(worker.ready.target == "^ready");
  CHECK(worker.ready.timeout == scn::k_ready_timeout_default);
  CHECK(worker.stop_timeout == scn::k_stop_timeout_default);

  CHECK(s.services[2].ready.kind == Kind::port);
  CHECK(s.services[2].ready.target == "2525");
  CHECK(s.services[3].ready.kind == Kind::started);

  // Every name used anywhere gets a port, whether a service listens on it or not.
  CHECK(s.port_names == std::set<std::string>{"mx", "web"});
}

TEST_CASE("a client scenario may have services, and its steps' {{port.NAME}} count", "[scenario][services]") {
  const auto s = load_one(R"yaml(name: probe our MX
services:
  - name: mx
    run: [./mx, --port, "{{port.mx}}"]
    ready: {port: "{{port.mx}}"}
client:
  target: {host: 127.0.0.1, port: 2525}
  steps:
    - send: "EHLO {{port.helo}}"
)yaml");
  REQUIRE(s.client);
  REQUIRE(s.services.size() == 1);
  CHECK(s.port_names == std::set<std::string>{"helo", "mx"});
}

TEST_CASE("client.target.port may be a service's {{port.NAME}}, and nothing else templated", "[scenario][services]") {
  const auto s = load_one(R"yaml(name: probe our MX on its port
services:
  - name: mx
    run: [./mx, "{{port.mx}}"]
client:
  target: {host: 127.0.0.1, port: "{{port.mx}}"}
  steps:
    - expect: {code: 220}
)yaml");
  REQUIRE(s.client);
  CHECK_FALSE(s.client->target.sandbox);
  CHECK(s.client->target.port_template == "{{port.mx}}");
  CHECK(s.port_names == std::set<std::string>{"mx"});

  auto bad = scn::load_text(R"yaml(name: a folder is not a port
client:
  target: {host: 127.0.0.1, port: "{{scenario.dir}}"}
  steps:
    - expect: {code: 220}
)yaml",
                            "mem/bad.yaml", scn::Environment::from_map({}));
  REQUIRE(bad.diagnostics.size() == 1);
  CHECK(bad.diagnostics[0].line == 3);
  CHECK_THAT(bad.diagnostics[0].message, Catch::Contains("write a number or \"{{port.NAME}}\""));
}
