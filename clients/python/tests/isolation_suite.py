"""Run by test_isolation.py with `pytest -n 2`, never collected on its own: tests in two xdist
workers send to the SAME address at the same time, and each must see only its own mail.

MAILDOG_ISOLATION_DIR is a folder the tests of both workers share: each writes a marker once its
mail has arrived, and waits (bounded) for a marker of the other worker before looking, so the
two workers' sandboxes hold mail at the same moment; each records serve's pid and its worker.
"""
from __future__ import annotations

import json
import os
import smtplib
import time
from pathlib import Path

import pytest

from maildog import Sandbox, Server

SHARED = "shared@inbox.test"
FOLDER = Path(os.environ["MAILDOG_ISOLATION_DIR"])
# The other worker's first test is running within a second or two; this only bounds a hang.
OVERLAP_WAIT = 20.0


@pytest.mark.parametrize("index", range(6))
def test_each_test_sees_only_its_own_mail(maildog_server: Server, maildog: Sandbox, index: int,
                                          worker_id: str) -> None:
    token = f"from test {index} in {worker_id}"
    with smtplib.SMTP(maildog.host, maildog.port, timeout=10) as client:
        client.sendmail("app@sender.test", [SHARED], f"Subject: {token}\r\n\r\n{token}\r\n".encode())
    assert maildog.wait_for(to=SHARED, timeout=10).subject == token

    (FOLDER / f"{worker_id}-{index}.json").write_text(json.dumps(
        {"worker": worker_id, "serve_pid": maildog_server.pid, "sandbox": maildog.id, "port": maildog.port}))
    deadline = time.monotonic() + OVERLAP_WAIT
    while time.monotonic() < deadline and not any(
            not marker.name.startswith(worker_id + "-") for marker in FOLDER.glob("*.json")):
        time.sleep(0.02)

    messages = maildog.messages(to=SHARED)
    assert [m.subject for m in messages] == [token]
    assert [a.subject for a in maildog.attempts()] == [token]
    assert len(maildog.sessions()) == 1
