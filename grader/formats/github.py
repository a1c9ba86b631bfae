"""GitHub Actions: a Markdown step summary and an ``::error`` annotation per failing variable.

Only active when ``GITHUB_ACTIONS`` is set. Annotations point at the line
where the failing variable is assigned, so they appear on the student's code
in the pull request or commit view.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Iterator

from grader.audience import View
from grader.formats.writer import Writer
from grader.report import Report, explanations


def active() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _escape(text: str, in_property: bool = False) -> str:
    """Workflow-command escaping: % \\r \\n always, and : , inside a property."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if in_property else text


def error_commands(report: Report) -> list[str]:
    """One ``::error`` command per failing variable, at the line of its assignment when known."""
    commands = []
    for check in report.checks:
        if check.passed:
            continue
        where = f"file={_escape(report.path, True)}"
        if check.line:
            where += f",line={check.line}"
        title = _escape(f"gdgrade: {check.name} {check.outcome.value}", True)
        message = check.message + "".join(f" {label.capitalize()}: {said}" for label, said in explanations(check))
        commands.append(f"::error {where},title={title}::{_escape(message)}")
    return commands


@contextlib.contextmanager
def untrusted_output() -> Iterator[None]:
    """Around output holding student text: the runner executes no workflow command printed inside
    (``::stop-commands::``, with a token no submission can guess, then that token to resume)."""
    if not active():
        yield
        return
    token = secrets.token_hex(16)
    print(f"::stop-commands::{token}", flush=True)
    try:
        yield
    finally:
        sys.stdout.flush()
        print(f"::{token}::", flush=True)


def annotate(report: Report) -> None:
    """Print the annotations of one report on stdout, where the runner reads workflow commands."""
    for command in error_commands(report):
        print(command, file=sys.stdout)


class Annotations(Writer):
    """Each report's annotations, printed as it is graded, for the audience it is made for."""

    def add(self, view: View) -> None:
        annotate(view)


def summarise(markdown: str) -> None:
    """Append Markdown to the job's step summary (``$GITHUB_STEP_SUMMARY``), when there is one."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        try:
            with open(path, "a", encoding="utf-8", errors="backslashreplace") as stream:
                stream.write(markdown + "\n")
        except OSError as problem:  # the step summary is a courtesy: never the reason a job fails
            print(f"gdgrade: note: cannot write the step summary {path}: {problem.strerror}", file=sys.stderr)
