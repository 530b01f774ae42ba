#!/usr/bin/env python3
"""The sample app of the bounce corpus test: sends one message through the sandbox and writes
down the reply that refused it and the stage it came at.

It sends to every --to in one transaction, speaking SMTP step by step (connect, EHLO, MAIL, RCPT, DATA, the final dot) so it knows which
command each reply answered; a temporary refusal (4xx) is tried once more, as a mail queue would,
and a permanent one (5xx) never. It writes "STAGE<TAB>CODE MESSAGE" (the first refusal, lines
joined by spaces) or "delivered" to --report, and always exits 0: the scenario's expectations,
not the app, judge what happened.
"""
import argparse
import os
import smtplib
import ssl
import sys


class Refused(Exception):
    def __init__(self, stage, code, message):
        super().__init__(stage)
        self.stage = stage
        self.code = code
        self.message = message


def text_of(message):
    if isinstance(message, bytes):
        message = message.decode("utf-8", errors="replace")
    return " ".join(message.split())


def check(stage, reply, accepted):
    code, message = reply
    if code not in accepted:
        raise Refused(stage, code, text_of(message))


def send_once(args):
    host = os.environ["MAILDOG_SMTP_HOST"]
    port = int(os.environ["MAILDOG_SMTP_PORT"])
    client = smtplib.SMTP(timeout=10)
    try:
        check("connect", client.connect(host, port), (220,))
        check("helo", client.ehlo("app.sender.test"), (250,))
        if os.environ.get("MAILDOG_SMTP_TLS", "none") in ("starttls", "required") and client.has_extn("starttls"):
            context = ssl.create_default_context(cafile=os.environ.get("MAILDOG_SMTP_CA_FILE") or None)
            client.starttls(context=context)
            check("helo", client.ehlo("app.sender.test"), (250,))
        check("mail", client.mail(args.sender), (250,))
        refusal = None
        accepted = []
        for recipient in args.to:
            try:
                check("rcpt", client.rcpt(recipient), (250, 251))
                accepted.append(recipient)
            except Refused as refused:
                refusal = refusal or refused
        if not accepted:
            raise refusal
        client.putcmd("data")
        check("data", client.getreply(), (354,))
        message = (
            f"From: {args.sender}\r\nTo: {', '.join(args.to)}\r\nSubject: bounce corpus\r\n"
            "Message-ID: <corpus@sender.test>\r\n\r\nA message for the bounce corpus test.\r\n"
        )
        client.send(message.encode() + b".\r\n")
        check("end_of_data", client.getreply(), (250,))
        client.quit()
        if refusal:
            raise refusal
    finally:
        client.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--to", action="append", required=True, help="recipient (repeatable)")
    parser.add_argument("--sender", required=True)
    parser.add_argument("--report", required=True)
    args = parser.parse_args()
    outcome = "delivered"
    for _attempt in range(2):
        try:
            send_once(args)
            outcome = "delivered"
            break
        except Refused as refused:
            if outcome == "delivered":
                outcome = f"{refused.stage}\t{refused.code} {refused.message}"
            if refused.code >= 500:
                break
        except (smtplib.SMTPException, OSError) as error:
            outcome = f"error\t{type(error).__name__}: {error}"
            break
    with open(args.report, "w", encoding="utf-8") as report:
        report.write(outcome + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
