// Where the sandbox should refuse: the bounce's own evidence first, else a small table keyed by
// explain's diagnosis and the enhanced code's class, with the reason said in words for a comment.
#pragma once

#include <string>

#include "bounce/facts.hpp"
#include "explain/knowledge.hpp"

namespace maildog::scaffold {

struct StageChoice {
  bounce::Stage stage = bounce::Stage::rcpt;
  std::string why;  // one line for the scenario's comment
  bool from_evidence = false;
};

StageChoice choose_stage(const bounce::BounceFacts& facts, const explain::Diagnosis& diagnosis);

}  // namespace maildog::scaffold
