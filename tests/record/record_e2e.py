#!/usr/bin/python3
"""`maildog-ci record` end to end through the built binary, on loopback with real processes.

Usage: record_e2e.py BINARY CASE
  replay        an smtplib app (STARTTLS, AUTH PLAIN) -> record -> aiosmtpd (550 5.1.1, a greylisting
                451 once, STARTTLS, AUTH); the scenario validates, `run` with the same app passes,
                and the replayed transcript equals the recorded one; no credential in any file
  replay-login  the same with AUTH LOGIN (its continuation lines must be *** too)
  sigterm       without --sessions: SIGTERM after the app's session writes the scenario (exit 0)
  probe         record --probe against aiosmtpd: the client.target scenario asserts today's answers
                (550 5.1.1 for ghost@, 250 for ok@) and `run` passes with MX_PORT handed in
  refuses | stalls | garbage | endless-line | drops-mid-data
                a broken upstream (a tiny socket server): record exits 3 with a clear error, the
                app gets 421, nothing is written
Exit 77 (skipped) when aiosmtpd or openssl is missing outside CI.
"""

import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = "s3cret-Pa55-record"
DEADLINE = 60  # seconds any one step may take


def skip_or_fail(reason):
    if os.environ.get("CI") == "true":
        print(f"FAIL: {reason} (required in CI)")
        sys.exit(1)
    print(f"SKIP: {reason}")
    sys.exit(77)


def check(condition, message):
    if not condition:
        print(f"FAIL: {message}")
        sys.exit(1)


def wait_for_file(path, what):
    deadline = time.monotonic() + DEADLINE
    while not os.path.exists(path):
        check(time.monotonic() < deadline, f"{what} did not start")
        time.sleep(0.05)


def start_record(binary, workdir, upstream_port, *extra):
    out = os.path.join(workdir, "recorded.yaml")
    log = open(os.path.join(workdir, "record.log"), "w+")
    process = subprocess.Popen([binary, "record", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{upstream_port}",
                                "-o", out, "--transcript", os.path.join(workdir, "recorded.json"), *extra],
                               stdout=log, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + DEADLINE
    while True:
        log.seek(0)
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", log.read())
        if found:
            return process, int(found.group(1)), out, log
        check(process.poll() is None, "record exited before listening")
        check(time.monotonic() < deadline, "record did not start listening")
        time.sleep(0.05)


def finish(process, log):
    try:
        code = process.wait(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        check(False, "record did not stop")
    log.seek(0)
    return code, log.read()


def start_aiosmtpd(workdir):
    """The aiosmtpd upstream with a fresh certificate: (process, port, cert)."""
    if shutil.which("openssl") is None:
        skip_or_fail("openssl is missing")
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        skip_or_fail("python3-aiosmtpd is missing")
    cert, key = os.path.join(workdir, "up.pem"), os.path.join(workdir, "up.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True, timeout=DEADLINE)
    port_file = os.path.join(workdir, "upstream.port")
    upstream = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "upstream_aiosmtpd.py"), "--cert", cert,
                                 "--key", key, "--password", PASSWORD, "--port-file", port_file])
    wait_for_file(port_file, "the aiosmtpd upstream")
    return upstream, int(open(port_file).read()), cert


def sigterm(binary, workdir):
    upstream, upstream_port, cert = start_aiosmtpd(workdir)
    try:
        process, port, out, log = start_record(binary, workdir, upstream_port, "--upstream-ca", cert)
        sent = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "send_app.py"), "--to", "ok@inbox.test",
                               "--port", str(port), "--ca", out + ".ca.pem", "--user", "app", "--password", PASSWORD],
                              capture_output=True, text=True, timeout=DEADLINE)
        check(sent.returncode == 0, f"the app failed through the proxy: {sent.stdout}{sent.stderr}")
        deadline = time.monotonic() + DEADLINE
        while "session 1:" not in open(log.name).read():
            check(time.monotonic() < deadline, "the session did not end")
            time.sleep(0.05)
        process.terminate()
        code, output = finish(process, log)
        check(code == 0, f"record exited {code} on SIGTERM: {output}")
        check(os.path.exists(out) and "delivered" in open(out).read(), f"no scenario after SIGTERM: {output}")
        validated = subprocess.run([binary, "validate", out], capture_output=True, text=True, timeout=DEADLINE)
        check(validated.returncode == 0, f"the scenario does not validate: {validated.stdout}{validated.stderr}")
    finally:
        upstream.terminate()
        upstream.wait(timeout=DEADLINE)
    print("ok: sigterm")


def probe(binary, workdir):
    upstream, upstream_port, cert = start_aiosmtpd(workdir)
    out = os.path.join(workdir, "inbound.yaml")
    try:
        probed = subprocess.run([binary, "record", "--probe", f"127.0.0.1:{upstream_port}", "--upstream-ca", cert,
                                 "--rcpt", "ok@inbox.test", "--rcpt", "ghost@inbox.test", "-o", out],
                                capture_output=True, text=True, timeout=DEADLINE)
        check(probed.returncode == 0, f"the probe failed: {probed.stdout}{probed.stderr}")
        scenario = open(out).read()
        check(f'port: "${{MX_PORT:-{upstream_port}}}"' in scenario, f"the port cannot be handed in:\n{scenario}")
        check("code: 550, enhanced: \"5.1.1\"" in scenario and "User unknown in local recipient table" in scenario,
              f"the 550 5.1.1 is not asserted:\n{scenario}")
        check("starttls: true" in scenario, f"the offered STARTTLS was not used:\n{scenario}")
        ran = subprocess.run([binary, "run", out, "--no-color"], capture_output=True, text=True, timeout=DEADLINE * 2,
                             env={**os.environ, "MX_PORT": str(upstream_port)})
        check(ran.returncode == 0, f"the probe's scenario fails against the same server: {ran.stdout}{ran.stderr}")
        # A server whose answer changed fails it: the same scenario against a port nothing listens on.
        free = socket.socket()
        free.bind(("127.0.0.1", 0))
        closed_port = free.getsockname()[1]
        free.close()
        ran = subprocess.run([binary, "run", out, "--no-color"], capture_output=True, text=True, timeout=DEADLINE * 2,
                             env={**os.environ, "MX_PORT": str(closed_port)})
        check(ran.returncode == 1, f"the probe's scenario passes without its server: {ran.returncode}")
    finally:
        upstream.terminate()
        upstream.wait(timeout=DEADLINE)
    print("ok: probe")


def replay(binary, workdir, login):
    upstream, upstream_port, cert = start_aiosmtpd(workdir)
    try:
        app = ["/usr/bin/python3", os.path.join(HERE, "send_app.py"), "--to", "ok@inbox.test", "--to", "ghost@inbox.test",
               "--to", "grey@inbox.test"] + (["--auth-login"] if login else [])
        replay_app = " ".join(app) + " --port {{smtp.port}} --ca {{smtp.ca_file}} --user {{smtp.user}} --password {{smtp.password}}"
        process, port, out, log = start_record(binary, workdir, upstream_port, "--upstream-ca", cert, "--sessions", "2",
                                               "--app", replay_app)
        sent = subprocess.run(app + ["--port", str(port), "--ca", out + ".ca.pem", "--user", "app", "--password", PASSWORD],
                              capture_output=True, text=True, timeout=DEADLINE)
        check(sent.returncode == 0, f"the app failed through the proxy: {sent.stdout}{sent.stderr}")
        code, output = finish(process, log)
        check(code == 0, f"record exited {code}: {output}")
    finally:
        upstream.terminate()
        upstream.wait(timeout=DEADLINE)
    scenario = open(out).read()
    recorded = open(os.path.join(workdir, "recorded.json")).read()
    secrets = [PASSWORD, base64.b64encode(f"\0app\0{PASSWORD}".encode()).decode(), base64.b64encode(PASSWORD.encode()).decode()]
    for secret in secrets:
        for name, text in (("scenario", scenario), ("transcript", recorded), ("console", output)):
            check(secret not in text, f"a credential ({secret}) is in the {name}")
    check("AUTH PLAIN ***" in recorded or "AUTH LOGIN" in recorded, "the AUTH command is not in the transcript")
    if login:
        check(recorded.count('"text": "***"') >= 1, "AUTH LOGIN's continuation lines are not ***")
    check("match: {rcpt: grey@inbox.test, attempt: 1}" in scenario, f"no attempt rule for the greylisting:\n{scenario}")
    validated = subprocess.run([binary, "validate", out], capture_output=True, text=True, timeout=DEADLINE)
    check(validated.returncode == 0, f"the scenario does not validate: {validated.stdout}{validated.stderr}\n{scenario}")
    report = os.path.join(workdir, "run.json")
    ran = subprocess.run([binary, "run", out, "--json", report, "--seed", "1", "--no-color"], capture_output=True, text=True,
                         timeout=DEADLINE * 2, cwd=workdir)
    check(ran.returncode == 0, f"the replay failed: {ran.stdout}{ran.stderr}\n{scenario}")
    compared = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "transcript_equal.py"),
                               os.path.join(workdir, "recorded.json"), report], capture_output=True, text=True, timeout=DEADLINE)
    check(compared.returncode == 0, f"the transcripts differ: {compared.stdout}{compared.stderr}")
    print(compared.stdout.strip())


class BrokenUpstream:
    """A one-connection server that misbehaves as `mode` says."""

    def __init__(self, mode):
        self.mode = mode
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        if mode == "refuses":
            self.listener.close()  # nothing listens: connection refused
            return
        self.listener.listen(1)
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        connection, _ = self.listener.accept()
        connection.settimeout(DEADLINE)
        try:
            if self.mode == "stalls":
                time.sleep(DEADLINE)  # never greets
            elif self.mode == "garbage":
                connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            elif self.mode == "endless-line":
                connection.sendall(b"220 " + b"x" * 20000)
                time.sleep(DEADLINE)
            elif self.mode == "drops-mid-data":
                connection.sendall(b"220 broken.test ESMTP\r\n")
                reader = connection.makefile("rb")
                for reply in (b"250 broken.test\r\n", b"250 2.1.0 Ok\r\n", b"250 2.1.5 Ok\r\n", b"354 go ahead\r\n"):
                    reader.readline()
                    connection.sendall(reply)
                reader.readline()  # the first line of the message, then gone
            connection.close()
        except OSError:
            pass


def broken(binary, workdir, mode):
    upstream = BrokenUpstream(mode)
    process, port, out, log = start_record(binary, workdir, upstream.port, "--timeout", "2", "--sessions", "1")
    app = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    reader = app.makefile("rb")
    if mode == "drops-mid-data":
        check(reader.readline().startswith(b"220"), "no greeting relayed")
        for line in (b"EHLO app.test", b"MAIL FROM:<a@app.test>", b"RCPT TO:<b@inbox.test>", b"DATA"):
            app.sendall(line + b"\r\n")
            check(reader.readline()[:1] in (b"2", b"3"), f"no reply relayed to {line!r}")
        app.sendall(b"Subject: x\r\n\r\n" + b"body line\r\n" * 2000 + b".\r\n")
    reply = reader.readline()
    check(reply.startswith(b"421 4.4.2 maildog-ci record: the upstream failed"), f"the app got {reply!r}, not a 421")
    code, output = finish(process, log)
    check(code == 3, f"record exited {code}, not 3: {output}")
    expected = {"refuses": ["cannot connect"], "stalls": ["timed out"], "garbage": ["not an SMTP reply"],
                "endless-line": ["line longer than"],
                "drops-mid-data": ["connection closed", "Connection reset", "Broken pipe"]}[mode]
    check(any(e in output for e in expected) and "nothing written" in output, f"no clear error ({expected!r}) in: {output}")
    leftovers = [name for name in os.listdir(workdir) if name.startswith("recorded.yaml") and not name.endswith(".ca.pem")
                 or name.startswith("recorded.json")]
    check(not leftovers, f"files were written: {leftovers}")
    print(f"ok: {mode}: {output.strip().splitlines()[-2]}")


def main():
    binary, case = os.path.abspath(sys.argv[1]), sys.argv[2]
    workdir = tempfile.mkdtemp(prefix="maildog-record-")
    try:
        if case in ("replay", "replay-login"):
            replay(binary, workdir, login=case == "replay-login")
        elif case == "probe":
            probe(binary, workdir)
        elif case == "sigterm":
            sigterm(binary, workdir)
        else:
            broken(binary, workdir, case)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
