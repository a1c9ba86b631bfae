"""Gradescope's results.json, and finding the student's file in /autograder/submission.

Follows Gradescope's autograder specification: top-level ``score``,
``execution_time`` (seconds), ``output`` and ``tests``, each test with
``name``, ``number``, ``score``, ``max_score``, ``status``, ``output`` and
``visibility``. A results file is produced whatever happened, a missing or
crashing submission included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader import render
from grader.report import Report, explanations


def find_submission(folder: Path, filename: str) -> Path | None:
    """``filename`` anywhere in the upload, else the only ``.py`` file; None when neither exists."""
    if not folder.is_dir():
        return None
    named = sorted(path for path in folder.rglob(filename) if path.is_file())
    if named:
        return named[0]
    python = sorted(path for path in folder.rglob("*.py") if path.is_file())
    return python[0] if len(python) == 1 else None


def results(report: Report) -> dict[str, Any]:
    """The Gradescope results for one (student-facing) report."""
    tests = []
    for number, check in enumerate(report.checks, start=1):
        output = check.message + "".join(f"\n{label.capitalize()}: {said}" for label, said in explanations(check))
        tests.append({
            "name": check.name,
            "number": str(number),
            "score": check.score,
            "max_score": check.max_score,
            "status": "passed" if check.passed else "failed",
            "output": output,
            "visibility": "visible",
        })
    return {
        "score": report.score,
        "execution_time": round(report.duration_s, 3),
        "output": render.text(report),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def missing(filename: str, folder: Path, max_score: float, variables: tuple[str, ...]) -> dict[str, Any]:
    """Results when the upload holds no gradable file: every test failed, with the reason."""
    reason = f"No {filename} was found in the submission (and not exactly one .py file): nothing could be graded."
    return {
        "score": 0.0,
        "execution_time": 0,
        "output": reason + f" Looked in {folder}.",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [{"name": name, "number": str(number), "score": 0.0, "max_score": max_score / len(variables),
                   "status": "failed", "output": reason, "visibility": "visible"}
                  for number, name in enumerate(variables, start=1)],
    }
