// The recorded transcript as JSON, in the shape of a run report's sessions (`sessions[].transcript[]`
// of {dir: client|server, text, offset_us}), so tests/record/transcript_equal.py compares the two
// directly. AUTH credentials are already `***` in the recording. Pure.
#pragma once

#include <string>

#include "record/recording.hpp"

namespace maildog::record {

std::string transcript_json(const Recording& recording);

}  // namespace maildog::record
