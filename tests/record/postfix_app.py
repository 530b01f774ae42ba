#!/usr/bin/python3
"""The app of the record tests: sends one message with smtplib to MAILDOG_SMTP_HOST:PORT (the
recording proxy while recording, the sandbox when the recorded scenario runs), the same command
both times. A 4xx for a recipient is retried in a new session after --retry-delay seconds, up to
--attempts times (greylisting); a 5xx is reported and not retried. With --starttls it upgrades
and verifies the server against MAILDOG_SMTP_CA_FILE when that is set. It exits 0 whatever the
server answered (a refusal is an outcome the app handles), 1 only when it could not talk SMTP.

Usage: postfix_app.py --to ADDR [--from ADDR] [--body-size N] [--starttls] [--attempts N] [--retry-delay S]
"""

from __future__ import annotations

import argparse
import os
import smtplib
import ssl
import sys
import time
from email.message import EmailMessage


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--to", required=True)
    parser.add_argument("--from", dest="sender", default="app@sender.test")
    parser.add_argument("--body-size", type=int, default=0)
    parser.add_argument("--starttls", action="store_true")
    parser.add_argument("--attempts", type=int, default=1)
    parser.add_argument("--retry-delay", type=float, default=2.0)
    return parser.parse_args()


def message(args: argparse.Namespace) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = args.sender
    msg["To"] = args.to
    msg["Subject"] = "Your order has shipped"
    msg.set_content("Your parcel is on its way.\n" + "x" * args.body_size + "\n")
    return msg


def attempt(args: argparse.Namespace) -> int:
    """One session; returns the reply code that decided the recipient's fate."""
    host = os.environ["MAILDOG_SMTP_HOST"]
    port = int(os.environ["MAILDOG_SMTP_PORT"])
    # An explicit local name spares smtplib a reverse lookup of this machine.
    with smtplib.SMTP(host, port, "app.sender.test", timeout=20) as client:
        client.ehlo()
        if args.starttls:
            ca_file = os.environ.get("MAILDOG_SMTP_CA_FILE")
            context = ssl.create_default_context(cafile=ca_file) if ca_file else None
            client.starttls(context=context)
            client.ehlo()
        try:
            client.send_message(message(args), from_addr=args.sender, to_addrs=[args.to])
        except smtplib.SMTPRecipientsRefused as error:
            code, text = error.recipients[args.to]
            print(f"recipient refused: {code} {text.decode(errors='replace')}")
            return code
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            print(f"message refused: {error.smtp_code} {error.smtp_error.decode(errors='replace')}")
            return error.smtp_code
    print(f"sent to {args.to}")
    return 250


def main() -> int:
    args = parse_args()
    try:
        for number in range(1, args.attempts + 1):
            code = attempt(args)
            if not 400 <= code < 500 or number == args.attempts:
                return 0
            print(f"attempt {number}: temporary failure; retrying in {args.retry_delay:g} s")
            time.sleep(args.retry_delay)
    except (OSError, smtplib.SMTPException) as error:
        print(f"could not talk SMTP: {type(error).__name__}: {error}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
