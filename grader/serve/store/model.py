"""What the attempt store keeps and hands back: typed records, and the one error it raises.

The server reads these, never rows: every seam between the store and the rest of gdgrade is a
frozen dataclass, so a column renamed in a migration cannot break a caller silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from grader.report import Report

Kind = Literal["run", "submit"]
"""A test run (the public case shown) or a Submit (graded in full)."""
Which = Literal["best", "last"]
"""Which of a student's submits an export takes: their best score (the latest of equals) or their latest."""


@dataclass(frozen=True)
class Attempt:
    """One press of Test run or Submit: who, which quiz, when, the file and the full report (hidden cases
    included: the instructor's view; what the student saw is ``audience.student``'s view of it)."""

    user: str
    name: str | None
    quiz: str
    kind: Kind
    at: datetime
    source: str
    report: Report = field(repr=False)
    launch: str | None = None
    """The LMS launch it was made in (``Launch.id``), when the page was opened from an LMS."""

    def __post_init__(self) -> None:
        if self.kind not in ("run", "submit"):
            raise ValueError(f"an attempt is a run or a submit, not {self.kind!r}")
        if self.at.tzinfo is None:  # a naive time means something else on every replica
            raise ValueError("an attempt's time must say its time zone")
        object.__setattr__(self, "at", self.at.astimezone(UTC))

    @property
    def score(self) -> float:
        return self.report.score

    @property
    def max_score(self) -> float:
        return self.report.max_score

    @property
    def source_bytes(self) -> int:
        """What the file costs on disk, as quotas count it."""
        return len(self.source.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class Recorded:
    """An attempt as stored, with the number ``Store.record`` gave it."""

    id: int
    attempt: Attempt


@dataclass(frozen=True)
class Usage:
    """What a student has used of a quiz since a time: for quotas."""

    attempts: int
    stored_bytes: int
    """Their files' bytes and their reports' characters: what the quota bounds."""


@dataclass(frozen=True)
class StudentSummary:
    """One line of the instructor's live view of the class."""

    user: str
    name: str | None
    """The latest name given with their attempts."""
    attempts: int
    submits: int
    best_score: float | None
    """Of their submits; None before the first."""
    last_score: float | None
    max_score: float | None
    last_at: datetime
    """Their latest attempt of either kind."""
    last_report: Report | None = field(repr=False)
    """Their latest submit's full report: what they got wrong last."""


class StoreUnavailable(Exception):
    """The database could not do what was asked (down, unreachable, disk full, busy).

    ``str()`` is a sentence a student may read: it names no host, file or query. ``detail`` is the
    database's own words, for the operator's log.
    """

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message, self.detail = message, detail
