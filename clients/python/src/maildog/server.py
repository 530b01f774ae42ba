"""A `maildog-ci serve` process for a test session: found on MAILDOG_CI or PATH, started on free
ports with --ready-file, awaited, and stopped with SIGTERM (then SIGKILL), always reaped."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Mapping, Optional, Sequence, Union

from maildog._api import Api
from maildog.sandbox import Sandbox

# How long serve may take to write its ready file (it is usually a few tens of ms).
STARTUP_TIMEOUT = 30.0
# serve lets transactions in flight finish for 10 s after SIGTERM; then SIGKILL.
STOP_TIMEOUT = 15.0
# How often the ready file is looked for while serve starts.
READY_POLL = 0.01
# The end of serve's stderr shown when it fails to start.
STDERR_TAIL = 4000

PathLike = Union[str, "os.PathLike[str]"]


class MaildogError(Exception):
    """maildog-ci could not be found, started or reached."""


def find_binary(explicit: Optional[PathLike] = None) -> str:
    """The maildog-ci executable: `explicit`, else $MAILDOG_CI, else `maildog-ci` on PATH."""
    for source, candidate in (("the binary given", explicit), ("MAILDOG_CI", os.environ.get("MAILDOG_CI"))):
        if candidate:
            path = os.fspath(candidate)
            if not (os.path.isfile(path) and os.access(path, os.X_OK)):
                raise MaildogError(f"{source} names {path}, which is not an executable file")
            return path
    found = shutil.which("maildog-ci")
    if not found:
        raise MaildogError("maildog-ci is not on PATH: install it (see the README's Install section) "
                           "or set MAILDOG_CI to the executable's path")
    return found


class Server:
    """A running serve. `start` owns the process; `attach` talks to one started elsewhere (the
    pytest plugin's other xdist workers) and never stops it."""

    def __init__(self, ready: Mapping[str, Any], process: Optional["subprocess.Popen[bytes]"] = None,
                 folder: Optional[str] = None, token: Optional[str] = None) -> None:
        self.ready: dict[str, Any] = dict(ready)
        self.url: str = str(ready["http"]["url"])
        self.smtp_host: str = str(ready["smtp"]["host"])
        self.smtp_port: int = int(ready["smtp"]["port"])
        ca_file = ready.get("ca_file")
        self.ca_file: Optional[str] = str(ca_file) if ca_file else None
        self.pid: int = int(ready.get("pid", 0))
        self.version: str = str(ready.get("version", ""))
        self._process = process
        self._folder = folder
        self._token = token
        self.api = Api(self.url, token)

    @classmethod
    def attach(cls, ready: Mapping[str, Any], token: Optional[str] = None) -> "Server":
        return cls(ready, token=token)

    @classmethod
    def start(cls, binary: Optional[PathLike] = None, *, config: Optional[PathLike] = None,
              args: Sequence[str] = (), timeout: float = STARTUP_TIMEOUT,
              env: Optional[Mapping[str, str]] = None) -> "Server":
        """Starts `maildog-ci serve --smtp-port 0 --http-port 0 --ready-file ...` (with
        `--config` and `args`), waits for its ready file, and raises MaildogError with serve's
        stderr when it exits or is not ready within `timeout` seconds."""
        executable = find_binary(binary)
        folder = tempfile.mkdtemp(prefix="maildog-serve-")
        ready_file = Path(folder, "ready.json")
        command = [executable, "serve", "--smtp-port", "0", "--http-port", "0", "--ready-file", str(ready_file)]
        if config is not None:
            command += ["--config", os.fspath(config)]
        command += list(args)
        environment = dict(os.environ if env is None else env)
        with open(Path(folder, "stdout.log"), "wb") as out, open(Path(folder, "stderr.log"), "wb") as err:
            try:
                process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                           env=environment)
            except OSError as error:
                shutil.rmtree(folder, ignore_errors=True)
                raise MaildogError(f"cannot run {executable}: {error}") from None
        deadline = time.monotonic() + timeout
        while not ready_file.exists():
            status = process.poll()
            if status is not None or time.monotonic() > deadline:
                if status is None:
                    _end(process, 0)
                why = (f"exited with status {status}" if status is not None
                       else f"was not ready within {timeout:g} s (no {ready_file.name})")
                stderr = _tail(Path(folder, "stderr.log"))
                shutil.rmtree(folder, ignore_errors=True)
                raise MaildogError(f"maildog-ci serve {why}\n  command: {' '.join(command)}\n"
                                   f"  its stderr:\n{_indent(stderr) or '    (empty)'}")
            time.sleep(READY_POLL)
        try:
            ready = json.loads(ready_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            _end(process, STOP_TIMEOUT)
            shutil.rmtree(folder, ignore_errors=True)
            raise MaildogError(f"maildog-ci serve wrote a ready file that is not JSON: {error}") from None
        return cls(ready, process, folder, environment.get("MAILDOG_API_TOKEN") or None)

    @property
    def owned(self) -> bool:
        """Whether this object started the process (and stops it)."""
        return self._process is not None

    @property
    def log_folder(self) -> Optional[str]:
        """Where serve's stdout.log and stderr.log are written while it runs (started only)."""
        return self._folder

    def sandbox(self, name: Optional[str] = None,
                rules: Optional[Sequence[Mapping[str, Any]]] = None) -> Sandbox:
        """A new sandbox (POST /api/v1/sandboxes): own port, rules (these, else the config's),
        messages and sessions. Remove it with .delete()."""
        body: dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if rules is not None:
            body["rules"] = [dict(rule) for rule in rules]
        info = self.api.json("POST", "api/v1/sandboxes", body=body)
        return Sandbox(info, self._token)

    def sandboxes(self) -> list[dict[str, Any]]:
        return list(self.api.json("GET", "api/v1/sandboxes").get("sandboxes", []))

    def stop(self, timeout: float = STOP_TIMEOUT) -> Optional[int]:
        """SIGTERM, then SIGKILL after `timeout` s; reaped. Returns the exit status (None when
        attached). Idempotent."""
        if self._process is None:
            return None
        status = _end(self._process, timeout)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        return status

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, kind: Optional[type[BaseException]], value: Optional[BaseException],
                 traceback: Optional[TracebackType]) -> None:
        self.stop()


def _end(process: "subprocess.Popen[bytes]", grace: float) -> int:
    if process.poll() is None:
        process.terminate()
        try:
            return process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
    return process.wait()


def _tail(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return data[-STDERR_TAIL:].decode("utf-8", "replace").rstrip()


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
