"""Gradescope's results.json, and finding the student's file in /autograder/submission.

Follows Gradescope's autograder specification: top-level ``score``,
``execution_time`` (seconds), ``output`` and ``tests``, each test with
``name``, ``number``, ``score``, ``max_score``, ``status``, ``output`` and
``visibility``. A results file is produced whatever happened, a missing or
crashing submission included.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader import atomic
from grader.audience import Audience, View
from grader.formats import render
from grader.formats.writer import Writer
from grader.quiz import Step
from grader.report import Report, explanations


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


def missing(reason: str, steps: Sequence[Step]) -> dict[str, Any]:
    """Results when nothing in the upload could be graded: every test failed, with the reason, each
    worth its step's weight."""
    return {
        "score": 0.0,
        "execution_time": 0,
        "output": reason,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [{"name": step.name, "number": str(number), "score": 0.0, "max_score": step.weight,
                   "status": "failed", "output": reason, "visibility": "visible"}
                  for number, step in enumerate(steps, start=1)],
    }


class ResultsFile(Writer):
    """``results.json`` for the one submission Gradescope's autograder grades, for ``audience``; written
    whatever happened: ``fail`` says why nothing could be graded."""

    def __init__(self, path: Path, audience: Audience) -> None:
        super().__init__(audience)
        self.path = path
        self.results: dict[str, Any] | None = None

    def add(self, view: View) -> None:
        self.results = results(view)

    def fail(self, reason: str, steps: Sequence[Step]) -> None:
        self.results = missing(reason, steps)

    @property
    def score(self) -> float:
        """The score results.json gives (0 before any)."""
        return float(self.results["score"]) if self.results is not None else 0.0

    def finish(self) -> None:
        """Write the file whole; OSError when it cannot be (the caller says why, in one line)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write(self.path, json.dumps(self.results, indent=2) + "\n")
