"""maildog: test a program's mail inside its own test suite, against `maildog-ci serve`.

`Server.start()` runs serve; `server.sandbox()` gives an isolated SMTP sandbox with rules,
waits and assertions. With pytest, the fixtures `maildog_server` and `maildog` do both.
"""
from maildog._api import ApiError
from maildog.failures import MaildogAssertionError
from maildog.records import (Attachment, Attempt, AuthResults, Envelope, LintFinding, Message, Recipient, Reply,
                             Session, TranscriptLine)
from maildog.sandbox import Sandbox
from maildog.server import MaildogError, Server, find_binary

__all__ = [
    "ApiError", "Attachment", "Attempt", "AuthResults", "Envelope", "LintFinding", "MaildogAssertionError",
    "MaildogError", "Message", "Recipient", "Reply", "Sandbox", "Server", "Session", "TranscriptLine",
    "find_binary",
]
