"""JUnit XML for GitLab, Jenkins and GitHub test reporters: one testsuite per submission, one testcase per variable.

Text from submissions may hold control characters or ANSI colour codes that
make XML invalid or unreadable; both are stripped. Counts on every element
agree with the testcases inside it.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable
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


def testsuite(report: Report) -> ET.Element:
    """One submission as a testsuite: a testcase per checked variable, failures carrying the message."""
    failures = sum(not check.passed for check in report.checks)
    each = report.duration_s / max(1, len(report.checks))
    suite = ET.Element("testsuite", name=clean(report.submission), tests=str(len(report.checks)),
                       failures=str(failures), errors="0", skipped="0", time=f"{report.duration_s:.6f}")
    for check in report.checks:
        case = ET.SubElement(suite, "testcase", classname=clean(report.submission), name=check.name,
                             time=f"{each:.6f}")
        if not check.passed:
            failure = ET.SubElement(case, "failure", message=clean(check.message), type=check.outcome.value)
            shown = [check.message, *(f"{label}: {said}" for label, said in explanations(check))]
            failure.text = clean("\n".join(shown))
    details = [f"status: {report.status.value}", f"score: {report.score:g}/{report.max_score:g}"]
    if report.student is not None:
        details.append(f"student: {report.student.describe()}")
    if report.selection:
        details.append(f"file: {report.selection}")
    details += [f"note: {warning}" for warning in report.warnings]
    if report.error is not None:
        details.append(report.error.traceback)
    ET.SubElement(suite, "system-out").text = clean("\n".join(details + [report.stdout]))
    return suite


def _root(tests: int, failures: int, seconds: float) -> ET.Element:
    return ET.Element("testsuites", name="gdgrade", tests=str(tests), failures=str(failures), errors="0",
                      skipped="0", time=f"{seconds:.6f}")


def document(reports: Iterable[Report]) -> str:
    """A complete JUnit XML document for ``reports``."""
    suites = [testsuite(report) for report in reports]
    root = _root(sum(int(s.get("tests", 0)) for s in suites), sum(int(s.get("failures", 0)) for s in suites),
                 sum(float(s.get("time", 0)) for s in suites))
    root.extend(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


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
        self.tests += int(suite.get("tests", 0))
        self.failures += int(suite.get("failures", 0))
        self.seconds += view.duration_s
        self.body.write(ET.tostring(suite, encoding="unicode") + "\n")

    def finish(self) -> None:
        opening = ET.tostring(_root(self.tests, self.failures, self.seconds), encoding="unicode")
        opening = opening.replace(" />", ">")  # the root with its totals, left open around the suites
        self.body.seek(0)
        with AtomicFile(self.folder / "junit.xml") as out:
            out.stream.write('<?xml version="1.0" encoding="UTF-8"?>\n' + opening + "\n")
            shutil.copyfileobj(self.body, out.stream)
            out.stream.write("</testsuites>\n")
        self.body.close()

    def abandon(self) -> None:
        self.body.close()
