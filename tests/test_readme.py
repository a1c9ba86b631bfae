"""The README's examples say what gdgrade prints: each ``$ gdgrade ...`` line of its LMS and sample
sections that a test can run as written is run, and its closing line compared."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SEED

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = re.compile(r"^\$ (gdgrade grade [^\n]+)\n(Graded [^\n]+)$", re.MULTILINE)
EXAMPLES = EXAMPLE.findall((ROOT / "README.md").read_text())


def test_the_readme_has_its_examples():
    assert {command.split()[2] for command, _ in EXAMPLES} >= {
        "submissions/gradient_descent", "examples/lms/canvas/submissions.zip", "examples/lms/moodle/submissions.zip"}


@pytest.mark.parametrize("command, said", EXAMPLES, ids=[command.split()[2] for command, _ in EXAMPLES])
def test_a_readme_example_prints_what_the_readme_says(tmp_path, command, said):
    arguments = shlex.split(command)[1:]
    arguments = [str(ROOT / argument) if argument.startswith(("examples/", "submissions")) else argument
                 for argument in arguments]
    if "--seed" not in arguments:  # the figures hold for any seed (measured: 31 of 31); the suite's stays fixed
        arguments += ["--seed", str(SEED)]
    result = subprocess.run([sys.executable, "-m", "grader", *arguments], capture_output=True, text=True,
                            timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == said
