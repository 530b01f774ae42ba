#!/usr/bin/env python3
"""A Flask web service whose password-reset endpoint queues the mail to a background worker.

POST /reset (form or JSON field `email`) returns 202 at once; a worker thread sends the mail
with smtplib over STARTTLS, verifying the server's certificate against MAILDOG_SMTP_CA_FILE.
A 5xx refusal (550 5.1.1) marks the user undeliverable and is never retried; a 4xx (451) is
retried after a short delay, a bounded number of times. GET /healthz answers 200 when ready.
"""
import argparse
import os
import queue
import smtplib
import ssl
import threading
import time
from email.message import EmailMessage

from flask import Flask, jsonify, request

app = Flask(__name__)
outbox = queue.Queue()  # the job queue: the request handler never talks SMTP itself
undeliverable = set()   # what a real app would store on the user's record
MAX_ATTEMPTS = 3
RETRY_DELAY_SECONDS = float(os.environ.get("RESET_RETRY_DELAY", "0.5"))


def log(line):
    print(line, flush=True)


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/reset")
def reset():
    email = (request.get_json(silent=True) or request.form).get("email", "")
    if "@" not in email:
        return {"error": "email is required"}, 400
    if email in undeliverable:
        return {"error": f"{email} is undeliverable"}, 409
    outbox.put(email)
    return jsonify(queued=email), 202


def tls_context():
    # Trust exactly the CA the sandbox (or, in production, the relay's operator) names, and check
    # the host name: no CERT_NONE, no fallback to plaintext.
    return ssl.create_default_context(cafile=os.environ["MAILDOG_SMTP_CA_FILE"])


def send(email):
    message = EmailMessage()
    message["From"] = "no-reply@yourdomain.test"
    message["To"] = email
    message["Subject"] = "Reset your password"
    message.set_content("Someone asked to reset your password. Follow the link to choose a new one.\n")
    host, port = os.environ["MAILDOG_SMTP_HOST"], int(os.environ["MAILDOG_SMTP_PORT"])
    with smtplib.SMTP(host, port, local_hostname="web.yourdomain.test", timeout=10) as client:
        client.starttls(context=tls_context())  # raises when the server does not offer it
        client.send_message(message)


def deliver(email):
    """One job: True when done (sent or permanently refused), False to retry later."""
    try:
        send(email)
        log(f"sent reset mail to {email}")
        return True
    except smtplib.SMTPRecipientsRefused as error:
        code, text = error.recipients[email]
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
        code, text = error.smtp_code, error.smtp_error
    except (OSError, smtplib.SMTPException) as error:
        # TLS failures (ssl.SSLError is an OSError) are retried like a dropped connection: the
        # mail is never sent in the clear.
        log(f"could not send to {email}: {type(error).__name__}: {error}")
        return False
    reply = f"{code} {text.decode(errors='replace')}"
    if code >= 500:
        undeliverable.add(email)
        log(f"marked {email} undeliverable: {reply}")
        return True
    log(f"temporary failure for {email}: {reply}")
    return False


def worker():
    while True:
        email = outbox.get()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if deliver(email):
                break
            if attempt < MAX_ATTEMPTS:
                time.sleep(RETRY_DELAY_SECONDS)
        else:
            log(f"gave up on {email} after {MAX_ATTEMPTS} attempts")
        outbox.task_done()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    threading.Thread(target=worker, daemon=True).start()
    app.run(host="127.0.0.1", port=args.port, threaded=True)
