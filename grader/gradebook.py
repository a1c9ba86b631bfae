"""Write a batch to a folder: one JSON report per submission, the gradebook CSV, the class summary.

Every file is written to a temporary name and renamed into place, so a
killed batch never leaves a half-written report.
"""

from __future__ import annotations

import csv
import io
import os
import statistics
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from grader import __version__
from grader.report import Report, Status

FAILED_RUNS = frozenset({Status.TIMEOUT, Status.CRASHED, Status.MEMORY_LIMIT, Status.OUTPUT_LIMIT,
                         Status.INVALID_RESULT, Status.SYNTAX_ERROR, Status.UNREADABLE})


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


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


def summarise(reports: list[Report], quiz: str) -> Summary:
    """Aggregate a batch's reports into the class overview."""
    scores = [report.score for report in reports]
    names = [check.name for check in reports[0].checks] if reports else []
    variables = {}
    for name in names:
        checks = [check for report in reports for check in report.checks if check.name == name]
        variables[name] = VariableSummary(
            pass_rate=sum(check.passed for check in checks) / len(checks),
            outcomes=dict(Counter(check.outcome.value for check in checks).most_common()),
        )
    mistakes = Counter((check.name, check.mistake) for report in reports for check in report.checks
                       if check.mistake is not None)
    return Summary(
        quiz=quiz,
        submissions=len(reports),
        max_score=max((report.max_score for report in reports), default=0.0),
        mean_score=statistics.fmean(scores) if scores else 0.0,
        median_score=statistics.median(scores) if scores else 0.0,
        full_marks=sum(report.full_marks for report in reports),
        score_distribution={f"{score:g}": count for score, count in sorted(Counter(scores).items())},
        statuses=dict(Counter(report.status.value for report in reports).most_common()),
        variables=variables,
        mistakes=[MistakeCount(variable=v, mistake=m, count=n) for (v, m), n in mistakes.most_common()],
        failed_runs=[FailedRun(submission=report.submission, status=report.status)
                     for report in reports if report.status in FAILED_RUNS],
    )


def gradebook_csv(reports: Iterable[Report], variables: list[str]) -> str:
    """One row per submission: id, status, score, max_score, then each variable's score."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "status", "score", "max_score", *variables])
    for report in reports:
        scores = {check.name: check.score for check in report.checks}
        writer.writerow([report.submission, report.status.value, f"{report.score:g}", f"{report.max_score:g}",
                         *(f"{scores.get(name, 0.0):g}" for name in variables)])
    return buffer.getvalue()


def report_path(folder: Path, submission: str) -> Path:
    return folder / f"{submission}.json"


def write_report(folder: Path, report: Report) -> None:
    write_atomic(report_path(folder, report.submission), report.model_dump_json(indent=2) + "\n")


def write_batch_files(folder: Path, reports: list[Report], quiz: str, variables: list[str]) -> Summary:
    """The files that describe the whole batch: summary.json and grades.csv."""
    summary = summarise(reports, quiz)
    write_atomic(folder / "summary.json", summary.model_dump_json(indent=2) + "\n")
    write_atomic(folder / "grades.csv", gradebook_csv(reports, variables))
    return summary

