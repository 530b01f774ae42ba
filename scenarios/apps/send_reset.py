#!/usr/bin/env python3
"""A small "password reset" sender, the kind of app maildog-ci tests.

It reads the SMTP server from MAILDOG_SMTP_HOST/PORT/TLS/USER/PASSWORD (set by maildog-ci),
uses STARTTLS and AUTH when offered, and handles refusals the way a well-behaved app should:
a permanent refusal (5xx) marks the recipient undeliverable and is never retried; a temporary
one (4xx) is retried a bounded number of times. It verifies the server's certificate against
MAILDOG_SMTP_CA_FILE (the run's CA, set by maildog-ci), and a certificate it cannot verify
stops it: nothing is sent, and never in the clear instead.
"""
import argparse
import os
import smtplib
import socket
import ssl
import sys
import time
from email.message import EmailMessage


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--to", action="append", required=True, help="recipient (repeatable)")
    parser.add_argument("--sender", default="no-reply@yourdomain.test")
    parser.add_argument("--envelope-from", help="MAIL FROM address, as an ESP's bounce domain (default: --sender)")
    parser.add_argument("--subject", default="Reset your password")
    parser.add_argument("--retries", type=int, default=3, help="attempts for temporary failures")
    parser.add_argument("--retry-delay", type=float, default=0.2, help="seconds between attempts")
    parser.add_argument("--body-size", type=int, default=0, help="pad the body to this many bytes")
    return parser.parse_args()


def build_message(args, recipients):
    message = EmailMessage()
    message["From"] = args.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = args.subject
    body = "Someone asked to reset your password. Follow the link to choose a new one.\n"
    if args.body_size > len(body):
        line = "x" * 76 + "\n"
        body += line * ((args.body_size - len(body)) // len(line) + 1)
    message.set_content(body)
    return message


def send_once(message, sender, recipients):
    """Returns the recipients refused permanently and those refused temporarily."""
    host = os.environ["MAILDOG_SMTP_HOST"]
    port = int(os.environ["MAILDOG_SMTP_PORT"])
    tls = os.environ.get("MAILDOG_SMTP_TLS", "none")
    user = os.environ.get("MAILDOG_SMTP_USER", "")
    password = os.environ.get("MAILDOG_SMTP_PASSWORD", "")
    # Verified as in production: the chain up to the CA file, and the host name (or address).
    context = ssl.create_default_context(cafile=os.environ.get("MAILDOG_SMTP_CA_FILE") or None)
    # An explicit local_hostname spares smtplib a reverse DNS lookup of this machine.
    local_hostname = "app.yourdomain.test"
    if tls == "implicit":
        client = smtplib.SMTP_SSL(host, port, local_hostname, timeout=10, context=context)
    else:
        client = smtplib.SMTP(host, port, local_hostname, timeout=10)
    with client:
        client.ehlo()
        if tls in ("starttls", "required") and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        if user and client.has_extn("auth"):
            client.login(user, password)
        try:
            refused = client.send_message(message, from_addr=sender, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as error:
            refused = error.recipients
    permanent = [r for r, (code, _) in refused.items() if code >= 500]
    temporary = [r for r, (code, _) in refused.items() if 400 <= code < 500]
    return permanent, temporary


def main():
    args = parse_args()
    pending = list(args.to)
    for attempt in range(1, args.retries + 1):
        message = build_message(args, pending)
        try:
            permanent, temporary = send_once(message, args.envelope_from or args.sender, pending)
        except smtplib.SMTPAuthenticationError as error:
            print(f"authentication failed: {error.smtp_code} {error.smtp_error.decode(errors='replace')}")
            return 2
        except smtplib.SMTPSenderRefused as error:
            print(f"sender refused: {error.smtp_code} {error.smtp_error.decode(errors='replace')}")
            return 3 if error.smtp_code >= 500 else 4
        except ssl.SSLCertVerificationError as error:
            # The server is not who it claims to be: retrying, or sending in the clear, would
            # hand the reset link to whoever answered.
            print(f"certificate rejected: {error.verify_message}")
            return 7
        except (smtplib.SMTPServerDisconnected, ConnectionError, ssl.SSLError, socket.timeout) as error:
            # A dropped connection says nothing about the message: retry it all, as a 4xx.
            print(f"connection failed: {type(error).__name__}: {error}")
            permanent, temporary = [], pending
        except smtplib.SMTPDataError as error:
            print(f"message refused: {error.smtp_code} {error.smtp_error.decode(errors='replace')}")
            if error.smtp_code >= 500:
                return 5
            permanent, temporary = [], pending
        for recipient in permanent:
            print(f"marked {recipient} undeliverable")
        delivered = [r for r in pending if r not in permanent and r not in temporary]
        for recipient in delivered:
            print(f"sent reset mail to {recipient}")
        pending = temporary
        if not pending:
            return 0
        print(f"attempt {attempt}: temporary failure for {', '.join(pending)}; retrying")
        time.sleep(args.retry_delay)
    print(f"gave up on {', '.join(pending)} after {args.retries} attempts")
    return 6


if __name__ == "__main__":
    sys.exit(main())
