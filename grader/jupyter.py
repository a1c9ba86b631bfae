"""Self-check from a notebook: ``%load_ext grader``, then ``%gdgrade`` in a cell (or ``check()``).

What a class doing the quiz in Jupyter is used to (a ``grader.check`` cell). It grades the code the
notebook has run so far: every cell before the one that asks, as the kernel's history holds them
(cell N is ``In [N]``), joined as ``gdgrade check`` joins a notebook's cells, and run in the sandbox
on the public and hidden cases, never in the kernel. The answer is the feedback table of the
student's page as rich output (plain text elsewhere), places named as cells: ``cell 3, line 2``.
Hidden cases are shown as a student sees them; ``--feedback`` (default: the quiz's) is how much.

IPython is not a dependency of gdgrade: this module is imported only from a kernel.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Protocol, cast

from grader import audience, catalog, intake
from grader.errors import QuizError
from grader.feedback import LEVELS, Level
from grader.formats import html, render
from grader.grade import Grader, Settings
from grader.intake.folders import notebook_name
from grader.report import Report


class History(Protocol):
    input_hist_raw: list[str]
    """Every cell the kernel ran, as typed (``In``)."""


class Shell(Protocol):
    """What ``register`` uses of IPython's shell: IPython is not a dependency of gdgrade (and the
    types it declares for these two are not what they are at run time)."""

    history_manager: History

    def register_magic_function(self, func: Callable[[str], object], magic_kind: str, magic_name: str) -> None: ...

OWN_MAGICS = ("%gdgrade", "%load_ext grader", "%reload_ext grader")
"""Lines that ask for grading are left out of what is graded: they are not the student's work."""
_GDGRADE_CALL = re.compile(r"(from\s+grader\b|import\s+grader\b|(grader\.)?jupyter\.check\()")


@dataclass(frozen=True)
class Feedback:
    """One self-check's report, shown as the page's table in a notebook and as text elsewhere."""

    report: Report

    def _repr_html_(self) -> str:
        report = self.report
        error = (f"<p><b>Your code raised an error</b> ({escape(report.error.place or '')}):</p>"
                 f"<pre>{escape(report.error.traceback)}</pre>" if report.error else "")
        notes = "".join(f"<li>{html.prose(note)}</li>" for note in report.warnings)
        return (f"<div class=\"gdgrade\"><h3>gdgrade: {report.score:g}/{report.max_score:g}</h3>"
                f"<p>Cells are counted as the notebook numbers them: cell 3 is <code>In [3]</code>.</p>"
                f"{error}{html.checks_table(report, links=False)}"
                + (f"<ul>{notes}</ul>" if notes else "") + "</div>")

    def __repr__(self) -> str:
        return render.text(self.report)


def cells_run(history: list[str]) -> list[str]:
    """The cells run so far (``In[1:]``, the running cell left out), with the lines that ask for grading
    left empty, so that every cell and line keeps its number and a cell's own code beside them counts."""
    return ["\n".join("" if _asks_for_grading(line) else line for line in cell.split("\n")) for cell in history[1:-1]]


def _asks_for_grading(line: str) -> bool:
    """``%gdgrade``, loading the extension, or calling gdgrade from Python; never a comment or a string
    that mentions them."""
    code = line.partition("#")[0].strip()
    return code.startswith(OWN_MAGICS) or _GDGRADE_CALL.match(code) is not None


def grade_cells(cells: list[str], quiz_name: str = "gradient_descent", level: Level | None = None,
                seed: int | None = None) -> Feedback:
    """Grade ``cells`` as a notebook of them, in the sandbox, on the quiz's public and hidden cases."""
    chosen = catalog.load(quiz_name)
    document = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": number,
                           "source": source} for number, source in enumerate(cells, 1)]}
    # graded from memory, as the page grades what it is sent: the report names the notebook, no temporary
    submission = intake.Submission("notebook", Path(notebook_name(chosen.filename)),
                                   origin=intake.InMemory(json.dumps(document).encode()))
    with Grader(chosen, Settings(seed=seed)) as grader:
        report = next(iter(grader.grade([submission])))
    return Feedback(audience.student(level or chosen.feedback).view(report))


def check(quiz: str = "gradient_descent", feedback: Level | None = None, seed: int | None = None) -> Feedback:
    """Grade the code this notebook has run so far (what ``%gdgrade`` does), from a kernel."""
    from IPython import get_ipython  # noqa: PLC0415 - only in a kernel

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("grader.jupyter.check() grades a notebook's cells: call it from a Jupyter kernel")
    return grade_cells(cells_run(list(shell.history_manager.input_hist_raw)), quiz, feedback, seed)


def _arguments(line: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="%gdgrade", add_help=False, exit_on_error=False)
    parser.add_argument("--quiz", default="gradient_descent")
    parser.add_argument("--feedback", choices=LEVELS, default=None)
    parser.add_argument("--seed", type=int, default=None)
    return parser.parse_args(shlex.split(line))


def register(ipython: object) -> None:
    """Make ``%gdgrade [--quiz NAME] [--feedback LEVEL] [--seed N]`` a line magic of IPython's shell."""
    shell = cast(Shell, ipython)  # what %load_ext hands an extension: grader/__init__.py imports no typing
    from IPython.core.error import UsageError  # noqa: PLC0415 - only in a kernel

    def gdgrade(line: str) -> Feedback:
        try:
            arguments = _arguments(line)
        except (argparse.ArgumentError, ValueError, SystemExit) as problem:
            raise UsageError(f"%gdgrade: {problem}") from None
        try:
            return grade_cells(cells_run(list(shell.history_manager.input_hist_raw)),
                               arguments.quiz, arguments.feedback, arguments.seed)
        except QuizError as problem:
            raise UsageError(f"%gdgrade: {problem}") from None

    shell.register_magic_function(gdgrade, "line", "gdgrade")
