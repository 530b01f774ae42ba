#!/usr/bin/python3
"""An aiosmtpd upstream for the `maildog-ci record` tests: STARTTLS and AUTH (PLAIN, LOGIN; user
`app`, the password given), 550 5.1.1 for ghost@inbox.test, a greylisting 451 4.7.1 the first time
it sees grey@inbox.test, 250 with a queue id after DATA.

Usage: upstream_aiosmtpd.py --cert CERT --key KEY --password PW --port-file FILE
Writes the port it listens on (127.0.0.1, a free port) to FILE, then serves until SIGTERM.
"""

import argparse
import os
import secrets
import signal
import socket
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, SMTP


class Handler:
    def __init__(self):
        self.greylisted = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == "ghost@inbox.test":
            return "550 5.1.1 <ghost@inbox.test>: Recipient address rejected: User unknown in local recipient table"
        if address == "grey@inbox.test" and address not in self.greylisted:
            self.greylisted.add(address)
            return "451 4.7.1 <grey@inbox.test>: Recipient address rejected: Greylisted, see https://postgrey.test"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        envelope.mail_from = address
        return "250 2.1.0 Ok"

    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 Ok: queued as " + secrets.token_hex(5).upper()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"app" and auth_data.password == args.password.encode()
        return AuthResult(success=ok)

    class Upstream(Controller):
        def factory(self):
            return SMTP(self.handler, hostname="mx.upstream.test", ident="Upstream ESMTP",
                        tls_context=context, require_starttls=False, auth_require_tls=True,
                        authenticator=authenticate, auth_exclude_mechanism=["CRAM-MD5"])

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Upstream(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    temporary = args.port_file + ".tmp"
    with open(temporary, "w") as out:
        out.write(str(port))
    os.rename(temporary, args.port_file)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
