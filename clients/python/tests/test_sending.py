"""smtplib sends into a test's sandbox; the Message has what the API keeps."""
from __future__ import annotations

import os
import smtplib
import ssl
import subprocess
import sys

import pytest

from conftest import make_message, send
from maildog import Sandbox, Server


def test_a_plain_send_arrives_with_envelope_headers_bodies_and_attachments(maildog: Sandbox) -> None:
    message = make_message("alice@inbox.test", "Your invoice", text="Total: 42 EUR")
    message.add_alternative("<p>Total: <b>42</b> EUR</p>", subtype="html")
    message.add_attachment(b"%PDF-1.4 not really", maintype="application", subtype="pdf", filename="invoice.pdf")
    send(maildog.host, maildog.port, message)

    received = maildog.wait_for(to="alice@inbox.test", subject="invoice", timeout=10)
    assert received.subject == "Your invoice"
    assert received.to == ["alice@inbox.test"]
    assert received.envelope.mail_from == "app@sender.test"
    assert received.envelope.rcpt_to == ["alice@inbox.test"]
    assert received.envelope.recipients[0].reply is not None and received.envelope.recipients[0].reply.code == 250
    assert received.header("subject") == "Your invoice"
    assert received.text is not None and "Total: 42 EUR" in received.text
    assert received.html is not None and "<b>42</b>" in received.html
    assert [(a.filename, a.content_type, a.content) for a in received.attachments] == [
        ("invoice.pdf", "application/pdf", b"%PDF-1.4 not really")]
    assert b"Subject: Your invoice" in received.raw
    assert received.email()["To"] == "alice@inbox.test"
    # No Date and no Message-ID: sender lint says so.
    assert {"missing_date", "missing_message_id"} <= {finding.name for finding in received.lint}
    assert received.auth.results == {}
    assert any(line.text.upper().startswith("RCPT TO:<ALICE@INBOX.TEST>") for line in received.transcript())

    assert [m.id for m in maildog.messages()] == [received.id]
    sessions = maildog.sessions()
    assert len(sessions) == 1 and not sessions[0].tls
    assert any("MAIL FROM:<APP@SENDER.TEST>" in line.text.upper() for line in sessions[0].transcript())


def test_a_message_without_html_or_attachments_says_so(maildog: Sandbox) -> None:
    send(maildog.host, maildog.port, make_message("bob@inbox.test", "plain"))
    received = maildog.wait_for(to="bob@inbox.test")
    assert received.html is None
    assert received.attachments == []


def test_env_hands_the_sandbox_to_a_subprocess(maildog: Sandbox) -> None:
    assert maildog.env == {"MAILDOG_SMTP_HOST": maildog.host, "MAILDOG_SMTP_PORT": str(maildog.port)}
    app = ("import os, smtplib\n"
           "with smtplib.SMTP(os.environ['MAILDOG_SMTP_HOST'], int(os.environ['MAILDOG_SMTP_PORT']), timeout=10) as s:\n"
           "    s.sendmail('app@sender.test', ['carol@inbox.test'], b'Subject: from the app\\r\\n\\r\\nhi\\r\\n')\n")
    subprocess.run([sys.executable, "-c", app], env={**os.environ, **maildog.env}, check=True, timeout=30)
    assert maildog.wait_for(to="carol@inbox.test").subject == "from the app"


def test_clear_removes_the_messages(maildog: Sandbox) -> None:
    send(maildog.host, maildog.port, make_message("dave@inbox.test", "one"))
    maildog.wait_for(to="dave@inbox.test")
    assert maildog.clear() == 1
    assert maildog.messages() == []
    maildog.assert_no_mail(to="dave@inbox.test", within=0.2)


def test_the_default_serve_offers_no_tls(maildog_server: Server, maildog: Sandbox) -> None:
    assert maildog_server.ca_file is None and maildog.ca_file is None
    assert "MAILDOG_SMTP_CA_FILE" not in maildog.env
    with smtplib.SMTP(maildog.host, maildog.port, timeout=10) as client:
        client.ehlo()
        assert not client.has_extn("starttls")


def test_starttls_is_verified_with_the_sandbox_ca_file(tls_server: Server) -> None:
    with tls_server.sandbox(name="starttls") as box:
        assert box.ca_file is not None and os.path.isfile(box.ca_file)
        assert box.env["MAILDOG_SMTP_CA_FILE"] == box.ca_file
        send(box.host, box.port, make_message("erin@inbox.test", "over TLS"), ca_file=box.ca_file)
        assert box.wait_for(to="erin@inbox.test").subject == "over TLS"
        session = box.sessions()[0]
        assert session.tls and session.tls_version
        # Without the CA the same handshake fails: the sandbox's certificate is not a public one.
        with smtplib.SMTP(box.host, box.port, timeout=10) as client:
            with pytest.raises(ssl.SSLCertVerificationError):
                client.starttls(context=ssl.create_default_context())
    assert box.id not in [info["id"] for info in tls_server.sandboxes()]


def test_a_deleted_sandbox_stops_listening(maildog_server: Server) -> None:
    box = maildog_server.sandbox(name="deleted")
    send(box.host, box.port, make_message("frank@inbox.test", "before"))
    box.wait_for(to="frank@inbox.test")
    box.delete()
    assert box.id not in [info["id"] for info in maildog_server.sandboxes()]
    with pytest.raises(OSError):
        send(box.host, box.port, make_message("frank@inbox.test", "after"))
    box.delete()  # idempotent
