"""Write a batch to a folder: one JSON report per submission, the gradebook CSV, the class summary.

Every file is written to a temporary name and renamed into place, so a
killed batch never leaves a half-written report.
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from pathlib import Path

from pydantic import BaseModel

from grader import __version__, atomic, html, junit, render
from grader.atomic import AtomicFile
from grader.discover import Submission
from grader.report import Report, Status, for_students
from grader.source import SourceError, decode

FAILED_RUNS = frozenset({Status.TIMEOUT, Status.CRASHED, Status.MEMORY_LIMIT, Status.OUTPUT_LIMIT,
                         Status.INVALID_RESULT, Status.SYNTAX_ERROR, Status.UNREADABLE})


class VariableSummary(BaseModel):
    pass_rate: float
    outcomes: dict[str, int]


class MistakeCount(BaseModel):
    variable: str
    mistake: str
    count: int


class FailedRun(BaseModel):
    submission: str
    status: Status


class Summary(BaseModel):
    """The class overview of one batch."""

    quiz: str
    grader_version: str = __version__
    submissions: int
    max_score: float
    mean_score: float
    median_score: float
    full_marks: int
    score_distribution: dict[str, int]
    statuses: dict[str, int]
    variables: dict[str, VariableSummary]
    mistakes: list[MistakeCount]
    failed_runs: list[FailedRun]


class Gradebook:
    """A batch as its reports arrive: each student's JSON report and feedback page, a gradebook row,
    a JUnit suite, the class tallies.

    Nothing grows with the batch but small counters, so 10,000 submissions cost
    no more memory than 1,000. ``finish`` writes the batch files (grades.csv,
    junit.xml, summary.json, summary.md, index.html); until then none exists
    half-written. ``hide_hidden`` keeps hidden cases' values out of the
    student-facing pages; the JSON reports keep everything.
    """

    def __init__(self, folder: Path, quiz: str, variables: list[str], hide_hidden: bool = False):
        self.folder, self.quiz, self.variables, self.hide_hidden = folder, quiz, variables, hide_hidden
        self.junit = junit.Writer(folder)
        self._gradebook = AtomicFile(folder / "grades.csv")
        self._csv = csv.writer(self._gradebook.stream, lineterminator="\n")
        self._csv.writerow(["id", "status", "score", "max_score", *variables])
        self.count = 0
        self.max_score = 0.0
        self.scores: Counter[float] = Counter()
        self.statuses: Counter[str] = Counter()
        self.outcomes = {name: Counter[str]() for name in variables}
        self.passed: Counter[str] = Counter()
        self.mistakes: Counter[tuple[str, str]] = Counter()
        self.failed: list[FailedRun] = []

    def add(self, report: Report, write: bool = True) -> None:
        """Count ``report`` in; write its JSON file unless it is already on disk (``write=False``)."""
        if write:
            atomic.write(report_path(self.folder, report.submission), report.model_dump_json(indent=2) + "\n")
        shown = for_students(report) if self.hide_hidden else report
        atomic.write(self.folder / f"{report.submission}.html", html.student(shown, _source_text(report)))
        self.junit.add(report)
        scores = {check.name: check.score for check in report.checks}
        self._csv.writerow([report.submission, report.status.value, f"{report.score:g}", f"{report.max_score:g}",
                            *(f"{scores.get(name, 0.0):g}" for name in self.variables)])
        self.count += 1
        self.max_score = max(self.max_score, report.max_score)
        self.scores[report.score] += 1
        self.statuses[report.status.value] += 1
        for check in report.checks:
            if check.name in self.outcomes:
                self.outcomes[check.name][check.outcome.value] += 1
                self.passed[check.name] += check.passed
            if check.mistake is not None:
                self.mistakes[(check.name, check.mistake)] += 1
        if report.status in FAILED_RUNS:
            self.failed.append(FailedRun(submission=report.submission, status=report.status))

    def _median(self) -> float:
        ordered = sorted(self.scores.elements())
        return statistics.median(ordered) if ordered else 0.0

    def summary(self) -> Summary:
        total = sum(score * count for score, count in self.scores.items())
        return Summary(
            quiz=self.quiz,
            submissions=self.count,
            max_score=self.max_score,
            mean_score=total / self.count if self.count else 0.0,
            median_score=self._median(),
            full_marks=sum(count for score, count in self.scores.items() if score >= self.max_score > 0),
            score_distribution={f"{score:g}": count for score, count in sorted(self.scores.items())},
            statuses=dict(self.statuses.most_common()),
            variables={name: VariableSummary(pass_rate=self.passed[name] / self.count if self.count else 0.0,
                                             outcomes=dict(counts.most_common()))
                       for name, counts in self.outcomes.items()},
            mistakes=[MistakeCount(variable=v, mistake=m, count=n) for (v, m), n in self.mistakes.most_common()],
            failed_runs=self.failed,
        )

    def finish(self) -> Summary:
        """Write the batch files: grades.csv, junit.xml, summary.json, summary.md, index.html."""
        summary = self.summary()
        self._gradebook.commit()
        self.junit.finish()
        atomic.write(self.folder / "summary.json", summary.model_dump_json(indent=2) + "\n")
        atomic.write(self.folder / "summary.md", render.class_markdown(summary))
        atomic.write(self.folder / "index.html", html.index(summary, self.folder / "grades.csv"))
        return summary

    def abandon(self) -> None:
        """Drop the unfinished batch files (an interrupted batch): each student's files stay."""
        self._gradebook.discard()
        self.junit.abandon()


def _source_text(report: Report) -> str | None:
    """The graded file's text for the feedback page, read as safely as for grading; None if it cannot be."""
    try:
        return decode(Submission(report.submission, Path(report.path)).read())
    except (OSError, SourceError):
        return None


def report_path(folder: Path, submission: str) -> Path:
    return folder / f"{submission}.json"


def read_report(folder: Path, submission: str) -> Report:
    """The report on disk for ``submission``; raises OSError or ValueError when there is no valid one."""
    return Report.model_validate_json(report_path(folder, submission).read_bytes())


def existing_report(folder: Path, submission: str, quiz: str, digest: str | None) -> Report | None:
    """The report already on disk for ``submission``, if it is valid and of the same file and quiz."""
    try:
        report = read_report(folder, submission)
    except (OSError, ValueError):
        return None
    if report.quiz != quiz or report.source_sha256 != digest or digest is None:
        return None
    return report
