// A message's own content in headless Chromium against the built `serve` (issue 21 items 7 and
// 10), driven by inspector_content.py over the DevTools pipe: the message's HTML names images,
// style sheets, a frame, a video, audio, an object, an embed and a script on a second loopback
// HTTP server that counts requests, and a cid: image of its own.
// - Opened directly (/body/html, /parts/PATH) and in the inspector: 0 remote fetches, the cid:
//   image shows; ?remote=1 and the inspector's "Load remote content" load the images only.
// - With a token: the inspector asks for it once, lists, opens the message; "open" gives a blob:
//   tab with the part, the download link the attachment's bytes; the token is in no URL the
//   browser requested (its net log) and in no cookie.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "serve/serve_process.hpp"
#include "support/child.hpp"
#include "support/chromium.hpp"
#include "support/paths.hpp"
#include "support/skip.hpp"
#include "support/temp_dir.hpp"

using namespace maildog::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// inspector_content.py's figures (its last line of output) for the serve started with `args`.
json probe(const TempDir& dir, const std::vector<std::string>& args, const std::string& token) {
  ServeProcess serve(args);
  INFO(serve.output());
  REQUIRE(serve.started());
  ChildSpec driver;
  driver.argv = {"/usr/bin/python3", (source_dir() / "tests" / "serve" / "inspector_content.py").string(),
                 std::to_string(serve.port()), "http://127.0.0.1:" + std::to_string(serve.http_port()) + "/",
                 dir.path().string()};
  if (!token.empty()) {
    driver.argv.push_back(token);
  }
  driver.timeout = 180s;
  const auto result = run_child(driver);
  INFO(result.describe());
  REQUIRE(result.exit_code == 0);
  std::string last_line = result.out;
  while (!last_line.empty() && last_line.back() == '\n') {
    last_line.pop_back();
  }
  const std::size_t newline = last_line.rfind('\n');
  const json figures = json::parse(newline == std::string::npos ? last_line : last_line.substr(newline + 1));
  WARN("figures: " << figures.dump());
  return figures;
}

bool is_size(const json& value, int width, int height) {
  return value.is_array() && value.size() == 2 && value[0] == width && value[1] == height;
}

}  // namespace

TEST_CASE("serve: opened content and the inspector load nothing remote unless asked",
          "[serve][integration][chromium][inspector]") {
  if (!chromium_available("remote content test")) {
    MAILDOG_SKIP("chromium missing: test skipped");
    return;
  }
  TempDir dir;
  const json figures = probe(dir, {"--smtp-port", "0"}, "");
  INFO(figures.dump(1));
  for (const char* opened : {"direct_body", "direct_part"}) {
    INFO(opened);
    CHECK(figures.at(opened).at("images") == 0);                 // main: 6 and 5
    CHECK(figures.at(opened).at("other") == 0);                  // main: 9 (style sheets, frame, media, object, script)
    CHECK(is_size(figures.at(opened).at("cid_image"), 37, 23));  // main: a broken image
  }
  // Asked for: the remote images load, and still nothing else.
  CHECK(figures.at("direct_remote").at("images").get<int>() >= 5);
  CHECK(figures.at("direct_remote").at("other") == 0);
  CHECK(is_size(figures.at("direct_remote").at("remote_image"), 41, 19));
  // The inspector's HTML tab: nothing remote, the cid: image put in from its part.
  CHECK(figures.at("inspector").at("images") == 0);
  CHECK(figures.at("inspector").at("other") == 0);
  CHECK(is_size(figures.at("inspector").at("cid_image"), 37, 23));
  CHECK(figures.at("inspector").at("cid_src") == "data:image/png;base64,");
  // Its "Load remote content" button.
  CHECK(figures.at("inspector_remote").at("images").get<int>() >= 5);
  CHECK(figures.at("inspector_remote").at("other") == 0);
  CHECK(is_size(figures.at("inspector_remote").at("remote_image"), 41, 19));
  CHECK(is_size(figures.at("inspector_remote").at("cid_image"), 37, 23));
}

TEST_CASE("serve: with a token, the inspector's links work without the token in a URL or a cookie",
          "[serve][integration][chromium][inspector][token]") {
  if (!chromium_available("inspector token test")) {
    MAILDOG_SKIP("chromium missing: test skipped");
    return;
  }
  TempDir dir;
  const std::string token = "tok-5e1f0c9a7d3b";
  const json figures = probe(dir, {"--smtp-port", "0", "--api-token", token}, token);
  INFO(figures.dump(1));
  CHECK(figures.at("form_shown") == true);  // asked for ...
  CHECK(figures.at("form_hidden_after") == true);
  CHECK(figures.at("form_hidden_after_reload") == true);  // ... once per tab
  CHECK(figures.at("listed").get<int>() >= 1);
  CHECK(figures.at("subject") == "Remote content probe");
  CHECK(is_size(figures.at("cid_image"), 37, 23));
  CHECK(figures.at("opened_url_scheme") == "blob");
  CHECK(is_size(figures.at("opened_image"), 37, 23));
  CHECK(figures.at("downloaded") == "order,total\n42,19.90\n");
  CHECK(figures.at("viewer_url") == "view");
  CHECK(figures.at("remote").at("images") == 0);
  CHECK(figures.at("remote").at("other") == 0);
  // No cookie at all, and the token in no URL: the net log holds every URL requested (and the
  // control URL proves it), with credentials stripped.
  CHECK(figures.at("document_cookie") == "");
  CHECK(figures.at("cookies") == 0);
  CHECK(figures.at("token_in_cookie") == false);
  CHECK(figures.at("net_log_has_api") == true);
  CHECK(figures.at("net_log_has_control") == true);
  CHECK(figures.at("token_in_net_log") == false);
}
