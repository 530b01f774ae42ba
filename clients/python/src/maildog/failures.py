"""Assertion messages that read like maildog-ci's own: expected, actual, and the transcript
lines around the reply that decided it."""
from __future__ import annotations

from typing import Optional, Sequence

from maildog.records import TranscriptLine

# Lines shown before and after the line a failure is about.
CONTEXT_BEFORE = 6
CONTEXT_AFTER = 2
# Lines shown from the end of a transcript when no line stands out.
TAIL = 8


class MaildogAssertionError(AssertionError):
    """A maildog assertion or wait failed; str() is the whole report, pytest prints it as it is."""


def excerpt(lines: Sequence[TranscriptLine], around: Optional[int]) -> list[str]:
    """The lines around index `around` (or the tail), `C:`/`S:` prefixed, "..." where cut."""
    if not lines:
        return []
    if around is None or not 0 <= around < len(lines):
        start, end = max(0, len(lines) - TAIL), len(lines)
    else:
        start, end = max(0, around - CONTEXT_BEFORE), min(len(lines), around + CONTEXT_AFTER + 1)
    shown = [str(line) for line in lines[start:end]]
    if start > 0:
        shown.insert(0, "...")
    if end < len(lines):
        shown.append("...")
    return shown


def last_line_naming(lines: Sequence[TranscriptLine], text: str) -> Optional[int]:
    """The index of the last client line that contains `text` (any case), or None."""
    needle = text.lower()
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].direction == "client" and needle in lines[index].text.lower():
            return index
    return None


def report(title: str, expected: str, actual: Sequence[str], transcript: Sequence[str] = (),
           transcript_title: str = "transcript") -> str:
    """The multi-line failure text: a title, then indented expected/actual/transcript blocks."""
    out = [title, f"  expected: {expected}"]
    first, *rest = list(actual) or ["(nothing)"]
    out.append(f"  actual:   {first}")
    out.extend(f"            {line}" for line in rest)
    if transcript:
        out.append(f"  {transcript_title}:")
        out.extend(f"    {line}" for line in transcript)
    return "\n".join(out)
