// Real DNS through c-ares, for scenarios that ask for `dns: live`. Never used by the test suite
// (there is no network there) except a hidden [.live] test and loopback tests on port 0.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"

namespace maildog::dns {

struct LiveResolverOptions {
  // RFC 7208 4.6.4 asks SPF checks to allow at least 20 s in all; one question gets this long.
  std::chrono::milliseconds timeout{std::chrono::seconds(5)};
  int tries = 2;  // attempts per server
  // "ip" or "ip:port" ("[v6]:port") name servers; empty: those of /etc/resolv.conf.
  std::vector<std::string> servers;
};

class LiveResolver final : public Resolver {
 public:
  // Throws std::runtime_error when c-ares cannot be set up (no resolv.conf, a bad server).
  explicit LiveResolver(const LiveResolverOptions& options = {});
  ~LiveResolver() override;

  LookupResult lookup(std::string_view name, RecordType type) override;

 private:
  struct Channel;  // the c-ares channel, kept out of this header
  std::unique_ptr<Channel> channel_;
  std::chrono::milliseconds deadline_;
};

}  // namespace maildog::dns
