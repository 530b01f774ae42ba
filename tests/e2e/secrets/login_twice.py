#!/usr/bin/env python3
"""Logs in to the sandbox with AUTH PLAIN, then with AUTH LOGIN, and sends a message after each.

A careless app on purpose, for tests/e2e/test_secrets.cpp: it prints the password it uses,
smtplib's debug output (the AUTH payloads in base64) goes to stderr, and each message carries
the password in a header and in its body. maildog-ci must mask all of it in its reports.
"""
import os
import smtplib
import sys
from email.message import EmailMessage


def send_after_login(host, port, user, password, mechanism):
    with smtplib.SMTP(host, port, "app.test", timeout=10) as client:
        client.set_debuglevel(1)
        client.ehlo()
        client.user, client.password = user, password
        try:
            client.auth(mechanism, getattr(client, "auth_" + mechanism.lower()))
        except smtplib.SMTPAuthenticationError as error:
            print(f"AUTH {mechanism} refused: {error.smtp_code}")
            return False
        message = EmailMessage()
        message["From"] = "app@yourdomain.test"
        message["To"] = "user@inbox.test"
        message["Subject"] = f"sent after AUTH {mechanism}"
        message["X-App-Password"] = password
        message.set_content(f"logged in as {user} with {password}\n")
        client.send_message(message)
        print(f"sent after AUTH {mechanism}")
        return True


def main():
    host = os.environ["MAILDOG_SMTP_HOST"]
    port = int(os.environ["MAILDOG_SMTP_PORT"])
    user = os.environ["MAILDOG_SMTP_USER"]
    password = os.environ["MAILDOG_SMTP_PASSWORD"]
    print(f"logging in as {user} with password {password}")
    results = [send_after_login(host, port, user, password, mechanism) for mechanism in ("PLAIN", "LOGIN")]
    return 0 if all(results) else 2


if __name__ == "__main__":
    sys.exit(main())
