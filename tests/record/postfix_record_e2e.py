#!/usr/bin/python3
"""`maildog-ci record` against a real Postfix, end to end through the built binary.

For each case an app (swaks, or postfix_app.py with smtplib; for greylisting one that retries) sends
through `maildog-ci record` to the private Postfix of private_postfix.py; record writes the scenario
and its transcript; `maildog-ci run` of that scenario with the same app passes, and its transcript
equals the recorded one after normalisation (host names, ports, queue ids, times only:
transcript_equal.py). Cases: a normal delivery, an unknown user (550 5.1.1), relaying denied
(554 5.7.1), a message over the size limit (552 5.3.4), greylisting (postgrey's 450, then 250 on
the retry), and a delivery over STARTTLS (the proxy's TLS to the app, verified TLS to Postfix with
--upstream-ca). Then `record --probe` against the private Postfix writes a client.target scenario
that passes when run against it.

Usage: tests/record/postfix_record_e2e.py MAILDOG_CI_BINARY [CASE...]
(as root; exits 77 where Postfix, postgrey or swaks are missing, 1 in CI)
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
import queue
import shlex
import subprocess
import sys
import tempfile
import threading
import time

import private_postfix
from private_postfix import DOMAIN, PrivatePostfix

HERE = pathlib.Path(__file__).resolve().parent
SWAKS = "/usr/bin/swaks"
PYTHON = "/usr/bin/python3"
SEND_APP = f"{PYTHON} {shlex.quote(str(HERE / 'postfix_app.py'))}"
# The body of every message the apps send: it must never reach a scenario file.
BODY_MARK = "Your parcel is on its way"


@dataclasses.dataclass
class Case:
    name: str
    app: str                 # a shell command; finds the server in MAILDOG_SMTP_HOST/PORT or {{smtp.*}}
    sessions: int            # app sessions record waits for
    recorded: list[str]      # patterns every one of which a recorded server line must match
    delivered_to: str = ""   # the Postfix user whose Maildir gets the message, if any


CASES = [
    Case("delivery", f'{SWAKS} --server {{{{smtp.host}}}}:{{{{smtp.port}}}} --helo app.sender.test '
                     f'--from app@sender.test --to user@{DOMAIN} --body "{BODY_MARK}"',
         1, [r"^220 mx\.postfix\.test ESMTP Postfix$", r"^250 2\.0\.0 Ok: queued as \w+$"], "user"),
    Case("unknown-user", f"{SEND_APP} --to ghost@{DOMAIN}", 1,
         [rf"^550 5\.1\.1 <ghost@{DOMAIN}>: Recipient address rejected: User unknown in virtual mailbox table$"]),
    Case("relay-denied", f"{SEND_APP} --to someone@elsewhere.test", 1,
         [r"^554 5\.7\.1 <someone@elsewhere\.test>: Relay access denied$"]),
    # smtplib announces the size (MAIL FROM:<...> SIZE=N), so Postfix refuses at MAIL.
    Case("size", f"{SEND_APP} --to alice@{DOMAIN} --body-size {3 * private_postfix.SIZE_LIMIT}", 1,
         [r"^552 5\.3\.4 Message size exceeds fixed limit$"]),
    Case("greylisting", f"{SEND_APP} --to grey@{DOMAIN} --attempts 2 "
                        f"--retry-delay {private_postfix.GREYLIST_DELAY_SECONDS + 1}", 2,
         [rf"^450 4\.2\.0 <grey@{DOMAIN}>: Recipient address rejected: Greylisted", r"^250 2\.0\.0 Ok: queued as"],
         "grey"),
    Case("starttls", f"{SEND_APP} --to alice@{DOMAIN} --starttls", 1,
         [r"^250[- ]STARTTLS$", r"^220 2\.0\.0 Ready to start TLS$", r"^250 2\.0\.0 Ok: queued as"], "alice"),
]


class Failed(Exception):
    pass


class LineReader:
    """The lines a process prints, read by a thread, so that every wait on them is bounded."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen = ""
        threading.Thread(target=self._pump, args=(process.stdout,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def until(self, pattern: str, timeout: float) -> re.Match:
        """Waits until a line matches PATTERN (bounded); the lines before it are in `seen`."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen += line
            match = re.search(pattern, line)
            if match:
                return match
        raise Failed(f"record did not print {pattern!r} within {timeout:.0f} s; it printed:\n{self.seen}")

    def rest(self, timeout: float) -> str:
        """Everything else it prints, until it closes its output (bounded)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen += line
        return self.seen


def app_env(port: int, ca_file: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILDOG_")}
    env.update(MAILDOG_SMTP_HOST="127.0.0.1", MAILDOG_SMTP_PORT=str(port))
    if ca_file:
        env["MAILDOG_SMTP_CA_FILE"] = ca_file
    return env


def server_lines(transcript_json: pathlib.Path) -> list[str]:
    import json
    data = json.loads(transcript_json.read_text())
    return [entry["text"] for session in data["sessions"] for entry in session["transcript"]
            if entry["dir"] == "server"]


def record_case(binary: str, mx: PrivatePostfix, case: Case, work: pathlib.Path) -> None:
    scenario = work / f"{case.name}.yaml"
    recorded = work / f"{case.name}.recorded.json"
    record = subprocess.Popen(
        [binary, "record", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{mx.port}",
         "--upstream-tls", "starttls", "--upstream-ca", str(mx.ca_file), "-o", str(scenario),
         "--sessions", str(case.sessions), "--app", case.app, "--transcript", str(recorded),
         "--timeout", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    try:
        output = LineReader(record)
        listening = output.until(r"listening on 127\.0\.0\.1:(\d+)", 20)
        ca_match = output.until(r"MAILDOG_SMTP_CA_FILE=(\S+)", 10)
        port = listening.group(1)
        # The templates a scenario's app.run gets, filled in here as `maildog-ci run` does.
        command = case.app.replace("{{smtp.host}}", "127.0.0.1").replace("{{smtp.port}}", port)
        app = subprocess.run(["/bin/sh", "-c", command], env=app_env(int(port), ca_match.group(1)),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120,
                             check=False)
        if app.returncode != 0:
            raise Failed(f"the app exited {app.returncode} while recording:\n{app.stdout}")
        record.wait(timeout=60)
    finally:
        if record.poll() is None:
            record.kill()
            record.wait(timeout=10)
    printed = output.rest(10)
    if record.returncode != 0:
        raise Failed(f"record exited {record.returncode}:\n{printed}")
    if not scenario.is_file() or not recorded.is_file():
        raise Failed(f"record wrote no scenario or transcript:\n{printed}")

    # The recording holds what Postfix really answered in this case.
    lines = server_lines(recorded)
    for pattern in case.recorded:
        if not any(re.search(pattern, line) for line in lines):
            raise Failed(f"no recorded reply matches {pattern!r}; recorded server lines:\n" + "\n".join(lines))
    # The body is never written without --keep-bodies (where the app's own command line does not
    # carry it, as swaks's --body does).
    for written in [recorded] + ([scenario] if BODY_MARK not in case.app else []):
        if BODY_MARK in written.read_text():
            raise Failed(f"the message body is in {written} (bodies are kept only with --keep-bodies)")
    if case.delivered_to and not mx.delivered_to(case.delivered_to, 1):
        raise Failed(f"Postfix did not deliver to {case.delivered_to}@{DOMAIN} through the proxy")


def replay_case(binary: str, case: Case, work: pathlib.Path) -> None:
    scenario = work / f"{case.name}.yaml"
    report = work / f"{case.name}.run.json"
    run = subprocess.run([binary, "run", str(scenario), "--json", str(report), "--no-color", "--seed", "1"],
                         env=app_env(0, None), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=180, check=False)
    if run.returncode != 0:
        raise Failed(f"maildog-ci run of the recorded scenario exited {run.returncode}:\n{run.stdout}\n"
                     f"--- {scenario.name}\n{scenario.read_text()}")
    compare = subprocess.run([PYTHON, str(HERE / "transcript_equal.py"), str(work / f"{case.name}.recorded.json"),
                              str(report)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             timeout=60, check=False)
    if compare.returncode != 0:
        raise Failed(f"the replayed transcript differs from the recorded one:\n{compare.stdout}")


def probe(binary: str, mx: PrivatePostfix, work: pathlib.Path) -> None:
    scenario = work / "probe.yaml"
    rcpts = [f"user@{DOMAIN}", f"ghost@{DOMAIN}", "someone@elsewhere.test"]
    # STARTTLS when offered (Postfix offers it), verified against the instance's own CA.
    args = [binary, "record", "--probe", f"127.0.0.1:{mx.port}", "--mail-from", "probe@sender.test",
            "--upstream-ca", str(mx.ca_file), "-o", str(scenario)]
    for rcpt in rcpts:
        args += ["--rcpt", rcpt]
    made = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120,
                          check=False)
    if made.returncode != 0 or not scenario.is_file():
        raise Failed(f"record --probe exited {made.returncode}:\n{made.stdout}")
    text = scenario.read_text()
    for expected in ("5.1.1", "User unknown in virtual mailbox table", "5.7.1", "Relay access denied"):
        if expected not in text:
            raise Failed(f"the probe scenario does not assert {expected!r}:\n{text}")
    env = app_env(0, None)
    env["MX_PORT"] = str(mx.port)
    run = subprocess.run([binary, "run", str(scenario), "--no-color"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=180, check=False)
    if run.returncode != 0:
        raise Failed(f"maildog-ci run of the probe scenario against the private Postfix exited "
                     f"{run.returncode}:\n{run.stdout}\n--- probe.yaml\n{text}")


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = sys.argv[1]
    wanted = set(sys.argv[2:])
    private_postfix.require_tools((SWAKS,))
    private_postfix.exit_on_signals()
    failures: list[str] = []
    work = pathlib.Path(tempfile.mkdtemp(prefix="maildog-record-e2e-"))
    with PrivatePostfix() as mx:
        try:
            for case in CASES:
                if wanted and case.name not in wanted:
                    continue
                try:
                    record_case(binary, mx, case, work)
                    replay_case(binary, case, work)
                    print(f"ok: {case.name}: recorded through Postfix, replayed, transcripts equal", flush=True)
                except (Failed, subprocess.TimeoutExpired) as error:
                    failures.append(f"{case.name}: {error}")
                    print(f"FAILED: {case.name}", flush=True)
            if not wanted or "probe" in wanted:
                try:
                    probe(binary, mx, work)
                    print("ok: probe: record --probe wrote a client.target scenario that passes against Postfix",
                          flush=True)
                except (Failed, subprocess.TimeoutExpired) as error:
                    failures.append(f"probe: {error}")
                    print("FAILED: probe", flush=True)
        finally:
            log = mx.log()
            mx.remove()
    for failure in failures:
        print("\n=== FAILED " + failure)
    if failures:
        print("\n--- private Postfix log\n" + log)
        print(f"(files kept in {work})")
        return 1
    subprocess.run(["rm", "-rf", str(work)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
