"""The code's own checks, run by the README's test command: mypy over grader/ and ruff over the code,
with the settings in pyproject.toml, find nothing; and what mypy is told to overlook says why."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?")


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=1200)


def test_mypy_finds_no_error(tmp_path):
    result = run("mypy", "--cache-dir", str(tmp_path / "mypy"))  # what to check and how: pyproject.toml
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found in "), result.stdout


def test_ruff_finds_nothing():
    result = run("ruff", "check", "--no-cache", "grader", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "All checks passed!"


def test_every_type_ignore_names_its_error_and_says_why():
    """mypy refuses an ignore without an error code, and one that hides nothing (warn_unused_ignores):
    here, each also says why, at its end or on the line above."""
    unexplained = []
    for path in sorted((ROOT / "grader").rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            found = IGNORE.search(line)
            if found is None:
                continue
            said = line[found.end():].lstrip().startswith("#") or lines[number - 2].lstrip().startswith("#")
            if not found["codes"] or not said:
                unexplained.append(f"{path.relative_to(ROOT)}:{number}")
    assert unexplained == []
