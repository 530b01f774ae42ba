"""A private Postfix (and postgrey) on loopback, started and stopped by the record tests.

`PrivatePostfix` writes the instance with postfix_upstream.sh into a temporary folder, starts
postgrey (foreground, its own --dbdir, a 1-second delay) and `postfix -c DIR start-fg`, waits for
both to listen (bounded), and on leaving stops them: `postfix -c DIR stop`, then the processes it
started, by their own ids. The system's Postfix and any postgrey service are never touched.

`require_tools()` is the skip rule every Postfix test shares: outside CI a missing tool is a skip
(exit 77, with the reason); in CI (CI=true) it is a failure.
"""

from __future__ import annotations

import os
import pathlib
import pwd
import grp
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
DOMAIN = "postfix.test"
# The size limit of postfix_upstream.sh (message_size_limit).
SIZE_LIMIT = 10240
# postgrey's --delay: a retry this many seconds (or more) after the first attempt passes.
GREYLIST_DELAY_SECONDS = 1


def require_tools(extra: tuple[str, ...] = ()) -> None:
    """Exits 77 (skip) with the reason when the private Postfix cannot run here; 1 in CI."""
    missing = []
    for tool in ("/usr/sbin/postfix", "/usr/sbin/postgrey", "/usr/bin/openssl", *extra):
        if not os.access(tool, os.X_OK):
            missing.append(tool)
    for user in ("postfix", "postgrey", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            missing.append(f"user {user}")
    try:
        grp.getgrnam("postdrop")
    except KeyError:
        missing.append("group postdrop")
    if missing:
        print("missing: " + ", ".join(missing) +
              " (ci/packages.txt, test set: bash ci/install-deps.sh test)", flush=True)
    if os.geteuid() != 0:
        print("not root: Postfix's master must run as root", flush=True)
    elif not missing:
        return
    if os.environ.get("CI") == "true":
        sys.exit(1)
    print("SKIPPED", flush=True)
    sys.exit(77)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, process: subprocess.Popen, what: str, log: pathlib.Path,
                   timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited ({process.returncode}) before listening on "
                               f"127.0.0.1:{port}:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s:\n"
                       f"{log.read_text(errors='replace')}")


def _end(process: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL, to a process this module started (and its own process group)."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


class PrivatePostfix:
    """`with PrivatePostfix() as mx:` -> mx.port (smtpd), mx.ca_file (its CA), mx.mail_dir."""

    def __init__(self, greylisting: bool = True) -> None:
        self.greylisting = greylisting
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="maildog-record-postfix-"))
        self.config_dir = self.root / "postfix"
        self.port = free_port()
        self.policy_port = free_port() if greylisting else None
        self.ca_file = self.config_dir / "tls" / "ca.pem"
        self.mail_dir = pathlib.Path(f"{self.config_dir}-mail")
        self.postfix_log = self.root / "postfix.log"
        self.postgrey_log = self.root / "postgrey.log"
        self._postfix: subprocess.Popen | None = None
        self._postgrey: subprocess.Popen | None = None

    def __enter__(self) -> "PrivatePostfix":
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start(self) -> None:
        args = [str(self.config_dir), str(self.port)]
        if self.policy_port:
            args.append(str(self.policy_port))
        subprocess.run(["bash", str(HERE / "postfix_upstream.sh"), *args], check=True, timeout=60)
        if self.policy_port:
            db_dir = self.root / "postgrey-db"
            db_dir.mkdir()
            shutil.chown(db_dir, user="postgrey")
            empty = self.root / "postgrey-empty-list"
            empty.write_text("")
            # Its own lists (empty: no client or recipient is exempt), no auto-whitelisting, and a
            # delay of 1 s so that a retry 2 s later passes.
            self._postgrey = subprocess.Popen(
                ["/usr/sbin/postgrey", f"--inet=127.0.0.1:{self.policy_port}", f"--dbdir={db_dir}",
                 f"--delay={GREYLIST_DELAY_SECONDS}", "--auto-whitelist-clients=0",
                 f"--whitelist-clients={empty}", f"--whitelist-recipients={empty}"],
                stdout=self.postgrey_log.open("wb"), stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
            wait_listening(self.policy_port, self._postgrey, "postgrey", self.postgrey_log)
        self._postfix = subprocess.Popen(
            ["/usr/sbin/postfix", "-c", str(self.config_dir), "start-fg"],
            stdout=self.postfix_log.open("wb"), stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        wait_listening(self.port, self._postfix, "postfix", self.postfix_log)

    def stop(self) -> None:
        if self._postfix is not None and self._postfix.poll() is None:
            subprocess.run(["/usr/sbin/postfix", "-c", str(self.config_dir), "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
                           check=False)
            try:
                self._postfix.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        _end(self._postfix)
        _end(self._postgrey)
        self._postfix = self._postgrey = None

    def delivered_to(self, user: str, count: int, timeout: float = 20.0) -> list[pathlib.Path]:
        """Waits (bounded) until USER's Maildir holds COUNT messages; returns them."""
        new = self.mail_dir / user / "new"
        deadline = time.monotonic() + timeout
        while True:
            found = sorted(new.glob("*")) if new.is_dir() else []
            if len(found) >= count or time.monotonic() >= deadline:
                return found
            time.sleep(0.1)

    def log(self) -> str:
        text = self.postfix_log.read_text(errors="replace") if self.postfix_log.exists() else ""
        if self.postgrey_log.exists():
            text += "\n--- postgrey\n" + self.postgrey_log.read_text(errors="replace")
        return text

    def remove(self) -> None:
        """Deletes the instance's folders (config, queue, data, mail); only once stopped."""
        self.stop()
        for path in (self.root, pathlib.Path(f"{self.config_dir}-queue"),
                     pathlib.Path(f"{self.config_dir}-data"), self.mail_dir):
            shutil.rmtree(path, ignore_errors=True)


def exit_on_signals() -> None:
    """SIGTERM/SIGINT (a CTest timeout, Ctrl-C) unwind through `with`, so nothing is left running."""
    def handler(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
