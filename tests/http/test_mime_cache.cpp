#include <catch2/catch.hpp>

#include <future>
#include <string>
#include <vector>

#include "http/mime_cache.hpp"

using maildog::http::cached_parse;
using maildog::http::k_mime_cache_entries;

namespace {

std::string message(const std::string& subject) {
  return "From: a@x.test\r\nSubject: " + subject + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhi\r\n";
}

}  // namespace

TEST_CASE("cached_parse parses a message once and tells different bytes apart") {
  const std::string first = message("cache one");
  const auto tree = cached_parse(900001, first);
  REQUIRE(tree);
  CHECK(tree->headers.at(1).value == "cache one");
  CHECK(cached_parse(900001, first) == tree);  // the same tree, not parsed again
  // The same id with other bytes (a sandbox's store, a restart) is another message.
  const auto other = cached_parse(900001, message("cache two"));
  CHECK(other != tree);
  CHECK(other->headers.at(1).value == "cache two");
}

TEST_CASE("cached_parse keeps a bounded number of trees and shares concurrent parses") {
  const std::string oldest = message("oldest");
  const auto tree = cached_parse(900100, oldest);
  for (std::size_t i = 0; i <= k_mime_cache_entries; ++i) {
    cached_parse(900200 + i, message("filler " + std::to_string(i)));
  }
  CHECK(cached_parse(900100, oldest) != tree);  // evicted, parsed anew

  const std::string shared = message("concurrent");
  std::vector<std::future<std::shared_ptr<const maildog::mime::Parsed>>> callers;
  for (int i = 0; i < 4; ++i) {
    callers.push_back(std::async(std::launch::async, [&shared] { return cached_parse(900300, shared); }));
  }
  const auto one = callers.front().get();
  for (std::size_t i = 1; i < callers.size(); ++i) {
    CHECK(callers[i].get() == one);
  }
}
