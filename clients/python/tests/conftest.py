"""Helpers shared by the maildog package's tests (the fixtures themselves come from the
installed plugin, as they do for users)."""
from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Iterator, Optional

import pytest

from maildog import Server

DATA = Path(__file__).parent / "data"


def make_message(to: str, subject: str, sender: str = "app@sender.test", text: str = "hello") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    return message


def send(host: str, port: int, message: EmailMessage, ca_file: Optional[str] = None) -> None:
    """One smtplib session; STARTTLS verified against ca_file when given."""
    with smtplib.SMTP(host, port, timeout=10) as client:
        if ca_file is not None:
            client.starttls(context=ssl.create_default_context(cafile=ca_file))
        client.send_message(message)


@pytest.fixture(scope="module")
def tls_server() -> Iterator[Server]:
    """A second serve, with a --config that offers STARTTLS (the default one offers no TLS)."""
    with Server.start(config=DATA / "starttls.yaml") as server:
        yield server
