#!/usr/bin/env python3
"""A hand-rolled SMTP sender with the mistakes sender lint reports.

It writes the message itself instead of using a mail library, so one body line ends in a bare
LF, one line is 1200 characters long (RFC 5322 allows 998) and there is no Message-ID field.
It reads the server from MAILDOG_SMTP_HOST/PORT (set by maildog-ci) and exits 0 when the
message was accepted.
"""
import argparse
import os
import socket
import sys


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--to", required=True, help="recipient")
    parser.add_argument("--sender", default="reports@yourdomain.test")
    return parser.parse_args()


def message(sender, recipient):
    return (
        f"From: Reports <{sender}>\r\n"
        f"To: {recipient}\r\n"
        "Subject: Weekly report\r\n"
        "Date: Sun, 29 Nov 2026 10:00:00 +0000\r\n"
        "\r\n"
        "Totals below.\n"  # a bare LF: the line was built with "\n"
        + "x" * 1200 + "\r\n"
        "End of report.\r\n"
    ).encode()


class Connection:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.reader = self.sock.makefile("rb")

    def reply(self):
        """The reply's code; the last line of a multi-line reply has a space after the code."""
        while True:
            line = self.reader.readline()
            if not line:
                raise ConnectionError("the server closed the connection")
            if line[3:4] != b"-":
                return int(line[:3]), line.decode(errors="replace").strip()

    def command(self, text, wanted):
        self.sock.sendall(text.encode() + b"\r\n")
        code, line = self.reply()
        if code != wanted:
            raise RuntimeError(f"{text.split(':')[0]}: {line}")
        return line


def main():
    args = parse_args()
    connection = Connection(os.environ["MAILDOG_SMTP_HOST"], int(os.environ["MAILDOG_SMTP_PORT"]))
    try:
        connection.reply()
        connection.command("EHLO reports.yourdomain.test", 250)
        connection.command(f"MAIL FROM:<{args.sender}>", 250)
        connection.command(f"RCPT TO:<{args.to}>", 250)
        connection.command("DATA", 354)
        connection.sock.sendall(message(args.sender, args.to) + b".\r\n")
        code, line = connection.reply()
        connection.command("QUIT", 221)
    except (OSError, RuntimeError) as error:
        print(f"send failed: {error}")
        return 1
    print(f"final reply: {line}")
    return 0 if code == 250 else 1


if __name__ == "__main__":
    sys.exit(main())
