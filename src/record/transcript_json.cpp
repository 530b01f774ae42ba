#include "record/transcript_json.hpp"

#include <nlohmann/json.hpp>

namespace maildog::record {

std::string transcript_json(const Recording& recording) {
  nlohmann::json sessions = nlohmann::json::array();
  for (const auto& session : recording.sessions) {
    nlohmann::json transcript = nlohmann::json::array();
    for (const auto& exchange : session.exchanges) {
      const auto offset = std::chrono::duration_cast<std::chrono::microseconds>(exchange.at).count();
      if (!exchange.command.empty()) {
        transcript.push_back({{"dir", "client"}, {"text", exchange.command}, {"offset_us", offset}});
      }
      const std::string wire = exchange.wire.empty() ? exchange.reply.wire() : exchange.wire;
      std::size_t start = 0;
      while (start < wire.size()) {
        auto end = wire.find("\r\n", start);
        if (end == std::string::npos) {
          end = wire.size();
        }
        transcript.push_back({{"dir", "server"}, {"text", wire.substr(start, end - start)}, {"offset_us", offset}});
        start = end + 2;
      }
    }
    nlohmann::json messages = nlohmann::json::array();
    for (const auto& message : session.messages) {
      nlohmann::json entry{{"size", message.size}, {"header_names", message.header_names}};
      if (message.body) {
        entry["body"] = *message.body;
      }
      messages.push_back(std::move(entry));
    }
    sessions.push_back(
        {{"tls", session.tls}, {"end", session.end}, {"transcript", transcript}, {"messages", messages}});
  }
  nlohmann::json document{{"upstream", recording.upstream}, {"sessions", sessions}};
  return document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace maildog::record
