"""The pytest plugin (entry point pytest11 `maildog`): fixtures `maildog_server` (one serve per
test session, shared by every xdist worker) and `maildog` (a fresh sandbox per test).

Settings: ini `maildog_config` (a serve --config file, relative to the rootdir) or env
MAILDOG_CONFIG (relative to the working folder; wins over the ini); ini `maildog_serve_args`
(more serve arguments); ini `maildog_startup_timeout` (seconds, default 30). The binary is
$MAILDOG_CI, else `maildog-ci` on PATH.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

from maildog.sandbox import Sandbox
from maildog.server import STARTUP_TIMEOUT, MaildogError, Server

# Keys of xdist's workerinput: the controller's serve, or why it could not start.
_READY_KEY = "maildog_ready"
_ERROR_KEY = "maildog_error"
_controller_server = pytest.StashKey[Optional[Server]]()
_controller_error = pytest.StashKey[Optional[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("maildog_config", "maildog-ci serve --config file for the maildog fixtures "
                  "(relative to the rootdir; env MAILDOG_CONFIG wins)", default="")
    parser.addini("maildog_serve_args", "more arguments for maildog-ci serve", type="args", default=[])
    parser.addini("maildog_startup_timeout", "seconds maildog-ci serve may take to be ready",
                  default=str(STARTUP_TIMEOUT))


def _config_path(config: pytest.Config) -> Optional[str]:
    from_env = os.environ.get("MAILDOG_CONFIG")
    if from_env:
        return str(Path(from_env).resolve())
    from_ini = str(config.getini("maildog_config") or "")
    return str((config.rootpath / from_ini).resolve()) if from_ini else None


def _start(config: pytest.Config) -> Server:
    try:
        timeout = float(config.getini("maildog_startup_timeout"))
    except ValueError:
        raise MaildogError("ini maildog_startup_timeout must be a number of seconds") from None
    args = [str(arg) for arg in config.getini("maildog_serve_args")]
    return Server.start(config=_config_path(config), args=args, timeout=timeout)


@pytest.hookimpl(optionalhook=True)  # type: ignore[misc]  # pytest 7.2: an untyped decorator
def pytest_configure_node(node: Any) -> None:
    """xdist controller: one serve for all workers, started before the first one, so `-n 4`
    shares one process and isolation comes from sandboxes. A serve that cannot start is an
    error only in the tests that use the fixtures."""
    config = node.config
    if _controller_server not in config.stash and _controller_error not in config.stash:
        try:
            config.stash[_controller_server] = _start(config)
        except MaildogError as error:
            config.stash[_controller_error] = str(error)
    server = config.stash.get(_controller_server, None)
    if server is not None:
        node.workerinput[_READY_KEY] = json.dumps(server.ready)
    else:
        node.workerinput[_ERROR_KEY] = config.stash.get(_controller_error, None) or "maildog-ci serve did not start"


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_controller_server, None)
    if server is not None:
        server.stop()
        config.stash[_controller_server] = None


@pytest.fixture(scope="session")
def maildog_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    """The session's `maildog-ci serve` (under xdist, the one the controller started)."""
    worker_input = getattr(request.config, "workerinput", None) or {}
    if _READY_KEY in worker_input:
        yield Server.attach(json.loads(worker_input[_READY_KEY]))
        return
    if _ERROR_KEY in worker_input:
        pytest.fail(str(worker_input[_ERROR_KEY]), pytrace=False)
    try:
        server = _start(request.config)
    except MaildogError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def maildog(maildog_server: Server, request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A fresh sandbox for this test, named after its node id, removed after it."""
    box = maildog_server.sandbox(name=request.node.nodeid)
    try:
        yield box
    finally:
        box.delete()
