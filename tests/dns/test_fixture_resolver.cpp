#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dns/fixture_resolver.hpp"
#include "dns/live_resolver.hpp"

using maildog::dns::CountingResolver;
using maildog::dns::FixtureResolver;
using maildog::dns::LookupResult;
using maildog::dns::RecordType;
using Status = maildog::dns::LookupResult::Status;
using Records = std::vector<std::string>;

namespace {

FixtureResolver example_zone() {
  return FixtureResolver({
      {"Example.COM.",
       {{"A", {"192.0.2.1", "192.0.2.2"}},
        {"aaaa", {"2001:DB8:0::1"}},
        {"MX", {"10 mail.example.com", "20 backup.example.com."}},
        {"TXT", {"v=spf1 -all", "other text"}}}},
      {"mail.example.com", {{"A", {"192.0.2.25"}}}},
      {"1.2.0.192.in-addr.arpa", {{"PTR", {"example.com"}}}},
      {"www.example.com", {{"CNAME", {"example.com."}}}},
      {"alias.example.com", {{"CNAME", {"www.example.com"}}}},
      {"dangling.example.com", {{"CNAME", {"nowhere.example.com"}}}},
      {"loop1.example.com", {{"CNAME", {"loop2.example.com"}}}},
      {"loop2.example.com", {{"CNAME", {"LOOP1.example.com"}}}},
      {"empty.example.com", {}},
      {"ns-only.example.com", {{"NS", {"ns1.example.net"}}}},
      {"slow.example.com", {{"A", {"192.0.2.9"}}, {"TIMEOUT", {"true"}}}},
      {"broken.example.com", {{"SERVFAIL", {"true"}}}},
      {"gone.example.com", {{"nxdomain", {"true"}}}},
      {"null-mx.example.com", {{"MX", {"0"}}}},
  });
}

}  // namespace

TEST_CASE("records come back as text for each type", "[dns][fixture]") {
  FixtureResolver zone = example_zone();
  auto [name, type, records] = GENERATE(table<std::string, RecordType, Records>({
      {"example.com", RecordType::a, {"192.0.2.1", "192.0.2.2"}},
      {"example.com", RecordType::aaaa, {"2001:db8::1"}},  // as inet_ntop prints it
      {"example.com", RecordType::mx, {"10 mail.example.com", "20 backup.example.com."}},
      {"example.com", RecordType::txt, {"v=spf1 -all", "other text"}},
      {"1.2.0.192.in-addr.arpa", RecordType::ptr, {"example.com"}},
      {"www.example.com", RecordType::cname, {"example.com."}},
      {"null-mx.example.com", RecordType::mx, {"0 ."}},
  }));
  CAPTURE(name, maildog::name_of(maildog::dns::k_record_type_names, type));
  const LookupResult result = zone.lookup(name, type);
  CHECK(result.status == Status::ok);
  CHECK(result.records == records);
}

TEST_CASE("names compare without case and with or without the trailing dot", "[dns][fixture]") {
  FixtureResolver zone = example_zone();
  for (const char* name : {"example.com", "EXAMPLE.com", "example.com.", "eXample.COM."}) {
    CAPTURE(name);
    CHECK(zone.lookup(name, RecordType::a).records == Records{"192.0.2.1", "192.0.2.2"});
  }
  CHECK(maildog::dns::same_name("Mail.Example.com.", "mail.example.COM"));
  CHECK_FALSE(maildog::dns::same_name("mail.example.com", "example.com"));
}

TEST_CASE("missing names are nxdomain, missing types nodata", "[dns][fixture]") {
  FixtureResolver zone = example_zone();
  SECTION("unknown name") {
    const LookupResult result = zone.lookup("nope.example.com", RecordType::a);
    CHECK(result.status == Status::nxdomain);
    CHECK(result.records.empty());
    CHECK(result.is_void());
    CHECK_FALSE(result.is_error());
  }
  SECTION("known name, other type") {
    CHECK(zone.lookup("mail.example.com", RecordType::txt).status == Status::nodata);
    CHECK(zone.lookup("mail.example.com", RecordType::txt).is_void());
  }
  SECTION("a name with no records exists") {
    CHECK(zone.lookup("empty.example.com", RecordType::a).status == Status::nodata);
  }
  SECTION("types the fixture does not answer still make the name exist") {
    CHECK(zone.lookup("ns-only.example.com", RecordType::a).status == Status::nodata);
  }
}

TEST_CASE("failure entries answer the types a name has no records of", "[dns][fixture]") {
  FixtureResolver zone = example_zone();
  CHECK(zone.lookup("slow.example.com", RecordType::a).status == Status::ok);
  CHECK(zone.lookup("slow.example.com", RecordType::txt).status == Status::timeout);
  CHECK(zone.lookup("slow.example.com", RecordType::txt).is_error());
  CHECK(zone.lookup("broken.example.com", RecordType::mx).status == Status::servfail);
  CHECK(zone.lookup("gone.example.com", RecordType::a).status == Status::nxdomain);
}

TEST_CASE("CNAME chains are followed like a recursive resolver does", "[dns][fixture]") {
  FixtureResolver zone = example_zone();
  SECTION("one and two steps") {
    CHECK(zone.lookup("www.example.com", RecordType::a).records == Records{"192.0.2.1", "192.0.2.2"});
    CHECK(zone.lookup("alias.example.com", RecordType::txt).records == Records{"v=spf1 -all", "other text"});
  }
  SECTION("a CNAME question gets the alias itself") {
    CHECK(zone.lookup("alias.example.com", RecordType::cname).records == Records{"www.example.com"});
  }
  SECTION("to a missing name") { CHECK(zone.lookup("dangling.example.com", RecordType::a).status == Status::nxdomain); }
  SECTION("a loop ends in servfail") {
    CHECK(zone.lookup("loop1.example.com", RecordType::a).status == Status::servfail);
  }
}

TEST_CASE("unusable fixture values are refused when the zone is built", "[dns][fixture]") {
  using Zone = FixtureResolver::Records;
  CHECK_THROWS_AS(FixtureResolver(Zone{{"x.example", {{"A", {"192.0.2"}}}}}), std::invalid_argument);
  CHECK_THROWS_AS(FixtureResolver(Zone{{"x.example", {{"AAAA", {"192.0.2.1"}}}}}), std::invalid_argument);
  CHECK_THROWS_AS(FixtureResolver(Zone{{"x.example", {{"MX", {"mail.example"}}}}}), std::invalid_argument);
  CHECK_THROWS_AS(FixtureResolver(Zone{{"x.example", {{"MX", {"70000 mail.example"}}}}}), std::invalid_argument);
  CHECK_THROWS_AS(FixtureResolver(Zone{{"x.example", {{"CNAME", {"a.example", "b.example"}}}}}), std::invalid_argument);
}

TEST_CASE("CountingResolver counts every question it passes on", "[dns]") {
  FixtureResolver zone = example_zone();
  CountingResolver counting(zone);
  CHECK(counting.lookup("example.com", RecordType::a).status == Status::ok);
  CHECK(counting.lookup("nope.example.com", RecordType::a).status == Status::nxdomain);
  CHECK(counting.queries() == 2);
}

TEST_CASE("queryable names respect RFC 1035 lengths", "[dns]") {
  using maildog::dns::is_queryable_name;
  CHECK(is_queryable_name("example.com"));
  CHECK(is_queryable_name("example.com."));
  CHECK(is_queryable_name(std::string(63, 'a') + ".example"));
  CHECK_FALSE(is_queryable_name(std::string(64, 'a') + ".example"));
  CHECK_FALSE(is_queryable_name("mail.example...com"));
  CHECK_FALSE(is_queryable_name(""));
  CHECK_FALSE(is_queryable_name("."));
  std::string long_name;
  while (long_name.size() < 254) {
    long_name += "abcdefghi.";
  }
  CHECK_FALSE(is_queryable_name(long_name + "example"));
}

TEST_CASE("the live resolver times out against a server that never answers", "[dns][live_resolver]") {
  // A UDP socket on 127.0.0.1:0 that reads nothing: hermetic, no network needed.
  const int silent = socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(silent >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  REQUIRE(bind(silent, reinterpret_cast<sockaddr*>(&address), size) == 0);
  REQUIRE(getsockname(silent, reinterpret_cast<sockaddr*>(&address), &size) == 0);

  maildog::dns::LiveResolverOptions options;
  options.timeout = std::chrono::milliseconds(150);
  options.tries = 1;
  options.servers = {"127.0.0.1:" + std::to_string(ntohs(address.sin_port))};
  maildog::dns::LiveResolver resolver(options);
  const auto started = std::chrono::steady_clock::now();
  const LookupResult result = resolver.lookup("example.com", RecordType::txt);
  const auto took = std::chrono::steady_clock::now() - started;
  close(silent);
  CHECK(result.status == Status::timeout);
  CHECK(took < std::chrono::seconds(3));
  CHECK(resolver.lookup("bad..name", RecordType::a).status == Status::nxdomain);  // never sent
}

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes encoded_name(const std::string& name) {
  Bytes wire;
  std::size_t start = 0;
  while (start < name.size()) {
    const std::size_t dot = std::min(name.find('.', start), name.size());
    wire.push_back(static_cast<std::uint8_t>(dot - start));
    wire.insert(wire.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
                name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  wire.push_back(0);
  return wire;
}

struct CannedAnswer {
  std::uint16_t type = 0;
  Bytes rdata;
};

// A UDP DNS server on 127.0.0.1:0 answering from a table keyed by (lower-case name, type), with
// NXDOMAIN for names it does not know: enough to drive LiveResolver's answer parsing.
class LoopbackDnsServer {
 public:
  explicit LoopbackDnsServer(std::map<std::pair<std::string, std::uint16_t>, std::vector<CannedAnswer>> zone)
      : zone_(std::move(zone)), socket_(socket(AF_INET, SOCK_DGRAM, 0)) {
    REQUIRE(socket_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    REQUIRE(bind(socket_, reinterpret_cast<sockaddr*>(&address), size) == 0);
    REQUIRE(getsockname(socket_, reinterpret_cast<sockaddr*>(&address), &size) == 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  LoopbackDnsServer(const LoopbackDnsServer&) = delete;
  LoopbackDnsServer& operator=(const LoopbackDnsServer&) = delete;
  ~LoopbackDnsServer() {
    stop_ = true;
    thread_.join();
    close(socket_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void serve() {
    while (!stop_) {
      pollfd watched{socket_, POLLIN, 0};
      if (poll(&watched, 1, 20) <= 0) {
        continue;
      }
      std::array<std::uint8_t, 512> query{};
      sockaddr_in peer{};
      socklen_t peer_size = sizeof(peer);
      const ssize_t size =
          recvfrom(socket_, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&peer), &peer_size);
      if (size < 17) {
        continue;
      }
      const auto end = static_cast<std::size_t>(size);
      std::string name;
      std::size_t at = 12;
      while (at < end && query[at] != 0) {
        name +=
            (name.empty() ? "" : ".") + std::string(query.begin() + static_cast<std::ptrdiff_t>(at) + 1,
                                                    query.begin() + static_cast<std::ptrdiff_t>(at) + 1 + query[at]);
        at += 1 + query[at];
      }
      const std::size_t question_end = at + 5;  // zero octet, QTYPE, QCLASS
      const auto type = static_cast<std::uint16_t>((query[at + 1] << 8) | query[at + 2]);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
      const bool known =
          std::any_of(zone_.begin(), zone_.end(), [&](const auto& entry) { return entry.first.first == name; });
      const auto found = zone_.find({name, type});
      const std::vector<CannedAnswer> answers = found == zone_.end() ? std::vector<CannedAnswer>() : found->second;

      Bytes reply(query.begin(), query.begin() + static_cast<std::ptrdiff_t>(question_end));
      reply[2] = 0x81;                                            // QR, RD
      reply[3] = static_cast<std::uint8_t>(known ? 0x80 : 0x83);  // RA; RCODE 3 when unknown
      reply[6] = 0;
      reply[7] = static_cast<std::uint8_t>(answers.size());
      reply[8] = reply[9] = reply[10] = reply[11] = 0;
      for (const CannedAnswer& answer : answers) {
        const Bytes fixed{0xC0,
                          0x0C,  // the question's name
                          static_cast<std::uint8_t>(answer.type >> 8),
                          static_cast<std::uint8_t>(answer.type & 0xFF),
                          0,
                          1,
                          0,
                          0,
                          0,
                          60,
                          static_cast<std::uint8_t>(answer.rdata.size() >> 8),
                          static_cast<std::uint8_t>(answer.rdata.size() & 0xFF)};
        reply.insert(reply.end(), fixed.begin(), fixed.end());
        reply.insert(reply.end(), answer.rdata.begin(), answer.rdata.end());
      }
      sendto(socket_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&peer), peer_size);
    }
  }

  std::map<std::pair<std::string, std::uint16_t>, std::vector<CannedAnswer>> zone_;
  int socket_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

Bytes with_preference(std::uint16_t preference, const Bytes& name) {
  Bytes rdata{static_cast<std::uint8_t>(preference >> 8), static_cast<std::uint8_t>(preference & 0xFF)};
  rdata.insert(rdata.end(), name.begin(), name.end());
  return rdata;
}

}  // namespace

TEST_CASE("the live resolver reads answers of every type", "[dns][live_resolver]") {
  constexpr std::uint16_t a = 1, cname = 5, ptr = 12, mx = 15, txt = 16, aaaa = 28;
  const Bytes spf_strings{7, 'v', '=', 's', 'p', 'f', '1', ' ', 4, '-', 'a', 'l', 'l'};
  LoopbackDnsServer server({
      {{"example.test", a}, {{a, {192, 0, 2, 1}}, {a, {192, 0, 2, 2}}}},
      {{"example.test", aaaa}, {{aaaa, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}}},
      {{"example.test", mx},
       {{mx, with_preference(10, encoded_name("mail.example.test"))}, {mx, with_preference(0, {0})}}},
      {{"example.test", txt}, {{txt, spf_strings}, {txt, {5, 'o', 't', 'h', 'e', 'r'}}}},
      {{"1.2.0.192.in-addr.arpa", ptr}, {{ptr, encoded_name("example.test")}}},
      {{"www.example.test", a}, {{cname, encoded_name("example.test")}, {a, {192, 0, 2, 1}}}},
      {{"www.example.test", cname}, {{cname, encoded_name("example.test")}}},
  });
  maildog::dns::LiveResolverOptions options;
  options.timeout = std::chrono::milliseconds(500);
  options.tries = 1;
  options.servers = {server.address()};
  maildog::dns::LiveResolver resolver(options);

  auto [name, type, status, records] = GENERATE(table<std::string, RecordType, Status, Records>({
      {"example.test", RecordType::a, Status::ok, {"192.0.2.1", "192.0.2.2"}},
      {"Example.TEST.", RecordType::aaaa, Status::ok, {"2001:db8::1"}},
      {"example.test", RecordType::mx, Status::ok, {"10 mail.example.test", "0 ."}},
      {"example.test", RecordType::txt, Status::ok, {"v=spf1 -all", "other"}},
      {"1.2.0.192.in-addr.arpa", RecordType::ptr, Status::ok, {"example.test"}},
      {"www.example.test", RecordType::a, Status::ok, {"192.0.2.1"}},  // the CNAME is skipped
      {"www.example.test", RecordType::cname, Status::ok, {"example.test"}},
      {"1.2.0.192.in-addr.arpa", RecordType::a, Status::nodata, {}},
      {"missing.example.test", RecordType::a, Status::nxdomain, {}},
  }));
  CAPTURE(name, maildog::name_of(maildog::dns::k_record_type_names, type));
  const LookupResult result = resolver.lookup(name, type);
  CHECK(maildog::name_of(maildog::dns::k_lookup_status_names, result.status) ==
        maildog::name_of(maildog::dns::k_lookup_status_names, status));
  CHECK(result.records == records);
}

// Real DNS: hidden by default (run with `tests_dns [.live]` on a machine with network).
TEST_CASE("the live resolver answers from the real DNS", "[.live][dns][live_resolver]") {
  maildog::dns::LiveResolver resolver;
  const LookupResult mx = resolver.lookup("gmail.com", RecordType::mx);
  REQUIRE(mx.status == Status::ok);
  CHECK_FALSE(mx.records.empty());
  const LookupResult txt = resolver.lookup("gmail.com", RecordType::txt);
  REQUIRE(txt.status == Status::ok);
  CHECK(std::any_of(txt.records.begin(), txt.records.end(),
                    [](const std::string& record) { return record.rfind("v=spf1", 0) == 0; }));
  CHECK(resolver.lookup("does-not-exist.invalid", RecordType::a).status == Status::nxdomain);
}
