"""The README's pytest example (section "From your test suite"), extracted exactly as printed
and run with pytest against the binary, so the README cannot rot."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(os.environ.get("MAILDOG_SOURCE_DIR", Path(__file__).resolve().parents[3])) / "README.md"


def readme_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## From your test suite\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```python\n(.*?)^```$", section, flags=re.S | re.M)
    assert blocks, "README.md's section From your test suite has no ```python block"
    return str(blocks[0])


def test_the_readme_pytest_example_passes_as_printed(tmp_path: Path) -> None:
    if not README.is_file():
        pytest.skip(f"no README at {README}")
    example = readme_example()
    name = re.match(r"# (test_\w+\.py):", example)
    assert name, "the example starts with a comment naming its file"
    (tmp_path / name.group(1)).write_text(example, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--rootdir",
                             str(tmp_path), name.group(1)], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
