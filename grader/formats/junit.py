"""JUnit XML for GitLab, Jenkins and GitHub test reporters: one testsuite per submission, one testcase per variable.

Text from submissions may hold control characters or ANSI colour codes that
make XML invalid or unreadable; both are stripped. Counts on every element
agree with the testcases inside it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from grader.atomic import AtomicFile
from grader.audience import Audience, View
from grader.formats.writer import Writer
from grader.report import Report, explanations

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """Text safe for XML: no ANSI escape sequences, no characters XML 1.0 forbids."""
    return CONTROL.sub("", ANSI.sub("", text))


_ESCAPED = re.compile('[&<>"\r\n\t]')
"""What an attribute's value escapes: most values (names, cases, numbers) hold none."""


def _attribute(text: str) -> str:
    """An attribute's value as XML writes it (the escapes ElementTree uses, line breaks and tabs kept)."""
    if not _ESCAPED.search(text):
        return text
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#09;"))


def _text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _element(tag: str, attributes: dict[str, str], inside: str = "") -> str:
    """One element written as ElementTree writes it, without building one: the attributes in order,
    an element with nothing inside closed at once (``<testcase ... />``)."""
    opening = f"<{tag}" + "".join(f' {name}="{_attribute(value)}"' for name, value in attributes.items())
    return f"{opening}>{inside}</{tag}>" if inside else f"{opening} />"


@dataclass(frozen=True)
class Suite:
    """One submission's testsuite element, written, with the counts its totals need."""

    xml: str
    tests: int
    failures: int
    seconds: float


def testsuite(report: Report) -> Suite:
    """One submission as a testsuite: a testcase per checked variable, failures carrying the message."""
    failures = sum(not check.passed for check in report.checks)
    each = f"{report.duration_s / max(1, len(report.checks)):.6f}"
    submission = clean(report.submission)
    cases = []
    for check in report.checks:
        failure = ""
        if not check.passed:
            shown = [check.message, *(f"{label}: {said}" for label, said in explanations(check))]
            failure = _element("failure", {"message": clean(check.message), "type": check.outcome.value},
                               _text(clean("\n".join(shown))))
        cases.append(_element("testcase", {"classname": submission, "name": check.name, "time": each}, failure))
    details = [f"status: {report.status.value}", f"score: {report.score:g}/{report.max_score:g}"]
    if report.student is not None:
        details.append(f"student: {report.student.describe()}")
    if report.selection:
        details.append(f"file: {report.selection}")
    details += [f"note: {warning}" for warning in report.warnings]
    if report.error is not None:
        details.append(report.error.traceback)
    cases.append(_element("system-out", {}, _text(clean("\n".join(details + [report.stdout])))))
    seconds = f"{report.duration_s:.6f}"
    xml = _element("testsuite", {"name": submission, "tests": str(len(report.checks)), "failures": str(failures),
                                 "errors": "0", "skipped": "0", "time": seconds}, "".join(cases))
    return Suite(xml, len(report.checks), failures, float(seconds))


def _root(tests: int, failures: int, seconds: float, inside: str = "") -> str:
    return _element("testsuites", {"name": "gdgrade", "tests": str(tests), "failures": str(failures), "errors": "0",
                                   "skipped": "0", "time": f"{seconds:.6f}"}, inside)


HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'


def document(reports: Iterable[Report]) -> str:
    """A complete JUnit XML document for ``reports``."""
    suites = [testsuite(report) for report in reports]
    root = _root(sum(s.tests for s in suites), sum(s.failures for s in suites), sum(s.seconds for s in suites),
                 "".join(s.xml for s in suites))
    return HEADER + root + "\n"


class Suites(Writer):
    """Builds junit.xml for a batch of any size, for ``audience``: suites go to a temporary file as
    they arrive, the root element with the totals is written around them at the end."""

    def __init__(self, folder: Path, audience: Audience) -> None:
        super().__init__(audience)
        self.folder = folder
        self.body = tempfile.TemporaryFile("w+", dir=folder, encoding="utf-8")  # anonymous: gone when closed
        self.tests = self.failures = 0
        self.seconds = 0.0

    def add(self, view: View) -> None:
        suite = testsuite(view)
        self.tests += suite.tests
        self.failures += suite.failures
        self.seconds += view.duration_s
        self.body.write(suite.xml + "\n")

    def finish(self) -> None:
        opening = _root(self.tests, self.failures, self.seconds).replace(" />", ">")  # left open around the suites
        self.body.seek(0)
        with AtomicFile(self.folder / "junit.xml") as out:
            out.stream.write(HEADER + opening + "\n")
            shutil.copyfileobj(self.body, out.stream)
            out.stream.write("</testsuites>\n")
        self.body.close()

    def abandon(self) -> None:
        self.body.close()
