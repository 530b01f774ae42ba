#include "dns/live_resolver.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace maildog::dns {

namespace {

int wire_type(RecordType type) {
  switch (type) {
    case RecordType::a:
      return ns_t_a;
    case RecordType::aaaa:
      return ns_t_aaaa;
    case RecordType::mx:
      return ns_t_mx;
    case RecordType::txt:
      return ns_t_txt;
    case RecordType::ptr:
      return ns_t_ptr;
    case RecordType::cname:
      return ns_t_cname;
  }
  return ns_t_a;
}

std::uint16_t read16(const unsigned char* at) { return static_cast<std::uint16_t>((at[0] << 8) | at[1]); }

// A compressed name at `at` (RFC 1035 4.1.4), or nothing when it is malformed.
std::optional<std::string> expand_name(const unsigned char* at, const unsigned char* message, int size,
                                       long& encoded_size) {
  char* expanded = nullptr;
  if (ares_expand_name(at, message, size, &expanded, &encoded_size) != ARES_SUCCESS) {
    return std::nullopt;
  }
  std::string name(expanded);
  ares_free_string(expanded);
  return name;
}

// The text of one answer record of the asked type (see RecordType), or nothing if malformed.
std::optional<std::string> record_text(RecordType type, const unsigned char* rdata, std::size_t rdata_size,
                                       const unsigned char* message, int size) {
  long encoded_size = 0;
  switch (type) {
    case RecordType::a:
    case RecordType::aaaa: {
      const int family = type == RecordType::a ? AF_INET : AF_INET6;
      const std::size_t expected = type == RecordType::a ? sizeof(in_addr) : sizeof(in6_addr);
      std::array<char, INET6_ADDRSTRLEN> printed{};
      if (rdata_size != expected || inet_ntop(family, rdata, printed.data(), printed.size()) == nullptr) {
        return std::nullopt;
      }
      return std::string(printed.data());
    }
    case RecordType::mx: {
      if (rdata_size < 3) {
        return std::nullopt;
      }
      const auto host = expand_name(rdata + 2, message, size, encoded_size);
      if (!host) {
        return std::nullopt;
      }
      return std::to_string(read16(rdata)) + " " + (host->empty() ? std::string(".") : *host);
    }
    case RecordType::txt: {  // RFC 1035 3.3.14: one or more <character-string>s
      std::string text;
      std::size_t at = 0;
      while (at < rdata_size) {
        const std::size_t length = rdata[at];
        if (at + 1 + length > rdata_size) {
          return std::nullopt;
        }
        text.append(reinterpret_cast<const char*>(rdata + at + 1), length);
        at += 1 + length;
      }
      return text;
    }
    case RecordType::ptr:
    case RecordType::cname:
      return expand_name(rdata, message, size, encoded_size);
  }
  return std::nullopt;
}

// The answer records of `type` in a response (CNAMEs leading to them are skipped).
std::vector<std::string> answers(RecordType type, const unsigned char* message, int size) {
  std::vector<std::string> records;
  constexpr std::size_t header_size = 12;
  if (size < static_cast<int>(header_size)) {
    return records;
  }
  const auto end = static_cast<std::size_t>(size);
  const unsigned questions = read16(message + 4);
  const unsigned answer_count = read16(message + 6);
  std::size_t at = header_size;
  long encoded_size = 0;
  for (unsigned i = 0; i < questions; ++i) {
    if (at >= end || !expand_name(message + at, message, size, encoded_size)) {
      return records;
    }
    at += static_cast<std::size_t>(encoded_size) + 4;  // QTYPE, QCLASS
  }
  for (unsigned i = 0; i < answer_count; ++i) {
    if (at >= end || !expand_name(message + at, message, size, encoded_size)) {
      return records;
    }
    at += static_cast<std::size_t>(encoded_size);
    if (at + 10 > end) {  // TYPE, CLASS, TTL, RDLENGTH
      return records;
    }
    const int answer_type = read16(message + at);
    const std::size_t rdata_size = read16(message + at + 8);
    const unsigned char* rdata = message + at + 10;
    at += 10 + rdata_size;
    if (at > end) {
      return records;
    }
    if (answer_type == wire_type(type)) {
      if (auto text = record_text(type, rdata, rdata_size, message, size)) {
        records.push_back(std::move(*text));
      }
    }
  }
  return records;
}

struct Pending {
  RecordType type = RecordType::a;
  bool done = false;
  LookupResult result;
};

void on_answer(void* argument, int status, int /*timeouts*/, unsigned char* message, int size) {
  auto& pending = *static_cast<Pending*>(argument);
  pending.done = true;
  switch (status) {
    case ARES_SUCCESS:
      pending.result.records = answers(pending.type, message, size);
      pending.result.status = pending.result.records.empty() ? LookupResult::Status::nodata : LookupResult::Status::ok;
      return;
    case ARES_ENODATA:
      pending.result.status = LookupResult::Status::nodata;
      return;
    case ARES_ENOTFOUND:
    case ARES_EBADNAME:
      pending.result.status = LookupResult::Status::nxdomain;
      return;
    case ARES_ETIMEOUT:
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
      pending.result.status = LookupResult::Status::timeout;
      return;
    default:
      pending.result.status = LookupResult::Status::servfail;
      return;
  }
}

std::string joined(const std::vector<std::string>& servers) {
  std::string csv;
  for (const std::string& server : servers) {
    csv += (csv.empty() ? "" : ",") + server;
  }
  return csv;
}

// The longest c-ares can take: each round over the servers doubles the per-try timeout
// (resolv.conf holds at most 3 servers).
std::chrono::milliseconds longest_wait(const LiveResolverOptions& options) {
  const int tries = std::clamp(options.tries, 1, 8);
  const auto servers = static_cast<int>(options.servers.empty() ? 3 : options.servers.size());
  return options.timeout * ((1 << tries) - 1) * servers;
}

}  // namespace

struct LiveResolver::Channel {
  ares_channel handle = nullptr;
};

LiveResolver::LiveResolver(const LiveResolverOptions& options)
    : channel_(std::make_unique<Channel>()), deadline_(longest_wait(options)) {
  if (const int status = ares_library_init(ARES_LIB_INIT_ALL); status != ARES_SUCCESS) {
    throw std::runtime_error(std::string("c-ares: ") + ares_strerror(status));
  }
  ares_options settings{};
  settings.timeout = static_cast<int>(options.timeout.count());
  settings.tries = std::clamp(options.tries, 1, 8);
  if (const int status = ares_init_options(&channel_->handle, &settings, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
      status != ARES_SUCCESS) {
    ares_library_cleanup();
    throw std::runtime_error(std::string("c-ares: ") + ares_strerror(status));
  }
  if (!options.servers.empty()) {
    if (const int status = ares_set_servers_ports_csv(channel_->handle, joined(options.servers).c_str());
        status != ARES_SUCCESS) {
      ares_destroy(channel_->handle);
      ares_library_cleanup();
      throw std::runtime_error("c-ares: bad name servers \"" + joined(options.servers) +
                               "\": " + ares_strerror(status));
    }
  }
}

LiveResolver::~LiveResolver() {
  ares_destroy(channel_->handle);
  ares_library_cleanup();
}

LookupResult LiveResolver::lookup(std::string_view name, RecordType type) {
  if (!is_queryable_name(name)) {
    return {LookupResult::Status::nxdomain, {}};
  }
  Pending pending;
  pending.type = type;
  const std::string question = canonical_name(name);
  ares_query(channel_->handle, question.c_str(), ns_c_in, wire_type(type), on_answer, &pending);

  // c-ares retries and times out by itself; the deadline only guards against a stuck channel.
  const auto give_up = std::chrono::steady_clock::now() + deadline_ + std::chrono::seconds(1);
  while (!pending.done) {
    std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> sockets{};
    const int bits = ares_getsock(channel_->handle, sockets.data(), static_cast<int>(sockets.size()));
    std::vector<pollfd> watched;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      const bool readable = (bits & (1 << i)) != 0;
      const bool writable = (bits & (1 << (i + ARES_GETSOCK_MAXNUM))) != 0;
      if (readable || writable) {
        const auto events = static_cast<short>((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
        watched.push_back(pollfd{sockets[static_cast<std::size_t>(i)], events, 0});
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= give_up) {
      ares_cancel(channel_->handle);  // calls on_answer with ARES_ECANCELLED
      break;
    }
    timeval longest{};
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(give_up - now);
    longest.tv_sec = static_cast<time_t>(left.count() / 1'000'000);
    longest.tv_usec = static_cast<suseconds_t>(left.count() % 1'000'000);
    timeval wait{};
    const timeval* chosen = ares_timeout(channel_->handle, &longest, &wait);
    const int wait_ms = static_cast<int>(chosen->tv_sec * 1000 + chosen->tv_usec / 1000) + 1;
    const int ready = poll(watched.data(), watched.size(), wait_ms);
    if (ready <= 0) {
      ares_process_fd(channel_->handle, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // handles timeouts
      continue;
    }
    for (const pollfd& entry : watched) {
      const bool can_read = (entry.revents & (POLLIN | POLLERR | POLLHUP)) != 0;
      const bool can_write = (entry.revents & POLLOUT) != 0;
      if (can_read || can_write) {
        ares_process_fd(channel_->handle, can_read ? entry.fd : ARES_SOCKET_BAD,
                        can_write ? entry.fd : ARES_SOCKET_BAD);
      }
    }
  }
  if (!pending.done) {
    return {LookupResult::Status::timeout, {}};
  }
  return pending.result;
}

}  // namespace maildog::dns
