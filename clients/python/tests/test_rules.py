"""Scripted rejections per test: .reject with times, single rules added and removed, the list
replaced, and a sandbox's rules never reaching another sandbox."""
from __future__ import annotations

import smtplib

import pytest

from conftest import make_message, send
from maildog import ApiError, Sandbox, Server


def test_reject_refuses_the_next_rcpt_only_then_accepts(maildog: Sandbox) -> None:
    rule_id = maildog.reject(rcpt="bob@inbox.test", reply="550 5.1.1 No such user")
    assert [(r["id"], r["times_left"]) for r in maildog.rules()] == [(rule_id, 1)]

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(maildog.host, maildog.port, make_message("bob@inbox.test", "first"))
    assert refused.value.recipients == {"bob@inbox.test": (550, b"5.1.1 No such user")}
    attempt = maildog.assert_rejected(code=550, enhanced="5.1.1", to="bob@inbox.test")
    assert attempt.status == "refused" and attempt.reply is not None and attempt.reply.enhanced == "5.1.1"
    assert maildog.rules()[0]["times_left"] == 0

    send(maildog.host, maildog.port, make_message("bob@inbox.test", "second"))
    assert maildog.wait_for(to="bob@inbox.test").subject == "second"
    assert [m.subject for m in maildog.messages()] == ["second"]


def test_fail_twice_with_451_then_accept_across_reconnects(maildog: Sandbox) -> None:
    maildog.reject(rcpt="carol@inbox.test", reply="451 4.7.1 Try again later", times=2)
    for _ in range(2):
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            send(maildog.host, maildog.port, make_message("carol@inbox.test", "retry"))
        assert refused.value.recipients["carol@inbox.test"][0] == 451
    send(maildog.host, maildog.port, make_message("carol@inbox.test", "retry"))
    maildog.wait_for(to="carol@inbox.test")
    assert len(maildog.attempts(code=451, to="carol@inbox.test")) == 2
    # Other recipients were never matched by the rule.
    send(maildog.host, maildog.port, make_message("dave@inbox.test", "other"))
    maildog.wait_for(to="dave@inbox.test")


def test_a_rule_with_no_times_refuses_until_removed(maildog: Sandbox) -> None:
    rule_id = maildog.reject(rcpt="*@blocked.test", at="rcpt", times=None)
    assert "times" not in maildog.rules()[0]
    for _ in range(3):
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send(maildog.host, maildog.port, make_message("x@blocked.test", "no"))
    maildog.remove_rule(rule_id)
    assert maildog.rules() == []
    send(maildog.host, maildog.port, make_message("x@blocked.test", "yes"))
    maildog.wait_for(to="x@blocked.test", subject="yes")
    with pytest.raises(ApiError) as missing:
        maildog.remove_rule(rule_id)
    assert missing.value.status == 404


def test_a_rule_added_mid_session_answers_the_next_transaction(maildog: Sandbox) -> None:
    with smtplib.SMTP(maildog.host, maildog.port, timeout=10) as client:
        client.sendmail("app@sender.test", ["erin@inbox.test"], b"Subject: one\r\n\r\nhi\r\n")
        maildog.reject(at="mail", mail_from="app@sender.test", reply="550 5.7.1 Sender blocked")
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("app@sender.test", ["erin@inbox.test"], b"Subject: two\r\n\r\nhi\r\n")
        assert refused.value.smtp_code == 550
    maildog.assert_rejected(code=550, enhanced="5.7.1")
    assert [m.subject for m in maildog.messages()] == ["one"]


def test_rules_replaces_the_whole_list_with_new_ids(maildog: Sandbox) -> None:
    first = maildog.reject(rcpt="a@inbox.test")
    replaced = maildog.rules([
        {"at": "rcpt", "match": {"rcpt": "b@inbox.test"}, "reply": "550 5.1.1 gone", "times": 2},
        {"at": "rcpt", "match": {"rcpt": "c@inbox.test"}, "reply": "452 4.2.2 Mailbox full"},
    ])
    assert [r["match"]["rcpt"] for r in replaced] == ["b@inbox.test", "c@inbox.test"]
    assert first not in [r["id"] for r in replaced]
    assert replaced[0]["times_left"] == 2
    assert maildog.rules() == replaced
    # a@ is accepted again, c@ is refused with the replaced list's reply.
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        with smtplib.SMTP(maildog.host, maildog.port, timeout=10) as client:
            client.sendmail("app@sender.test", ["c@inbox.test"], b"Subject: x\r\n\r\nhi\r\n")
    assert refused.value.recipients["c@inbox.test"][0] == 452
    send(maildog.host, maildog.port, make_message("a@inbox.test", "a again"))
    maildog.wait_for(to="a@inbox.test")
    assert maildog.rules([]) == []


def test_a_rejection_in_one_sandbox_never_reaches_another(maildog_server: Server, maildog: Sandbox) -> None:
    maildog.reject(rcpt="bob@inbox.test", times=None)
    other = maildog_server.sandbox(name="the other one")
    try:
        assert other.port != maildog.port and other.rules() == []
        send(other.host, other.port, make_message("bob@inbox.test", "in the other"))
        assert other.wait_for(to="bob@inbox.test").subject == "in the other"
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send(maildog.host, maildog.port, make_message("bob@inbox.test", "in this one"))
        maildog.assert_no_mail(to="bob@inbox.test", within=0.2)
        assert other.attempts(status="refused") == []
    finally:
        other.delete()


def test_a_sandbox_created_with_rules_starts_with_them(maildog_server: Server) -> None:
    box = maildog_server.sandbox(rules=[{"at": "rcpt", "match": {"rcpt": "z@inbox.test"},
                                         "reply": "550 5.1.1 nobody", "times": 1}])
    try:
        assert [r["times_left"] for r in box.rules()] == [1]
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send(box.host, box.port, make_message("z@inbox.test", "x"))
        box.assert_rejected(enhanced="5.1.1", to="z@inbox.test", code=None)
    finally:
        box.delete()
