"""One sandbox of a running `maildog-ci serve`: its own SMTP port, rules, messages, attempts and
sessions (POST /api/v1/sandboxes), so parallel tests never see each other's mail."""
from __future__ import annotations

from types import TracebackType
from typing import Any, Mapping, Optional, Sequence

from maildog._api import POLL_MARGIN, Api, ApiError
from maildog.failures import MaildogAssertionError, excerpt, last_line_naming, report
from maildog.records import Attempt, Message, Session

# The stages a rule may answer at (schemas/scenario.schema.json, definitions.rule.at).
STAGES = ("connect", "helo", "starttls", "auth", "mail", "rcpt", "data", "end_of_data")

# What .reject answers when no reply is given; {address} is the sender at mail, data and end of
# data, the recipient at rcpt (serve fills it in).
DEFAULT_REPLIES = {
    "connect": "554 5.7.1 Access denied",
    "helo": "550 5.7.1 Access denied",
    "starttls": "454 4.7.0 TLS not available",
    "auth": "535 5.7.8 Authentication credentials invalid",
    "mail": "550 5.7.1 <{address}>: Sender address rejected: Access denied",
    "rcpt": "550 5.1.1 <{address}>: Recipient address rejected: User unknown",
    "data": "554 5.7.1 Message rejected",
    "end_of_data": "554 5.7.1 Message rejected",
}


def _seconds(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{name} must be a number of seconds >= 0, not {value!r}")
    return float(value)


def _wait_timeout(seconds: float) -> str:
    return f"{int(round(seconds * 1000))}ms"


def _describe_filters(**filters: Optional[str]) -> str:
    shown = [f"{name}={value}" for name, value in filters.items() if value is not None]
    return " ".join(shown) if shown else "(any)"


class Sandbox:
    """A sandbox as POST /api/v1/sandboxes describes it; every data route under its `url`."""

    def __init__(self, info: Mapping[str, Any], token: Optional[str] = None) -> None:
        self.id: str = str(info["id"])
        self.name: str = str(info.get("name", ""))
        self.host: str = str(info["smtp"]["host"])
        self.port: int = int(info["smtp"]["port"])
        self.url: str = str(info["url"])
        ca_file = info.get("ca_file")
        self.ca_file: Optional[str] = str(ca_file) if ca_file else None
        self._api = Api(self.url, token)

    def __repr__(self) -> str:
        return f"<Sandbox {self.id} smtp {self.host}:{self.port} {self.name!r}>"

    @property
    def where(self) -> str:
        return f"sandbox {self.id} on {self.host}:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """MAILDOG_SMTP_HOST, MAILDOG_SMTP_PORT (and MAILDOG_SMTP_CA_FILE with TLS): the names
        `maildog-ci run` gives apps, to merge into a subprocess's environment or settings."""
        env = {"MAILDOG_SMTP_HOST": self.host, "MAILDOG_SMTP_PORT": str(self.port)}
        if self.ca_file:
            env["MAILDOG_SMTP_CA_FILE"] = self.ca_file
        return env

    # Rules -------------------------------------------------------------------------------------

    def reject(self, rcpt: Optional[str] = None, reply: Optional[str] = None, at: str = "rcpt",
               times: Optional[int] = 1, *, mail_from: Optional[str] = None, helo: Optional[str] = None) -> int:
        """Adds a rule that answers `reply` at stage `at` when the addresses match (exact, glob or
        /regex/), for the next `times` commands it answers (None: for good). Returns its id."""
        if at not in STAGES:
            raise ValueError(f"at must be one of {', '.join(STAGES)}, not {at!r}")
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise ValueError(f"times must be an integer >= 1 (or None for no limit), not {times!r}")
        if rcpt is not None and at not in ("rcpt", "data", "end_of_data"):
            raise ValueError(f"rcpt= needs a stage with recipients (rcpt, data, end_of_data), not at={at!r}")
        match = {key: value for key, value in (("rcpt", rcpt), ("mail_from", mail_from), ("helo", helo))
                 if value is not None}
        rule: dict[str, Any] = {"at": at, "reply": reply if reply is not None else DEFAULT_REPLIES[at]}
        if match:
            rule["match"] = match
        if times is not None:
            rule["times"] = times
        return self.add_rule(rule)

    def add_rule(self, rule: Mapping[str, Any]) -> int:
        """POST one rule (a scenario's server.rules item, `times` allowed); returns its id."""
        if not isinstance(rule, Mapping):
            raise TypeError(f"a rule is a mapping like {{'at': 'rcpt', 'reply': '550 ...'}}, not {type(rule).__name__}")
        created = self._api.json("POST", "rules", body=dict(rule))
        return int(created["id"])

    def remove_rule(self, rule_id: int) -> None:
        """DELETE one rule by the id add_rule or reject returned (ApiError 404 when unknown)."""
        self._api.request("DELETE", f"rules/{int(rule_id)}")

    def rules(self, rules: Optional[Sequence[Mapping[str, Any]]] = None) -> list[dict[str, Any]]:
        """Without an argument, the rules as they stand (with `id` and `times_left`); with a list,
        replaces them all (PUT) and returns the new list."""
        if rules is None:
            return list(self._api.json("GET", "rules"))
        if isinstance(rules, (str, bytes, Mapping)):
            raise TypeError("rules() takes a list of rules")
        return list(self._api.json("PUT", "rules", body=[dict(rule) for rule in rules]))

    # Reading -----------------------------------------------------------------------------------

    def messages(self, to: Optional[str] = None, subject: Optional[str] = None, mail_from: Optional[str] = None,
                 limit: int = 100) -> list[Message]:
        """The messages kept, newest first; filters match as serve's do (case-insensitive parts)."""
        data = self._api.json("GET", "messages",
                              query={"to": to, "subject": subject, "from": mail_from, "limit": limit})
        return [Message(self._api, summary) for summary in data.get("messages", [])]

    def attempts(self, status: Optional[str] = None, code: Optional[int] = None, enhanced: Optional[str] = None,
                 to: Optional[str] = None, limit: int = 100) -> list[Attempt]:
        """Every mail attempt, accepted, partly refused or refused; newest first."""
        data = self._api.json("GET", "attempts", query={"status": status, "code": code, "enhanced": enhanced,
                                                        "to": to, "limit": limit})
        return [Attempt(self._api, summary) for summary in data.get("attempts", [])]

    def sessions(self, limit: int = 100) -> list[Session]:
        """The SMTP connections, newest first."""
        data = self._api.json("GET", "sessions", query={"limit": limit})
        return [Session(self._api, summary) for summary in data.get("sessions", [])]

    def clear(self) -> int:
        """Deletes every message kept; returns how many."""
        return int(self._api.json("DELETE", "messages").get("deleted", 0))

    def delete(self) -> None:
        """Removes the sandbox: its listener closes, open sessions get 421. Idempotent."""
        try:
            self._api.request("DELETE", "")
        except ApiError as error:
            if error.status != 404:
                raise

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, kind: Optional[type[BaseException]], value: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        self.delete()

    # Waiting and asserting ---------------------------------------------------------------------

    def _wait(self, query: dict[str, Any], seconds: float) -> Optional[dict[str, Any]]:
        """GET wait: the matching message or attempt, or None when serve answers 408."""
        query = dict(query, timeout=_wait_timeout(seconds))
        response = self._api.request("GET", "wait", query=query, timeout=seconds + POLL_MARGIN, ok_statuses=(408,))
        return None if response.status == 408 else dict(response.json())

    def wait_for(self, to: Optional[str] = None, subject: Optional[str] = None, mail_from: Optional[str] = None,
                 timeout: float = 10.0) -> Message:
        """Waits (long-polling serve, no sleeps) for a message that matches; returns it, or raises
        an AssertionError saying what arrived instead, with the last session's transcript."""
        seconds = _seconds(timeout, "timeout")
        found = self._wait({"to": to, "subject": subject, "from": mail_from}, seconds)
        if found is not None:
            return Message(self._api, found)
        wanted = _describe_filters(to=to, subject=subject, **{"from": mail_from})
        actual = self._what_arrived()
        transcript, title = self._last_session_tail(to)
        raise MaildogAssertionError(report(
            f"maildog: no message matching {wanted} arrived within {seconds:g} s ({self.where})",
            f"a message {wanted}", actual, transcript, title))

    def assert_no_mail(self, to: Optional[str] = None, subject: Optional[str] = None, within: float = 1.0) -> None:
        """Passes when no message matching arrives within `within` seconds (one already kept fails)."""
        seconds = _seconds(within, "within")
        found = self._wait({"to": to, "subject": subject}, seconds)
        if found is None:
            return
        message = Message(self._api, found)
        wanted = _describe_filters(to=to, subject=subject)
        lines = message.transcript()
        raise MaildogAssertionError(report(
            f"maildog: a message matching {wanted} arrived ({self.where})",
            f"no message {wanted} within {seconds:g} s",
            [f"message {message.id} from <{message.mail_from}> to {', '.join(message.to)} "
             f"subject {message.subject!r}"],
            excerpt(lines, _last_reply_index(lines)), f"transcript (session {message.session_id})"))

    def assert_rejected(self, code: Optional[int] = 550, enhanced: Optional[str] = None, to: Optional[str] = None,
                        within: float = 10.0) -> Attempt:
        """Waits for an attempt (to `to`, when given) refused with `code` and/or `enhanced`, and
        returns it; else raises an AssertionError with what the attempts got and their transcript."""
        if code is None and enhanced is None:
            raise ValueError("assert_rejected needs code= or enhanced= (e.g. code=550, enhanced='5.1.1')")
        if code is not None and (isinstance(code, bool) or not isinstance(code, int) or not 400 <= code <= 599):
            raise ValueError(f"code must be a 4xx or 5xx reply code, not {code!r}")
        seconds = _seconds(within, "within")
        found = self._wait({"code": code, "enhanced": enhanced, "to": to}, seconds)
        if found is not None:
            return Attempt(self._api, found)
        expected_reply = " ".join(str(part) for part in (code, enhanced) if part is not None)
        target = f" to {to}" if to else ""
        title = f"maildog: no attempt{target} was refused with {expected_reply} within {seconds:g} s ({self.where})"
        expected = f"an attempt{target} refused with {expected_reply}"
        attempts = self.attempts(to=to, limit=5)
        if not attempts:
            actual = [f"no attempt{target} reached the sandbox"] + self._what_arrived(limit_lines=3)
            transcript, transcript_title = self._last_session_tail(to)
            raise MaildogAssertionError(report(title, expected, actual, transcript, transcript_title))
        actual = [_attempt_line(attempt, to) for attempt in attempts]
        newest = attempts[0]
        lines = newest.transcript
        around = newest.cause_line
        if around is None and to:
            named = last_line_naming(lines, to)
            around = named + 1 if named is not None and named + 1 < len(lines) else named
        raise MaildogAssertionError(report(title, expected, actual, excerpt(lines, around),
                                           f"transcript (attempt {newest.id}, session {newest.session_id})"))

    # Failure reports ---------------------------------------------------------------------------

    def _what_arrived(self, limit_lines: int = 5) -> list[str]:
        messages = self.messages(limit=limit_lines)
        attempts = [a for a in self.attempts(limit=limit_lines) if a.status != "accepted"]
        lines = []
        if messages:
            lines.append(f"{len(messages)}{'+' if len(messages) == limit_lines else ''} other message(s):")
            lines += [f"  message {m.id} from <{m.mail_from}> to {', '.join(m.to)} subject {m.subject!r}"
                      for m in messages]
        if attempts:
            lines.append("refused attempts:")
            lines += [f"  {_attempt_line(a, None)}" for a in attempts]
        if not lines:
            sessions = self.sessions(limit=1)
            lines.append("no message and no refused attempt" + (
                "" if sessions else f": no SMTP connection reached {self.host}:{self.port} at all"))
        return lines

    def _last_session_tail(self, to: Optional[str]) -> tuple[list[str], str]:
        sessions = self.sessions(limit=1)
        if not sessions:
            return [], "transcript"
        lines = sessions[0].transcript()
        named = last_line_naming(lines, to) if to else None
        around = named + 1 if named is not None and named + 1 < len(lines) else named
        return excerpt(lines, around), f"transcript (session {sessions[0].id}, the newest)"


def _last_reply_index(lines: Sequence[Any]) -> Optional[int]:
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].direction == "server" and lines[index].text.startswith("250"):
            return index
    return None


def _attempt_line(attempt: Attempt, to: Optional[str]) -> str:
    """`attempt 4 (accepted): RCPT bob@x.test -> 250 2.1.5 Ok`, and the reply that decided it."""
    recipients = attempt.recipients
    if to:
        recipients = [r for r in recipients if to.lower() in r.address.lower()] or recipients
    parts = [f"RCPT {r.address} -> {r.reply}" for r in recipients]
    if attempt.reply is not None and (attempt.stage not in (None, "RCPT") or not parts):
        parts.append(f"{attempt.stage or 'reply'} -> {attempt.reply}")
    return f"attempt {attempt.id} ({attempt.status}): {'; '.join(parts) or 'no transaction'}"
