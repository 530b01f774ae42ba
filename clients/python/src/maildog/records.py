"""What a sandbox hands back: messages, attempts, sessions and their transcripts.

Each is built from the API's JSON (schemas/api.openapi.json). A Message reads its bytes, headers,
bodies, attachments and auth results from the sandbox on first use and keeps them: read what a
test needs before `clear()` or the end of the test removes the sandbox.
"""
from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import cached_property
from typing import Any, Optional

from maildog._api import Api


@dataclass(frozen=True)
class Reply:
    """One SMTP reply: `550 5.1.1 text`."""
    code: int
    enhanced: Optional[str]
    text: str

    @classmethod
    def from_json(cls, data: Any) -> Optional["Reply"]:
        if not isinstance(data, dict):
            return None
        return cls(int(data["code"]), data.get("enhanced"), str(data.get("text", "")))

    def __str__(self) -> str:
        return " ".join(str(part) for part in (self.code, self.enhanced, self.text) if part)


@dataclass(frozen=True)
class TranscriptLine:
    """One line of a session's transcript: client (`C:`), server (`S:`) or an event (`*`)."""
    direction: str
    text: str
    offset_ms: float

    @classmethod
    def from_json(cls, data: Any) -> "TranscriptLine":
        return cls(str(data["direction"]), str(data["text"]), float(data.get("offset_ms", 0.0)))

    def __str__(self) -> str:
        prefix = {"client": "C: ", "server": "S: "}.get(self.direction, "*  ")
        return prefix + self.text


@dataclass(frozen=True)
class Recipient:
    address: str
    accepted: bool
    reply: Optional[Reply]


@dataclass(frozen=True)
class Envelope:
    """MAIL FROM and every RCPT TO of the transaction, with the replies they got."""
    mail_from: str
    mail_parameters: str
    recipients: tuple[Recipient, ...]

    @property
    def rcpt_to(self) -> list[str]:
        """The accepted recipients."""
        return [r.address for r in self.recipients if r.accepted]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    path: str  # the IMAP-style part path, e.g. "2"
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class LintFinding:
    """A sender-lint note: what a strict receiver refuses or what breaks DKIM in transit."""
    name: str
    message: str
    line: int
    excerpt: str


@dataclass(frozen=True)
class AuthResults:
    """The sandbox's verdicts (`results`: spf, dkim, dmarc ... -> pass, fail ...), the
    Authentication-Results value it wrote, and that value parsed (`methods`)."""
    results: dict[str, str]
    header: str
    authserv_id: str
    methods: list[dict[str, Any]] = field(default_factory=list)


def _envelope(detail: dict[str, Any]) -> Envelope:
    envelope = detail.get("envelope") or {}
    recipients = tuple(Recipient(str(r["address"]), bool(r.get("accepted")), Reply.from_json(r.get("reply")))
                       for r in detail.get("recipients", []))
    return Envelope(str(envelope.get("mail_from", detail.get("from", ""))),
                    str(envelope.get("mail_parameters", "")), recipients)


def _leaves(part: dict[str, Any]) -> list[dict[str, Any]]:
    children = part.get("children") or []
    if not children:
        return [part]
    return [leaf for child in children for leaf in _leaves(child)]


class Message:
    """A message the sandbox accepted. The summary fields come with it; the rest is read on use."""

    def __init__(self, api: Api, summary: dict[str, Any]) -> None:
        self._api = api
        self.id: int = int(summary["id"])
        self.session_id: int = int(summary.get("session_id", 0))
        self.received: str = str(summary.get("received", ""))
        self.mail_from: str = str(summary.get("from", ""))
        self.to: list[str] = [str(a) for a in summary.get("to", [])]
        self.subject: str = str(summary.get("subject", ""))
        self.date: str = str(summary.get("date", ""))
        self.size: int = int(summary.get("size", 0))

    def __repr__(self) -> str:
        return f"<Message {self.id} from {self.mail_from!r} to {self.to!r} subject {self.subject!r}>"

    def _path(self, *rest: str) -> str:
        return "/".join(("messages", str(self.id)) + rest)

    @cached_property
    def detail(self) -> dict[str, Any]:
        """GET messages/{id}: envelope, replies, lint, auth verdicts as the API gives them."""
        return dict(self._api.json("GET", self._path()))

    @property
    def envelope(self) -> Envelope:
        return _envelope(self.detail)

    @cached_property
    def raw(self) -> bytes:
        """The message bytes exactly as received (after dot-unstuffing)."""
        return self._api.request("GET", self._path("raw")).body

    @cached_property
    def headers(self) -> list[tuple[str, str]]:
        """Every header field in order, RFC 2047 words decoded."""
        data = self._api.json("GET", self._path("headers"))
        return [(str(h["name"]), str(h["value"])) for h in data.get("headers", [])]

    def header(self, name: str) -> Optional[str]:
        """The first header field called `name` (any case), or None."""
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    def _body(self, subtype: str) -> Optional[str]:
        response = self._api.request("GET", self._path("body", subtype), ok_statuses=(404,))
        return response.body.decode("utf-8") if response.status == 200 else None

    @cached_property
    def text(self) -> Optional[str]:
        """The text/plain body a mail reader shows, decoded to str; None when there is none."""
        return self._body("plain")

    @cached_property
    def html(self) -> Optional[str]:
        """The text/html body, decoded to str; None when there is none."""
        return self._body("html")

    @cached_property
    def mime(self) -> dict[str, Any]:
        """The MIME tree (`root`) and any malformed-MIME `problems`."""
        return dict(self._api.json("GET", self._path("mime")))

    @cached_property
    def attachments(self) -> list[Attachment]:
        """Leaf parts with an attachment disposition or a file name, with their decoded content."""
        found = []
        for leaf in _leaves(self.mime["root"]):
            if leaf.get("disposition") == "attachment" or leaf.get("filename"):
                content = self._api.request("GET", self._path("parts", str(leaf["path"]))).body
                found.append(Attachment(str(leaf.get("filename", "")), str(leaf.get("content_type", "")),
                                        str(leaf["path"]), content))
        return found

    @cached_property
    def auth(self) -> AuthResults:
        data = self._api.json("GET", self._path("auth"))
        return AuthResults({str(k): str(v) for k, v in data.get("results", {}).items()},
                           str(data.get("authentication_results", "")), str(data.get("authserv_id", "")),
                           list(data.get("methods", [])))

    @property
    def lint(self) -> list[LintFinding]:
        return [LintFinding(str(n["name"]), str(n["message"]), int(n.get("line", 0)), str(n.get("excerpt", "")))
                for n in self.detail.get("lint", [])]

    def transcript(self) -> list[TranscriptLine]:
        """The transcript of the session that delivered it."""
        data = self._api.json("GET", self._path("transcript"))
        return [TranscriptLine.from_json(line) for line in data.get("transcript", [])]

    def email(self) -> EmailMessage:
        """The raw bytes parsed by the standard library, for anything the API does not give."""
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class Attempt:
    """One mail attempt the sandbox saw: accepted, partly refused or refused, with its reply."""

    def __init__(self, api: Api, summary: dict[str, Any]) -> None:
        self._api = api
        self.id: int = int(summary["id"])
        self.status: str = str(summary.get("status", ""))
        self.session_id: int = int(summary.get("session_id", 0))
        self.message_id: Optional[int] = summary.get("message_id")
        self.mail_from: Optional[str] = summary.get("from")
        self.recipients: list[Recipient] = [
            Recipient(str(r["address"]), bool(r.get("accepted")), Reply.from_json(r.get("reply")))
            for r in summary.get("recipients", [])]
        self.reply: Optional[Reply] = Reply.from_json(summary.get("reply"))
        self.reasons: list[str] = [str(r) for r in summary.get("reasons", [])]
        self.stage: Optional[str] = summary.get("stage")
        self.subject: str = str(summary.get("subject", ""))

    def __repr__(self) -> str:
        return f"<Attempt {self.id} {self.status} {self.reply}>"

    @cached_property
    def detail(self) -> dict[str, Any]:
        """GET attempts/{id}: its transcript, cause (with transcript_line) and diagnosis."""
        return dict(self._api.json("GET", f"attempts/{self.id}"))

    @property
    def transcript(self) -> list[TranscriptLine]:
        return [TranscriptLine.from_json(line) for line in self.detail.get("transcript", [])]

    @property
    def cause_line(self) -> Optional[int]:
        """The index in `transcript` of the reply that refused it, when there is one."""
        cause = self.detail.get("cause") or {}
        line = cause.get("transcript_line")
        return int(line) if isinstance(line, int) else None


class Session:
    """One SMTP connection to the sandbox."""

    def __init__(self, api: Api, summary: dict[str, Any]) -> None:
        self._api = api
        self.id: int = int(summary["id"])
        self.open: bool = bool(summary.get("open"))
        self.client_address: str = str(summary.get("client_address", ""))
        self.helo: str = str(summary.get("helo", ""))
        self.esmtp: bool = bool(summary.get("esmtp"))
        self.tls: bool = bool(summary.get("tls"))
        self.tls_version: Optional[str] = summary.get("tls_version")
        self.auth_user: Optional[str] = summary.get("auth_user")
        self.close_reason: str = str(summary.get("close_reason", ""))
        self.refusal_count: int = int(summary.get("refusal_count", 0))

    def __repr__(self) -> str:
        return f"<Session {self.id} helo {self.helo!r} tls={self.tls} open={self.open}>"

    def transcript(self) -> list[TranscriptLine]:
        data = self._api.json("GET", f"sessions/{self.id}")
        return [TranscriptLine.from_json(line) for line in data.get("transcript", [])]
