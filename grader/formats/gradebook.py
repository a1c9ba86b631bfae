"""Write a batch to a folder: one JSON report and feedback page per submission, the gradebook CSV,
JUnit XML, the class overview and the LMS files.

Each file is an output of its own (``grader.formats.writer``), told once whom it is for: the JSON
reports, ``grades.csv``, ``students.js`` and the class overview are the instructor's; the feedback
pages and ``junit.xml`` are the students' as ``--hide-hidden-cases`` and ``--feedback`` say; what goes
to a student through their LMS always hides the hidden cases. Every file appears whole
(``grader.atomic``): bodies that grow with the batch live in anonymous temporary files until
``finish`` puts them in place, so a killed batch leaves nothing half-written and no temporary behind.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import ValidationError

from grader import __version__, atomic, report_json, text
from grader.adjust import Adjuster
from grader.atomic import AtomicFile
from grader.audience import INSTRUCTOR, Audience, View, student
from grader.formats import html, junit, render
from grader.formats.lms import Placed, Roster
from grader.formats.lms.feedback import LAYOUTS, FeedbackZip
from grader.formats.summary import LmsImport, Summary, Tally
from grader.formats.writer import Outputs, Writer
from grader.intake import Submission
from grader.outdir import UNMATCHED, OutputFolder, student_files
from grader.quiz import Quiz
from grader.report import Grading, Report
from grader.text import count, spreadsheet_cell

IDENTITY = ("student", "lms_id", "late")
"""``grades.csv``'s columns that name a student from an LMS download."""


def _identity(report: Report) -> list[str]:
    student = report.student
    if student is None:
        return ["", "", ""]
    late = "" if student.late is None else "yes" if student.late else "no"
    return [spreadsheet_cell(student.name or ""), spreadsheet_cell(student.lms_id or ""), late]


class ReportFiles(Writer):
    """Each submission's ``<id>.json``: the instructor's, whole."""

    def __init__(self, folder: Path) -> None:
        super().__init__(INSTRUCTOR)
        self.folder = folder

    def add(self, view: View) -> None:
        path = self.folder / student_files(view.submission)[0]
        atomic.write_bytes(path, report_json.dump_bytes(view, indent=2) + b"\n")


class GradesCsv(Writer):
    """``grades.csv``, the instructor's gradebook: a row per submission, a column per variable."""

    def __init__(self, folder: Path, variables: Sequence[str], identity: bool) -> None:
        super().__init__(INSTRUCTOR)
        self.folder, self.variables, self.identity = folder, list(variables), identity
        self._rows = tempfile.TemporaryFile("w+", dir=folder, encoding="utf-8", newline="")
        self._csv = csv.writer(self._rows, lineterminator="\n")
        self._csv.writerow(["id", *(IDENTITY if identity else ()), "status", "score", "max_score", *self.variables])

    def add(self, view: View) -> None:
        scores = {check.name: check.score for check in view.checks}
        self._csv.writerow([spreadsheet_cell(view.submission), *(_identity(view) if self.identity else ()),
                            view.status.value, f"{view.score:g}", f"{view.max_score:g}",
                            *(f"{scores.get(name, 0.0):g}" for name in self.variables)])

    def finish(self) -> None:
        self._rows.seek(0)
        with AtomicFile(self.folder / "grades.csv") as out:
            shutil.copyfileobj(self._rows, out.stream)
        self._rows.close()

    def abandon(self) -> None:
        self._rows.close()


class StudentsTable(Writer):
    """``students.js``, the class overview's table of students (the instructor's), with the roster's
    names and import marks once the roster is matched (``LmsFiles`` finishes first)."""

    def __init__(self, folder: Path, variables: Sequence[str], roster: Roster | None) -> None:
        super().__init__(INSTRUCTOR)
        self.folder, self.variables, self.roster = folder, list(variables), roster
        self._rows = tempfile.TemporaryFile("w+", dir=folder, encoding="utf-8")
        """students.js's rows, one per line, until ``finish`` writes the file."""

    def add(self, view: View) -> None:
        self._rows.write(json.dumps(html.student_row(view, self.variables)) + "\n")

    def finish(self) -> None:
        self._rows.seek(0)
        placed = self.roster.placed if self.roster is not None else {}
        with AtomicFile(self.folder / "students.js") as out:
            out.stream.write("window.gdgradeStudents = [\n")
            for number, line in enumerate(self._rows):
                out.stream.write(("," if number else "") + (_placed(line, placed) if placed else line))
            out.stream.write("];\n")
        self._rows.close()

    def abandon(self) -> None:
        self._rows.close()


class LmsFiles(Writer):
    """What reaches students through their LMS: the roster's import file (``--roster``) with a comment
    for each, and a zip of feedback pages per system whose download their submissions came from."""

    def __init__(self, folder: Path, audience: Audience, roster: Roster | None) -> None:
        super().__init__(audience)
        self.folder, self.roster = folder, roster
        self._zips: dict[str, FeedbackZip] = {}
        self.made: LmsImport | None = None
        """What the import file holds, once finished."""
        self.notes: list[str] = []
        """What could not go into a zip, once finished."""

    def takes(self, report: Report) -> bool:
        """Only a batch with a roster, or a student from an LMS with a feedback upload, has anything
        here: a plain batch makes no student view for it (hiding the hidden cases is most of a view's cost)."""
        return self.roster is not None or (report.student is not None and report.student.system in LAYOUTS)

    def add(self, view: View) -> None:
        if self.roster is not None:
            self.roster.add(view)
        who = view.student
        if who is not None and who.system in LAYOUTS:
            if who.system not in self._zips:
                self._zips[who.system] = FeedbackZip(self.folder, who.system)
            self._zips[who.system].add(who, view.path, html.student(view, view.source_text, overview=False))

    def finish(self) -> None:
        self.made = self.roster.finish(self.folder) if self.roster is not None else None
        for feedback in self._zips.values():
            feedback.finish()
            if feedback.left_out:
                self.notes.append(f"{count(feedback.left_out, 'page')} could not go into {feedback.name}: the "
                                  "download names no file of the student's to attach it to (a text entry, anonymous "
                                  "grading)")

    def abandon(self) -> None:
        for feedback in self._zips.values():
            feedback.abandon()


class Gradebook:
    """A batch as its reports arrive: each output fed the report as its audience may see it.

    Nothing grows with the batch but small counters, so 10,000 submissions cost no more memory
    than 1,000. ``finish`` writes the batch files; until then none exists.
    """

    def __init__(self, folder: OutputFolder, quiz: Quiz, pages: Audience, roster: Roster | None = None,
                 identity: bool = False, adjuster: Adjuster | None = None, also: Sequence[Writer] = ()):
        """``pages``: whom the feedback pages and ``junit.xml`` are for (a student, as
        ``--hide-hidden-cases`` and ``--feedback`` say); ``roster``: the gradebook export to fill in
        (``--roster``); ``identity``: whether the batch's submissions came from an LMS download, so that
        ``grades.csv`` names each student; ``adjuster``: the late penalty and overrides, applied to each
        report before anything of it is written; ``also``: more outputs fed each report (GitHub's
        annotations)."""
        self.adjuster = adjuster or Adjuster()
        self.output, self.folder = folder, folder.path
        self.variables = list(quiz.variables)
        self.roster, self.identity = roster, identity
        self.tally = Tally(quiz)
        self.reports = ReportFiles(self.folder)
        self.lms = LmsFiles(self.folder, student(pages.level), roster)
        self.outputs = Outputs([self.reports, html.Pages(self.folder, pages), junit.Suites(self.folder, pages),
                                self.lms, StudentsTable(self.folder, self.variables, roster),
                                GradesCsv(self.folder, self.variables, identity), self.tally, *also])
        """In the order they finish: the LMS files before ``students.js``, which reads the roster's matches."""
        self.written = 0
        """Reports this run wrote (not those it kept from an earlier run)."""

    def add(self, report: Report, write: bool = True) -> None:
        """Count ``report`` in; write its JSON file unless it is already on disk (``write=False``).

        The feedback page shows ``report.source_text`` when it is known. An interrupt waits until
        the submission's files and counts are all done.
        """
        adjusted = self.adjuster.apply(report)
        write = write or (adjusted.score, adjusted.adjustments) != (report.score, report.adjustments)
        with atomic.deferred():
            self.outputs.add(adjusted, without=() if write else (self.reports,))
            self.written += write

    def finish(self, notes: list[str] | None = None) -> Summary:
        """Write the batch files and remove earlier runs' files of submissions no longer in the batch.

        ``notes`` name what the batch could not search.
        """
        with atomic.deferred():
            self.outputs.finish()
            notes = list(notes or []) + self.adjuster.notes() + self.lms.notes
            summary = self.tally.summary(stale_removed=self.output.release_stale(), notes=notes,
                                         lms_import=self.lms.made)
            atomic.write(self.folder / "summary.json", summary.model_dump_json(indent=2) + "\n")
            atomic.write(self.folder / "summary.md", render.class_markdown(summary))
            atomic.write(self.folder / "index.html", html.index(summary, self.variables, self.identity,
                                                                self.roster is not None))
        return summary

    def abandon(self) -> None:
        """Drop the unfinished batch files (an interrupted batch): each student's files stay."""
        self.outputs.abandon()


def _placed(line: str, placed: dict[str, Placed]) -> str:
    """A row of ``students.js`` with the roster's names for the student and its import mark."""
    row = json.loads(line)
    where = placed.get(row[0])
    if where is not None:
        row[5], row[7] = where.names or row[5], where.mark
    return json.dumps(row) + "\n"


def claimed(submissions: Iterable[str], roster: Roster | None, systems: Iterable[str]) -> list[str]:
    """Every per-student file, import file and feedback zip a batch of ``submissions`` may write
    (``systems``: the LMSs its students come from): what its run claims (``OutputFolder.claim``)
    before writing any, so that a later run without them removes them."""
    wanted = set(systems)
    return [*(name for submission in submissions for name in student_files(submission)),
            *([roster.file_name, UNMATCHED] if roster else []),
            *(name for system, (name, _) in LAYOUTS.items() if system in wanted)]


def read_report(folder: Path, submission: str) -> Report:
    """The report on disk for ``submission``; raises OSError or ValidationError when there is no valid one."""
    return report_json.load((folder / student_files(submission)[0]).read_bytes())


NO_REPORT = "no report"
"""``existing_report``'s reason when there is no report at all (not one it declined)."""


def existing_report(folder: Path, submission: str, quiz: str, digest: str | None,
                    grading: Grading) -> Report | str:
    """The report already on disk for ``submission``, if it is valid and of the same file, gdgrade
    version, quiz (its name and the digest of its files) and grading (seed, hidden cases, limits,
    tolerances); else why not, in a few words (``NO_REPORT`` when there is none)."""
    try:
        report = read_report(folder, submission)
    except FileNotFoundError:
        return NO_REPORT
    except (OSError, ValidationError):
        return "not a valid report"
    if report.grader_version != __version__:
        return f"made by gdgrade {text.one_line(report.grader_version)[:32]} (this is {__version__})"
    if report.quiz != quiz:
        return f"of quiz {text.one_line(report.quiz)[:64]}"
    if report.grading is None or report.grading.quiz_digest != grading.quiz_digest:
        return f"graded with another version of quiz {quiz}"
    if report.source_sha256 != digest or digest is None:
        return "of a file that has changed since"
    if report.grading != grading:
        return "graded with another seed, number of hidden cases, limits or tolerances"
    return report


def kept_seed(folder: Path, submissions: Iterable[Submission], quiz: str) -> int | None:
    """The seed the folder's reports were graded with (the first valid one's), for ``--resume``."""
    for submission in submissions:
        try:
            report = read_report(folder, submission.id)
        except (OSError, ValidationError):
            continue
        if report.quiz == quiz and report.grading is not None:
            return report.grading.seed
    return None
