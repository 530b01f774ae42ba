"""Failures read like maildog-ci's own (expected, actual, the transcript around the reply), and
bad calls are refused with a clear error before or by serve."""
from __future__ import annotations

import os
import smtplib
import stat
import time
from pathlib import Path

import pytest

from conftest import make_message, send
from maildog import ApiError, MaildogAssertionError, MaildogError, Sandbox, Server, find_binary


def test_a_wait_that_times_out_says_what_arrived_instead(maildog: Sandbox) -> None:
    send(maildog.host, maildog.port, make_message("alice@inbox.test", "Welcome"))
    maildog.wait_for(to="alice@inbox.test")
    started = time.monotonic()
    with pytest.raises(AssertionError) as failure:
        maildog.wait_for(to="bob@inbox.test", subject="Reset", timeout=0.5)
    assert time.monotonic() - started < 10  # bounded by the timeout asked, not the socket's
    text = str(failure.value)
    assert isinstance(failure.value, MaildogAssertionError)
    lines = text.splitlines()
    assert lines[0] == (f"maildog: no message matching to=bob@inbox.test subject=Reset arrived within 0.5 s "
                        f"(sandbox {maildog.id} on {maildog.host}:{maildog.port})")
    assert lines[1] == "  expected: a message to=bob@inbox.test subject=Reset"
    assert lines[2] == "  actual:   1 other message(s):"
    assert "message " in lines[3] and "from <app@sender.test> to alice@inbox.test subject 'Welcome'" in lines[3]
    assert any(line.startswith("  transcript (session ") for line in lines)
    assert any(line.strip().upper() == "C: RCPT TO:<ALICE@INBOX.TEST>" for line in lines)
    assert any(line.strip().startswith("S: 250 2.0.0") for line in lines)


def test_a_wait_on_a_sandbox_nobody_connected_to_says_so(maildog: Sandbox) -> None:
    with pytest.raises(AssertionError) as failure:
        maildog.wait_for(to="bob@inbox.test", timeout=0.2)
    assert (f"actual:   no message and no refused attempt: no SMTP connection reached "
            f"{maildog.host}:{maildog.port} at all") in str(failure.value)


def test_assert_rejected_fails_with_the_reply_it_got_and_the_transcript(maildog: Sandbox) -> None:
    send(maildog.host, maildog.port, make_message("bob@inbox.test", "accepted after all"))
    maildog.wait_for(to="bob@inbox.test")
    with pytest.raises(AssertionError) as failure:
        maildog.assert_rejected(code=550, enhanced="5.1.1", to="bob@inbox.test", within=0.5)
    lines = str(failure.value).splitlines()
    assert lines[0].startswith("maildog: no attempt to bob@inbox.test was refused with 550 5.1.1 within 0.5 s")
    assert lines[1] == "  expected: an attempt to bob@inbox.test refused with 550 5.1.1"
    assert lines[2].startswith("  actual:   attempt ")
    assert lines[2].endswith("(accepted): RCPT bob@inbox.test -> 250 2.1.5 Recipient ok")
    assert lines[3].startswith("  transcript (attempt ")
    transcript = [line.strip() for line in lines[4:]]
    rcpt = next(i for i, line in enumerate(transcript) if line.upper() == "C: RCPT TO:<BOB@INBOX.TEST>")
    assert transcript[rcpt + 1] == "S: 250 2.1.5 Recipient ok"


def test_assert_rejected_names_the_other_reply_when_the_code_differs(maildog: Sandbox) -> None:
    maildog.reject(rcpt="bob@inbox.test", reply="451 4.7.1 Greylisted")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(maildog.host, maildog.port, make_message("bob@inbox.test", "x"))
    with pytest.raises(AssertionError) as failure:
        maildog.assert_rejected(code=550, to="bob@inbox.test", within=2)
    text = str(failure.value)
    assert "(refused): RCPT bob@inbox.test -> 451 4.7.1 Greylisted" in text
    assert "    S: 451 4.7.1 Greylisted" in text


def test_assert_no_mail_fails_naming_the_message(maildog: Sandbox) -> None:
    maildog.assert_no_mail(to="carol@inbox.test", within=0.2)
    send(maildog.host, maildog.port, make_message("carol@inbox.test", "should not be sent"))
    with pytest.raises(AssertionError) as failure:
        maildog.assert_no_mail(to="carol@inbox.test", within=2)
    text = str(failure.value)
    assert "  expected: no message to=carol@inbox.test within 2 s" in text
    assert "to carol@inbox.test subject 'should not be sent'" in text
    assert "S: 250 2.0.0" in text


@pytest.mark.parametrize("call, error", [
    (lambda box: box.reject(rcpt="a@x.test", at="rcpt_to"), "at must be one of connect, helo"),
    (lambda box: box.reject(rcpt="a@x.test", times=0), "times must be an integer >= 1"),
    (lambda box: box.reject(rcpt="a@x.test", times=True), "times must be an integer >= 1"),
    (lambda box: box.reject(rcpt="a@x.test", at="connect"), "rcpt= needs a stage with recipients"),
    (lambda box: box.wait_for(to="a@x.test", timeout=-1), "timeout must be a number of seconds >= 0"),
    (lambda box: box.assert_no_mail(within="1s"), "within must be a number of seconds >= 0"),
    (lambda box: box.assert_rejected(code=None), "assert_rejected needs code= or enhanced="),
    (lambda box: box.assert_rejected(code=250), "code must be a 4xx or 5xx reply code"),
])
def test_bad_calls_are_refused_before_any_request(maildog: Sandbox, call, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=error):
        call(maildog)


def test_bad_rules_are_refused_by_serve_with_its_reason(maildog: Sandbox) -> None:
    with pytest.raises(ApiError) as bad_reply:
        maildog.reject(rcpt="a@inbox.test", reply="hello")
    assert bad_reply.value.status == 400 and bad_reply.value.error
    assert "POST " in str(bad_reply.value) and "/rules: 400 " in str(bad_reply.value)
    with pytest.raises(ApiError) as bad_times:
        maildog.add_rule({"at": "rcpt", "reply": "550 5.1.1 x", "times": 0})
    assert bad_times.value.status == 400 and "times" in bad_times.value.error
    with pytest.raises(ApiError) as bad_list:
        maildog.rules([{"at": "nowhere", "reply": "550 5.1.1 x"}])
    assert bad_list.value.status == 400
    assert maildog.rules() == []
    with pytest.raises(TypeError):
        maildog.rules({"at": "rcpt", "reply": "550 5.1.1 x"})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        maildog.add_rule(["at", "rcpt"])  # type: ignore[arg-type]


def test_a_missing_binary_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MAILDOG_CI", str(tmp_path / "nowhere"))
    with pytest.raises(MaildogError, match="MAILDOG_CI names .*nowhere, which is not an executable file"):
        find_binary()
    monkeypatch.delenv("MAILDOG_CI")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MaildogError, match="maildog-ci is not on PATH"):
        find_binary()


def test_a_serve_that_cannot_start_shows_its_stderr(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("server:\n  tls: sometimes\n")
    with pytest.raises(MaildogError) as failure:
        Server.start(config=config, timeout=30)
    text = str(failure.value)
    assert text.startswith("maildog-ci serve exited with status ")
    assert "its stderr:" in text and "bad.yaml" in text


def test_a_serve_that_never_gets_ready_is_killed_and_reported(tmp_path: Path) -> None:
    fake = tmp_path / "maildog-ci"
    fake.write_text("#!/bin/sh\necho 'starting, slowly' >&2\nexec sleep 60\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    started = time.monotonic()
    with pytest.raises(MaildogError) as failure:
        Server.start(fake, timeout=0.5)
    assert time.monotonic() - started < 20
    assert "was not ready within 0.5 s" in str(failure.value)
    assert "starting, slowly" in str(failure.value)


def test_a_serve_that_ignores_sigterm_is_killed_and_reaped(tmp_path: Path) -> None:
    fake = tmp_path / "maildog-ci"
    # Writes a ready file as serve does, then ignores SIGTERM.
    fake.write_text("#!/bin/sh\n"
                    "trap '' TERM\n"
                    "while [ \"$1\" != --ready-file ]; do shift; done\n"
                    "echo '{\"smtp\": {\"host\": \"127.0.0.1\", \"port\": 9}, \"http\": {\"url\": "
                    "\"http://127.0.0.1:9/\"}, \"ca_file\": null, \"pid\": '$$', \"version\": \"fake\"}' > \"$2.tmp\"\n"
                    "mv \"$2.tmp\" \"$2\"\n"
                    "while :; do sleep 1; done\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    server = Server.start(fake, timeout=30)
    assert server.version == "fake"
    started = time.monotonic()
    assert server.stop(timeout=0.5) == -9  # SIGKILL after the grace
    assert time.monotonic() - started < 20
    with pytest.raises(ProcessLookupError):
        os.kill(server.pid, 0)


def test_start_and_stop_leave_no_process_and_no_ready_file() -> None:
    server = Server.start()
    folder = server.log_folder
    assert folder is not None and os.path.isfile(os.path.join(folder, "ready.json"))
    assert server.owned and server.pid > 0 and server.url.endswith("/")
    box = server.sandbox()
    send(box.host, box.port, make_message("a@inbox.test", "x"))
    box.wait_for(to="a@inbox.test")
    assert server.stop() == 0
    assert not os.path.exists(folder)
    with pytest.raises(ProcessLookupError):
        os.kill(server.pid, 0)
    assert server.stop() == 0  # idempotent
