// The Protocol driven without sockets, shared by the protocol tests: lines in, replies out,
// capture record filled.
#pragma once

#include <catch2/catch.hpp>

#include <string_view>
#include <vector>

#include "smtp/data_decoder.hpp"
#include "smtp/protocol.hpp"

namespace maildog::smtp::testing {

struct Dialogue {
  explicit Dialogue(ServerConfig cfg)
      : config(std::move(cfg)),
        rules_state(config.seed),
        protocol(
            config, rules_state, capture, record, [] { return std::chrono::microseconds(0); }, [] { return 42ULL; }) {
    record.client_address = "127.0.0.1";
  }
  ServerConfig config;
  rules::EngineState rules_state;
  capture::Capture capture;
  capture::SessionRecord record;
  Protocol protocol;

  Reply say(std::string_view line) {
    Output output = protocol.on_line(line);
    REQUIRE(!output.replies.empty());
    return output.replies.front();
  }
  int code(std::string_view line) { return say(line).code; }
  // BDAT: the command, then the chunk's octets in the given pieces, then its reply.
  Reply send_chunk(std::string_view command, std::vector<std::string_view> pieces) {
    Output output = protocol.on_line(command);
    REQUIRE(output.replies.empty());
    REQUIRE(output.next == Next::read_chunk);
    std::size_t total = 0;
    for (auto piece : pieces) {
      protocol.on_chunk_data(piece);
      total += piece.size();
    }
    REQUIRE(total == output.chunk_size);
    Output end = protocol.on_chunk_end();
    REQUIRE(!end.replies.empty());
    return end.replies.front();
  }
  Reply send_message(std::string_view body) {
    DataDecoder decoder(protocol.message_size_limit());
    decoder.feed(body);
    REQUIRE(decoder.done());
    return protocol.on_message(decoder).replies.front();
  }
};

}  // namespace maildog::smtp::testing
