"""What the instructor changes in the grader's scores: a late penalty (``--late-penalty``) and
overrides (``--overrides FILE``).

Both are applied to each report before anything is written, so every output (the report, the
feedback page, ``grades.csv``, the class page, the import file) has the same score. They are
applied to the grader's own score (``Report.graded_score``), never to an adjusted one, so a rerun
or ``--resume`` with the same options gives the same scores, and one without them gives the
grader's again.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from grader.errors import UserError
from grader.report import Adjustment, Report

PENALTY = re.compile(r"^\s*(?P<percent>\d+(?:\.\d+)?)\s*%\s*(?P<per_day>/\s*day)?\s*$")
OVERRIDE_COLUMNS = ("student", "score", "variable", "comment")
MAX_OVERRIDES_BYTES = 16 << 20


class AdjustError(UserError):
    """An option or file the instructor gave cannot be used; the message says why, in one line."""


@dataclass(frozen=True)
class LatePenalty:
    """``P%`` of the maximum off late work, once (flat) or for each day or part of a day late."""

    percent: float
    per_day: bool
    due: datetime | None = None

    @classmethod
    def parse(cls, spec: str, due: datetime | None) -> LatePenalty:
        match = PENALTY.match(spec)
        if not match or not 0 < float(match["percent"]) <= 100:
            raise AdjustError(f"--late-penalty {spec!r} is not a share of the score: give P% (off late work, "
                              "once) or P%/day (off for each day late, with --due), P from 0 to 100")
        if match["per_day"] and due is None:
            raise AdjustError(f"--late-penalty {spec}: a penalty per day needs --due, the deadline the days count from")
        return cls(float(match["percent"]), bool(match["per_day"]), due)

    def days_late(self, report: Report) -> int | None:
        """Days (or parts of one) after ``due`` the work came in; 0 on time; None when the download
        does not say. Without ``due``, only the LMS's own late flag counts (as one day)."""
        student = report.student
        if student is None:
            return None
        when = submitted_at(student.attempt) if student.attempt else None
        if self.due is not None and when is not None:
            return max(0, math.ceil((when - self.due) / timedelta(days=1)))
        return None if student.late is None else int(student.late)

    def adjustment(self, report: Report, score: float, days: int | None) -> Adjustment | None:
        """The penalty on ``score`` for work ``days`` late (``days_late``), if any."""
        if not days:
            return None
        share = min(1.0, self.percent / 100 * (days if self.per_day else 1))
        points = -min(score, round(report.max_score * share, 6))
        how = f"{self.percent:g}% a day, {days} day{'s' if days > 1 else ''} late" if self.per_day else \
            f"{self.percent:g}% off late work"
        return Adjustment(kind="late_penalty", points=points, reason=f"late: {points:g} points ({how})")


DEADLINE_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")


def deadline(text: str) -> datetime:
    """``--due``: a time (``2026-11-26T17:00``), or a date alone, which means the end of that day: work
    handed in on the day it is due is on time, as an instructor who says "due on the 26th" means."""
    text = text.strip()
    for form in DEADLINE_FORMATS:
        try:
            return datetime.strptime(text, form)
        except ValueError:
            continue
    try:
        return datetime.strptime(text, "%Y-%m-%d") + timedelta(days=1)
    except ValueError:
        raise AdjustError(f"--due {text!r} is not a deadline: give a date (2026-11-26, due by the end of "
                          "that day) or a date and time (2026-11-26T17:00)") from None


def submitted_at(attempt: str) -> datetime | None:
    """When an attempt was handed in, as the download writes it (Blackboard's ``2026-11-20 10:11:12``,
    Brightspace's ``Nov 26, 2026 517 PM``, Gradescope's ``2026-11-26 17:34:00.861687000 Z``), in the
    time the download gives (no time zone); None when it cannot be read."""
    text = re.sub(r"(\.\d+)?\s*(Z|UTC|[+-]\d\d:?\d\d)?$", "", attempt.strip())
    for parse in (datetime.fromisoformat, lambda value: datetime.strptime(value, "%b %d, %Y %I%M %p")):
        try:
            return parse(text).replace(tzinfo=None)
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class Override:
    """One row of ``--overrides``: a student's total score, or one variable's score, and why."""

    score: float
    variable: str | None
    comment: str


def read_overrides(path: Path, variables: tuple[str, ...]) -> dict[str, list[Override]]:
    """``--overrides FILE``: a CSV with the columns ``student`` (a submission id, LMS id or name, as the
    reports say), ``score``, ``variable`` (empty: the score is the total) and ``comment``; by the student's
    key, folded to lower case. Any problem is an ``AdjustError`` naming the line."""
    try:
        raw = path.read_bytes()[:MAX_OVERRIDES_BYTES + 1]
    except OSError as problem:
        raise AdjustError(f"--overrides {path} cannot be read: {problem.strerror}") from None
    if len(raw) > MAX_OVERRIDES_BYTES or b"\0" in raw:
        raise AdjustError(f"--overrides {path} is not a CSV file of overrides")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig", "replace"), newline="")))
    header = [name.strip().casefold() for name in (rows[0].keys() if rows else [])]
    if rows and not {"student", "score"} <= set(header):
        raise AdjustError(f"--overrides {path} needs the columns {', '.join(OVERRIDE_COLUMNS)} (its header is "
                          f"{', '.join(header)[:120]})")
    found: dict[str, list[Override]] = {}
    for line, row in enumerate(rows, start=2):
        cells = {(key or "").strip().casefold(): (value or "").strip() for key, value in row.items()
                 if not isinstance(value, list)}
        student, variable = cells.get("student", ""), cells.get("variable") or None
        try:
            score = float(cells.get("score", ""))
        except ValueError:
            score = math.nan
        if not student or not math.isfinite(score) or score < 0:
            raise AdjustError(f"--overrides {path}, line {line}: give a student and a score of 0 or more")
        if variable is not None and variable not in variables:
            raise AdjustError(f"--overrides {path}, line {line}: {variable!r} is not a variable of the quiz "
                              f"({', '.join(variables)})")
        found.setdefault(student.casefold(), []).append(Override(score, variable, cells.get("comment", "")))
    return found


@dataclass
class LateTally:
    """What a late penalty found in a batch: the reports it was applied to, and those whose download
    says neither when nor whether they were late."""

    penalised: int = 0
    unknown: int = 0


@dataclass(frozen=True)
class Adjuster:
    """The late penalty and overrides of a run, applied to each report (``apply``)."""

    penalty: LatePenalty | None = None
    overrides: dict[str, list[Override]] | None = None
    used: set[str] = field(default_factory=set)
    """The overrides' keys that named a student of the batch."""
    late: LateTally = field(default_factory=LateTally)
    """How many reports a late penalty was applied to, and of those how many could not say if late."""

    def _overrides_of(self, report: Report) -> list[Override]:
        """The rows naming this report's student by any of their keys; a group submission's rows name
        any of its members, and apply to the group's one report (every member has its grade)."""
        people = report.student.each() if report.student else []
        keys = {key.casefold() for key in (report.submission, *(key for person in people
                                                                for key in (person.lms_id, person.name, person.email)))
                if key}
        self.used.update(keys & set(self.overrides or {}))
        return [override for key in keys for override in (self.overrides or {}).get(key, [])]

    def notes(self) -> list[str]:
        """What the closing line must say of the adjustments: the overrides that matched no student (a
        typo must not go unseen), and a late penalty that could not tell who was late (a Moodle
        download says neither when nor whether: the penalty took nothing from anyone there)."""
        notes = []
        left = sorted(set(self.overrides or {}) - self.used)
        if left:
            shown = ", ".join(left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
            notes.append(f"{len(left)} of the overrides name{'s' if len(left) == 1 else ''} no student of this "
                         f"batch: {shown}")
        if self.late.unknown:
            notes.append(f"--late-penalty took nothing from {self.late.unknown} of {self.late.penalised} submissions: "
                         "their download says neither when they were handed in nor whether they were late")
        return notes

    def apply(self, report: Report) -> Report:
        """``report`` with its score adjusted from the grader's own: each variable override replaces that
        variable's score, then the late penalty, then a total override replaces the whole (the
        instructor's last word). A report with nothing to adjust comes back as graded."""
        graded = report.graded_score if report.graded_score is not None else report.score
        score, adjustments = graded, []
        overrides = self._overrides_of(report)
        checks = {check.name: check for check in report.checks}
        last = {override.variable: override for override in overrides}  # a row given twice counts once: the last
        for name, override in last.items():
            if name is None:
                continue
            check = checks[name]
            new = min(override.score, check.max_score)
            adjustments.append(Adjustment(kind="override", points=new - check.score, reason=(
                f"your instructor set `{check.name}` to {new:g} of {check.max_score:g}"
                + (f": {override.comment}" if override.comment else ""))))
            score += new - check.score
        late = None
        if self.penalty is not None:
            days = self.penalty.days_late(report)
            self.late.penalised += 1
            self.late.unknown += days is None
            late = self.penalty.adjustment(report, score, days)
        if late is not None:
            adjustments.append(late)
            score += late.points
        if None in last:
            override = last[None]
            new = min(override.score, report.max_score)
            adjustments.append(Adjustment(kind="override", points=new - score, reason=(
                f"your instructor set the score to {new:g} of {report.max_score:g}"
                + (f": {override.comment}" if override.comment else ""))))
            score = new
        if not adjustments and not report.adjustments and report.graded_score is None \
                and report.score == round(score, 6):
            return report  # nothing to adjust and nothing adjusted before (most reports): no copy
        return report.revised(replace(report, score=round(score, 6), adjustments=adjustments,
                                      graded_score=graded if adjustments else None))
