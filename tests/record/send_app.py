#!/usr/bin/python3
"""The app of the `maildog-ci record` tests: sends one message with smtplib over STARTTLS and AUTH,
then retries, in a new session, the recipients that got a 4xx (as a queue would).

Usage: send_app.py --port N --ca FILE --user U --password P [--auth-login] --to ADDR... [--retry-delay S]
Exit 0 when every recipient was accepted or refused for good (5xx), 1 otherwise.
"""

import argparse
import smtplib
import ssl
import sys
import time

MESSAGE = (
    "From: App <app@client.test>\r\n"
    "To: Users <users@inbox.test>\r\n"
    "Subject: recorded reset\r\n"
    "Message-ID: <recorded-1@client.test>\r\n"
    "\r\n"
    "Hello,\r\n"
    ".a line that starts with a dot (dot-stuffed on the wire)\r\n"
    "bye\r\n"
)


def send(args, recipients):
    context = ssl.create_default_context(cafile=args.ca)
    with smtplib.SMTP("127.0.0.1", args.port, local_hostname="app.client.test", timeout=20) as smtp:
        smtp.ehlo()
        smtp.starttls(context=context)
        smtp.ehlo()
        if args.auth_login:
            smtp.user, smtp.password = args.user, args.password
            smtp.auth("LOGIN", smtp.auth_login, initial_response_ok=False)
        else:
            smtp.login(args.user, args.password)
        try:
            refused = smtp.sendmail("app@client.test", recipients, MESSAGE)
        except smtplib.SMTPRecipientsRefused as error:
            refused = error.recipients
        return {address: code for address, (code, _) in refused.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--auth-login", action="store_true")
    parser.add_argument("--to", action="append", required=True)
    parser.add_argument("--retry-delay", type=float, default=0.2)
    args = parser.parse_args()
    pending = list(args.to)
    for attempt in range(3):
        refused = send(args, pending)
        pending = [address for address, code in refused.items() if 400 <= code < 500]
        for address, code in refused.items():
            print(f"{address}: refused with {code}")
        if not pending:
            print("done")
            return 0
        time.sleep(args.retry_delay)
    return 1


if __name__ == "__main__":
    sys.exit(main())
