#!/usr/bin/env python3
"""A small "invoice" sender: a multipart/mixed message with a text/plain + text/html
alternative body and a PDF attachment whose file name is not ASCII (sent RFC 2231 encoded).

It reads the SMTP server from MAILDOG_SMTP_HOST/PORT (set by maildog-ci) and prints the final
reply, so a scenario can assert both what was sent and how it was built.
"""
import argparse
import os
import smtplib
import sys
from email.message import EmailMessage

# The smallest file a PDF reader opens: enough to be a real attachment, not a placeholder.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--to", required=True)
    parser.add_argument("--sender", default="billing@yourdomain.test")
    parser.add_argument("--filename", default="Rechnung März 2026.pdf")
    return parser.parse_args()


def build_message(args):
    message = EmailMessage()
    message["From"] = args.sender
    message["To"] = args.to
    message["Subject"] = "Ihre Rechnung für März"
    message.set_content("Guten Tag,\n\nanbei Ihre Rechnung Nr. 2026-0042 über 42,00 €.\n", cte="quoted-printable")
    message.add_alternative("<p>Guten Tag,</p><p>anbei Ihre <b>Rechnung Nr. 2026-0042</b>.</p>\n",
                            subtype="html")
    # Python writes a non-ASCII file name as an RFC 2231 parameter (filename*=utf-8''...).
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename=args.filename)
    return message


def main():
    args = parse_args()
    host = os.environ["MAILDOG_SMTP_HOST"]
    port = int(os.environ["MAILDOG_SMTP_PORT"])
    with smtplib.SMTP(host, port, "app.yourdomain.test", timeout=10) as client:
        try:
            client.send_message(build_message(args))
        except smtplib.SMTPException as error:
            print(f"invoice not sent: {error}")
            return 1
    print(f"sent invoice to {args.to}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
