"""`pytest -n 2`: both xdist workers share one serve (the controller's) and every test's sandbox
holds only its own mail, though all send to the same address."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

SUITE = Path(__file__).with_name("isolation_suite.py")


def test_two_workers_share_one_serve_and_never_see_each_others_mail(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(SUITE, project / "test_isolation_suite.py")
    markers = tmp_path / "markers"
    markers.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "-q", "--rootdir", str(project),
         str(project / "test_isolation_suite.py")],
        cwd=project, env={**os.environ, "MAILDOG_ISOLATION_DIR": str(markers)},
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout
    records = [json.loads(marker.read_text()) for marker in markers.glob("*.json")]
    assert len(records) == 6
    assert {record["worker"] for record in records} == {"gw0", "gw1"}
    assert len({record["serve_pid"] for record in records}) == 1, records
    assert len({record["sandbox"] for record in records}) == 6
    # The controller stopped and reaped its serve at the end of the run.
    try:
        os.kill(records[0]["serve_pid"], 0)
    except ProcessLookupError:
        pass
    else:
        raise AssertionError(f"serve (pid {records[0]['serve_pid']}) still runs after pytest -n 2 ended")
