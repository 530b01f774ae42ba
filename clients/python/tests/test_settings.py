"""The plugin's settings, in a pytest run of their own: ini maildog_config (relative to the
rootdir) and maildog_serve_args, and MAILDOG_CONFIG winning over the ini."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import DATA

# Runs inside the inner pytest: TLS comes from the config, --keep 1 from the serve arguments.
INNER_TEST = '''
import os, smtplib, ssl

def test_the_settings_reach_serve(maildog, maildog_server):
    assert (maildog.ca_file is not None) == (os.environ["EXPECT_TLS"] == "yes")
    for subject in ("first", "second"):
        with smtplib.SMTP(maildog.host, maildog.port, timeout=10) as client:
            if maildog.ca_file:
                client.starttls(context=ssl.create_default_context(cafile=maildog.ca_file))
            client.sendmail("a@sender.test", ["b@inbox.test"], f"Subject: {subject}\\r\\n\\r\\nx\\r\\n".encode())
        maildog.wait_for(to="b@inbox.test", subject=subject)
    assert [m.subject for m in maildog.messages()] == ["second"]  # --keep 1
'''


def run_inner(project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--rootdir", str(project),
                           "test_inner.py"], cwd=project, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=300)


def test_ini_config_and_serve_args_then_the_environment_wins(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "mail").mkdir(parents=True)
    shutil.copy(DATA / "starttls.yaml", project / "mail" / "tls.yaml")
    (project / "mail" / "plain.yaml").write_text("server:\n  tls: none\n")
    (project / "pytest.ini").write_text("[pytest]\nmaildog_config = mail/tls.yaml\nmaildog_serve_args = --keep 1\n")
    (project / "test_inner.py").write_text(INNER_TEST)

    with_ini = run_inner(project, {"EXPECT_TLS": "yes"})
    assert with_ini.returncode == 0, with_ini.stdout + with_ini.stderr

    with_env = run_inner(project, {"EXPECT_TLS": "no", "MAILDOG_CONFIG": str(project / "mail" / "plain.yaml")})
    assert with_env.returncode == 0, with_env.stdout + with_env.stderr


def test_a_config_serve_refuses_fails_the_tests_that_use_it_with_its_stderr(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "broken.yaml").write_text("server:\n  tls: sometimes\n")
    (project / "pytest.ini").write_text("[pytest]\nmaildog_config = broken.yaml\n")
    (project / "test_inner.py").write_text("def test_uses_it(maildog):\n    pass\n\ndef test_does_not():\n    pass\n")
    result = run_inner(project, {})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed, 1 error" in result.stdout
    assert "maildog-ci serve exited with status" in result.stdout
    assert "broken.yaml" in result.stdout
