"""Write a batch to a folder: one JSON report and feedback page per submission, the gradebook CSV,
JUnit XML and the class overview.

Every file appears whole (``grader.atomic``): bodies that grow with the batch live in anonymous
temporary files until ``finish`` puts them in place, so a killed batch leaves nothing half-written
and no temporary behind.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from grader import atomic
from grader.atomic import AtomicFile
from grader.formats import html, junit, render
from grader.formats.lms import Roster
from grader.formats.lms.moodle import FeedbackZip
from grader.formats.summary import Summary, Tally
from grader.intake import Submission
from grader.outdir import FEEDBACK_ZIP, UNMATCHED, OutputFolder, student_files
from grader.quiz import Quiz
from grader.report import Grading, Report, for_students
from grader.text import spreadsheet_cell

IDENTITY = ("student", "lms_id", "late")
"""``grades.csv``'s columns that name a student from an LMS download."""


def _identity(report: Report) -> list[str]:
    student = report.student
    if student is None:
        return ["", "", ""]
    late = "" if student.late is None else "yes" if student.late else "no"
    return [spreadsheet_cell(student.name or ""), spreadsheet_cell(student.lms_id or ""), late]


class Gradebook:
    """A batch as its reports arrive: each student's JSON report and feedback page, a gradebook row,
    a JUnit suite, the class tallies.

    Nothing grows with the batch but small counters, so 10,000 submissions cost no more memory
    than 1,000. ``finish`` writes the batch files; until then none exists. ``hide_hidden`` keeps
    hidden cases' values out of the student-facing pages; the JSON reports keep everything.
    """

    def __init__(self, folder: OutputFolder, quiz: Quiz, hide_hidden: bool = False, roster: Roster | None = None,
                 identity: bool = False):
        """``roster``: the gradebook export to fill in (``--roster``); ``identity``: whether the batch's
        submissions came from an LMS download, so that ``grades.csv`` names each student."""
        self.output, self.folder, self.hide_hidden = folder, folder.path, hide_hidden
        self.variables = list(quiz.variables)
        self.tally = Tally(quiz)
        self.junit = junit.Writer(self.folder)
        self.roster, self.identity = roster, identity
        self._feedback: FeedbackZip | None = None
        self._rows = tempfile.TemporaryFile("w+", dir=self.folder, encoding="utf-8", newline="")
        self._csv = csv.writer(self._rows, lineterminator="\n")
        self._csv.writerow(["id", *(IDENTITY if identity else ()), "status", "score", "max_score", *self.variables])
        self._students = tempfile.TemporaryFile("w+", dir=self.folder, encoding="utf-8")
        """students.js's rows, one per line, until ``finish`` writes the file."""
        self.written = 0
        """Reports this run wrote (not those it kept from an earlier run)."""

    def add(self, report: Report, write: bool = True) -> None:
        """Count ``report`` in; write its JSON file unless it is already on disk (``write=False``).

        The feedback page shows ``report.source_text`` when it is known. An interrupt waits until
        the submission's files and counts are all done.
        """
        report_name, page_name = student_files(report.submission)
        with atomic.deferred():
            if write:
                atomic.write(self.folder / report_name, report.model_dump_json(indent=2) + "\n")
            shown = for_students(report) if self.hide_hidden else report
            atomic.write(self.folder / page_name, html.student(shown, report.source_text))
            self.junit.add(shown)
            self._students.write(html.student_row(report, self.variables) + "\n")
            scores = {check.name: check.score for check in report.checks}
            self._csv.writerow([spreadsheet_cell(report.submission), *(_identity(report) if self.identity else ()),
                                report.status.value, f"{report.score:g}", f"{report.max_score:g}",
                                *(f"{scores.get(name, 0.0):g}" for name in self.variables)])
            self.tally.add(report)
            moodle = report.student is not None and report.student.system == "moodle"
            if self.roster is not None or moodle:
                # what goes to a student through their LMS hides the hidden cases
                private = shown if self.hide_hidden else for_students(report)
                if self.roster is not None:
                    self.roster.add(private)
                if moodle:
                    self._feedback = self._feedback or FeedbackZip(self.folder)
                    self._feedback.add(report.student, html.student(private, report.source_text, overview=False))
            self.written += write

    def finish(self, notes: list[str] | None = None) -> Summary:
        """Write the batch files and remove earlier runs' files of submissions no longer in the batch.

        ``notes`` name what the batch could not search.
        """
        with atomic.deferred():
            lms_import = self.roster.finish(self.folder) if self.roster is not None else None
            if self._feedback is not None:
                self._feedback.finish()
            summary = self.tally.summary(stale_removed=self.output.release_stale(), notes=notes or [],
                                         lms_import=lms_import)
            self._rows.seek(0)
            with AtomicFile(self.folder / "grades.csv") as out:
                shutil.copyfileobj(self._rows, out.stream)
            self._rows.close()
            self._students.seek(0)
            with AtomicFile(self.folder / "students.js") as out:
                out.stream.write("window.gdgradeStudents = [\n")
                for number, line in enumerate(self._students):
                    out.stream.write(("," if number else "") + line)
                out.stream.write("];\n")
            self._students.close()
            self.junit.finish()
            atomic.write(self.folder / "summary.json", summary.model_dump_json(indent=2) + "\n")
            atomic.write(self.folder / "summary.md", render.class_markdown(summary))
            atomic.write(self.folder / "index.html", html.index(summary, self.variables))
        return summary

    def abandon(self) -> None:
        """Drop the unfinished batch files (an interrupted batch): each student's files stay."""
        self._rows.close()
        self._students.close()
        self.junit.abandon()
        if self._feedback is not None:
            self._feedback.abandon()


def claimed(submissions: Iterable[str], roster: Roster | None, moodle: bool) -> list[str]:
    """Every per-student and import file a batch of ``submissions`` may write: what its run claims
    (``OutputFolder.claim``) before writing any, so that a later run without them removes them."""
    return [*(name for submission in submissions for name in student_files(submission)),
            *([roster.file_name, UNMATCHED] if roster else []), *([FEEDBACK_ZIP] if moodle else [])]


def read_report(folder: Path, submission: str) -> Report:
    """The report on disk for ``submission``; raises OSError or ValueError when there is no valid one."""
    return Report.model_validate_json((folder / student_files(submission)[0]).read_bytes())


def existing_report(folder: Path, submission: str, quiz: str, digest: str | None,
                    grading: Grading) -> Report | None:
    """The report already on disk for ``submission``, if it is valid and of the same file, quiz and
    grading (seed, hidden cases, limits, tolerances): a report graded otherwise is graded again."""
    try:
        report = read_report(folder, submission)
    except (OSError, ValueError):
        return None
    if report.quiz != quiz or report.source_sha256 != digest or digest is None or report.grading != grading:
        return None
    return report


def kept_seed(folder: Path, submissions: Iterable[Submission], quiz: str) -> int | None:
    """The seed the folder's reports were graded with (the first valid one's), for ``--resume``."""
    for submission in submissions:
        try:
            report = read_report(folder, submission.id)
        except (OSError, ValueError):
            continue
        if report.quiz == quiz and report.grading is not None:
            return report.grading.seed
    return None
