"""The class overview of a batch: what every class-level format (summary.json, summary.md,
index.html, the closing line) is rendered from.

``Tally`` counts reports as they arrive; nothing in it grows with the batch but the list of
submissions that did not complete, so memory stays flat for any class size.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable
from fractions import Fraction

from pydantic import BaseModel, Field

from grader import __version__
from grader.audience import INSTRUCTOR, View
from grader.formats.writer import Writer
from grader.quiz import Quiz
from grader.report import SYSTEM_TITLES, Status
from grader.text import count

MAX_BINS = 100
"""More distinct scores than this are shown as the scores that occur, not every possible one."""


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
    reason: str | None = Field(None, description="for nothing_gradable: why no file could be graded")


class LmsImport(BaseModel):
    """What ``--roster`` made: the import file, and who was matched."""

    system: str
    file: str = Field(description="the import file, in the batch's folder")
    column: str = Field(description="the assignment's column, headed as the system expects")
    points: float | None = Field(description="points possible: scores are scaled to them")
    graded: int = Field(description="roster rows given a grade")
    held: int = Field(0, description="roster rows left blank for the instructor: a submission reached them but could "
                                     "not be graded, or matched more than one row, or shared its row with another")
    without_submission: int = Field(description="roster rows no submission matched")
    missing: str = Field(description="what those rows got: blank, or zero (--missing zero)")
    unmatched: int = Field(description="submissions whose grade is not in the import file: see unmatched.csv")
    notes: list[str] = []

    def describe(self) -> str:
        """What was written and who was matched, in one sentence (no final stop)."""
        points = f", {self.points:g} points" if self.points is not None else ""
        missing = "left blank" if self.missing == "blank" else "given 0"
        held = f", {self.held} left blank for you to grade by hand" if self.held else ""
        sentence = (f"wrote {self.file} ({self.system}, column \"{self.column}\"{points}): {self.graded} of "
                    f"{count(self.graded + self.held + self.without_submission, 'roster student')} graded{held}, "
                    f"{self.without_submission} with no submission {missing}; ")
        sentence += (f"{count(self.unmatched, 'submission')} not imported (see unmatched.csv for why)"
                     if self.unmatched else "every submission imported")
        return sentence + "".join(f"; note: {note}" for note in self.notes)

    @staticmethod
    def downloads(downloads: dict[str, int], total: int) -> str:
        """Where a batch's submissions came from: ``118 from a Canvas download, 2 from plain folders``."""
        rest = total - sum(downloads.values())
        if len(downloads) == 1 and not rest:
            return f"from a {next(iter(downloads))} download"
        parts = [f"{number} from a {system} download" for system, number in downloads.items()]
        return ", ".join(parts + ([f"{rest} from plain folders"] if rest and parts else []))


class Summary(BaseModel):
    """The class overview of one batch."""

    quiz: str
    grader_version: str = __version__
    submissions: int
    max_score: float
    mean_score: float
    median_score: float
    full_marks: int
    score_distribution: dict[str, int] = Field(
        description="submissions per score, every possible score from 0 to the maximum included")
    statuses: dict[str, int] = Field(description="submissions per status (see the report's status)")
    variables: dict[str, VariableSummary]
    mistakes: list[MistakeCount]
    failed_runs: list[FailedRun] = Field(description="every submission whose status is not completed")
    stale_removed: int = Field(0, description="reports of submissions no longer in the batch, removed from the folder")
    notes: list[str] = Field([], description="what the batch could not search, each named")
    downloads: dict[str, int] = Field({}, description="submissions per learning-management system download "
                                                      "they came from (the rest came from plain folders)")
    lms_import: LmsImport | None = Field(None, description="the import file --roster made")


def score_bins(weights: Iterable[float]) -> list[float]:
    """Every score a submission can get, 0 to the maximum, in steps of the weights' common divisor."""
    fractions = [Fraction(weight).limit_denominator(1000) for weight in weights]
    top = sum(fractions, Fraction(0))
    step = Fraction(math.gcd(*(f.numerator for f in fractions)),
                    math.lcm(*(f.denominator for f in fractions))) if fractions else Fraction(1)
    if top <= 0 or step <= 0 or top / step > MAX_BINS:
        return []
    return [float(step * index) for index in range(int(top / step) + 1)]


class Tally(Writer):
    """The counters of a batch, fed one report at a time: the class overview is the instructor's."""

    def __init__(self, quiz: Quiz):
        super().__init__(INSTRUCTOR)
        self.quiz = quiz
        self.bins = score_bins(step.weight for step in quiz.steps)
        self.count = 0
        self.max_score = 0.0
        self.scores: Counter[float] = Counter()
        self.statuses: Counter[str] = Counter()
        self.outcomes = {name: Counter[str]() for name in quiz.variables}
        self.passed: Counter[str] = Counter()
        self.mistakes: Counter[tuple[str, str]] = Counter()
        self.failed: list[FailedRun] = []
        self.downloads: Counter[str] = Counter()

    def add(self, report: View) -> None:
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
        if report.student is not None:
            self.downloads[SYSTEM_TITLES[report.student.system]] += 1
        if report.status is not Status.COMPLETED:
            reason = report.selection if report.status is Status.NOTHING_GRADABLE else None
            self.failed.append(FailedRun(submission=report.submission, status=report.status, reason=reason))

    def _distribution(self) -> dict[str, int]:
        shown = Counter({score: 0 for score in self.bins})
        shown.update(self.scores)
        return {f"{score:g}": count for score, count in sorted(shown.items())}

    def summary(self, stale_removed: int = 0, notes: list[str] | None = None,
                lms_import: LmsImport | None = None) -> Summary:
        total = sum(score * count for score, count in self.scores.items())
        ordered = sorted(self.scores.elements())
        return Summary(
            quiz=self.quiz.name,
            submissions=self.count,
            max_score=self.max_score,
            mean_score=total / self.count if self.count else 0.0,
            median_score=statistics.median(ordered) if ordered else 0.0,
            full_marks=sum(count for score, count in self.scores.items() if score >= self.max_score > 0),
            score_distribution=self._distribution(),
            statuses={status.value: self.statuses[status.value] for status in Status if self.statuses[status.value]},
            variables={name: VariableSummary(pass_rate=self.passed[name] / self.count if self.count else 0.0,
                                             outcomes=dict(counts.most_common()))
                       for name, counts in self.outcomes.items()},
            mistakes=[MistakeCount(variable=v, mistake=m, count=n) for (v, m), n in self.mistakes.most_common()],
            failed_runs=self.failed,
            stale_removed=stale_removed,
            notes=notes or [],
            downloads=dict(self.downloads.most_common()),
            lms_import=lms_import,
        )
