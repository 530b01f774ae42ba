#!/usr/bin/python3
"""The private Postfix of the record tests answers each case as a real Postfix does, checked with
swaks before anything is recorded through it: a known user is delivered (into its Maildir), an
unknown user gets 550 5.1.1, another domain 554 5.7.1 (nothing relayed), an oversized message
552 5.3.4, a greylisted recipient 450 (postgrey) and then 250 on a retry after the delay, and
STARTTLS verifies against the instance's own CA.

Usage: tests/record/postfix_upstream_cases.py   (as root; exits 77 where Postfix, postgrey or
swaks are missing, 1 in CI)
"""

from __future__ import annotations

import re
import subprocess
import sys
import time

import private_postfix
from private_postfix import DOMAIN, PrivatePostfix

SWAKS = "/usr/bin/swaks"


def swaks(mx: PrivatePostfix, to: str, *extra: str) -> str:
    result = subprocess.run(
        [SWAKS, "--server", f"127.0.0.1:{mx.port}", "--helo", "app.test", "--from", "app@sender.test",
         "--to", to, "--timeout", "20", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60, check=False)
    return result.stdout


def expect_reply(transcript: str, pattern: str, what: str, failures: list[str]) -> None:
    # swaks marks server lines with "<-" (and "<~" inside TLS), refusals with "<**" ("<~*").
    if not re.search(r"^<[-~*]*\s+" + pattern, transcript, re.MULTILINE):
        failures.append(f"{what}: no reply matching {pattern!r} in:\n{transcript}")


def main() -> int:
    private_postfix.require_tools((SWAKS,))
    private_postfix.exit_on_signals()
    failures: list[str] = []
    with PrivatePostfix() as mx:
        try:
            out = swaks(mx, f"user@{DOMAIN}")
            expect_reply(out, r"220 mx\.postfix\.test ESMTP Postfix$", "greeting", failures)
            expect_reply(out, r"250 2\.0\.0 Ok: queued as [0-9A-F]+$", "known user", failures)
            if len(mx.delivered_to("user", 1)) != 1:
                failures.append("known user: no message in its Maildir")

            out = swaks(mx, f"ghost@{DOMAIN}")
            expect_reply(out, re.escape(f"550 5.1.1 <ghost@{DOMAIN}>: Recipient address rejected: "
                                        "User unknown in virtual mailbox table"), "unknown user", failures)

            out = swaks(mx, "someone@elsewhere.test")
            expect_reply(out, re.escape("554 5.7.1 <someone@elsewhere.test>: Relay access denied"),
                         "relay", failures)

            out = swaks(mx, f"alice@{DOMAIN}", "--attach-body", "x" * (2 * private_postfix.SIZE_LIMIT))
            expect_reply(out, re.escape("552 5.3.4 Error: message file too big"), "size", failures)

            out = swaks(mx, f"grey@{DOMAIN}")
            expect_reply(out, re.escape(f"450 4.2.0 <grey@{DOMAIN}>: Recipient address rejected: Greylisted"),
                         "greylisting, first attempt", failures)
            time.sleep(private_postfix.GREYLIST_DELAY_SECONDS + 1)
            out = swaks(mx, f"grey@{DOMAIN}")
            expect_reply(out, r"250 2\.0\.0 Ok: queued as", "greylisting, retry after the delay", failures)

            out = swaks(mx, f"alice@{DOMAIN}", "--tls", "--tls-verify", "--tls-ca-path", str(mx.ca_file))
            expect_reply(out, re.escape("220 2.0.0 Ready to start TLS"), "STARTTLS", failures)
            expect_reply(out, r"250 2\.0\.0 Ok: queued as", "delivery over verified TLS", failures)

            # The unknown user, the relayed and the oversized message left nothing anywhere: only
            # the three accepted messages were delivered, each to its own Maildir.
            delivered = {user: len(mx.delivered_to(user, want)) for user, want in
                         (("user", 1), ("grey", 1), ("alice", 1))}
            if delivered != {"user": 1, "grey": 1, "alice": 1}:
                failures.append(f"deliveries: {delivered}")
            if (mx.mail_dir / "ghost").exists():
                failures.append("a Maildir was made for the unknown user")
        finally:
            log = mx.log()
            mx.remove()
    for failure in failures:
        print("FAILED: " + failure)
    if failures:
        print("--- private Postfix log\n" + log)
        return 1
    print("the private Postfix answers every case (known, unknown, relay, size, greylisting, STARTTLS)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
