// Authentication refusals (SPF 5.7.23, PTR 5.7.25, DMARC 5.7.26, a DNSBL's 5.7.1) are reproduced
// by the sandbox's own checks over a `dns:` fixture, so the refusal comes for the real reason;
// the production text becomes the check's reply.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bounce/facts.hpp"
#include "explain/knowledge.hpp"

namespace maildog::scaffold {

struct AuthFixture {
  std::string reason;                                // the check and its `rejected` reason: spf, dmarc, ptr, dnsbl
  bounce::Stage stage = bounce::Stage::end_of_data;  // where the sandbox's check refuses
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> dns;  // name -> {type, value}
  std::string peer_ip;
  std::string peer_helo;
  std::vector<std::pair<std::string, std::string>> checks;  // e.g. {spf, report}, {dmarc, enforce}
  std::vector<std::string> dnsbl_zones;
  std::string why;  // one line for the comment
};

// The fixture for `sender_domain`, or nothing when the refusal is not one the checks make.
std::optional<AuthFixture> auth_fixture(const bounce::BounceFacts& facts, const explain::Diagnosis& diagnosis,
                                        const std::string& sender_domain);

}  // namespace maildog::scaffold
