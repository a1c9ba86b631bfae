"""Who an output is written for, and what of a report they may see.

Every output is told its audience once, when it is made (``grader.formats.writer``), and every
student-facing face (``gdgrade check``, the quiz page, a notebook, a batch's pages and LMS files)
makes its view with ``Audience.view``. The instructor reads a report whole. A student reads it at
the instructor's ``--feedback`` level (``grader.feedback``) and, unless the instructor lets them see
the hidden cases, with every hidden case said and not shown: its inputs, sizes and expected values,
its exception's message and the calls inside its failing statement, the seed that would draw it
again, and gdgrade's own faults (which may hold anything gdgrade held) are left out.

What is left out is decided from fields, never from the wording of a sentence: what a check's
message tells of a case is data on the check (``Check.stopped``, ``Check.other_shape``, its
``cases``), a student's error keeps its frames as data, and the student's sentences are rendered
again (``grader.sentences``) from the data with the hidden fields dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, NewType

from grader import sentences
from grader.feedback import Level, at_level
from grader.report import CaseDetail, Check, Report, StudentError, is_hidden

View = NewType("View", Report)
"""A report as one audience may see it: what every output writes (only ``Audience.view`` makes one)."""


@dataclass(frozen=True)
class Audience:
    """Who reads an output: ``INSTRUCTOR``, or a student (``student``) at a feedback level, who sees
    the hidden cases only when the instructor shows them (no ``--hide-hidden-cases``)."""

    reader: Literal["instructor", "student"]
    level: Level = "full"
    hidden_shown: bool = False

    def view(self, report: Report) -> View:
        """The report as this audience may see it."""
        if self.reader == "instructor":
            return View(report)
        return View(at_level(report if self.hidden_shown else hide_hidden(report), self.level))


INSTRUCTOR = Audience("instructor")


def student(level: Level, hidden_shown: bool = False) -> Audience:
    """A student reading at ``level``; ``hidden_shown``: the instructor lets them see the hidden cases."""
    return Audience("student", level, hidden_shown)


def _case(case: CaseDetail) -> CaseDetail:
    """A hidden case as a student sees it: that and how it failed, none of its values."""
    return replace(case, expected=None, actual=None, actual_shape=None, abs_error=None, rel_error=None,
                   problem=sentences.FAILURE_TEXT[case.failure] if case.failure else None)


UNSHOWN = "a statement of your file not shown for a hidden case (which statement could tell its inputs)"
"""Where a hidden case stopped, when it was not at a step's own statement: a file can choose the line
it stops at from the case's inputs (one ``raise`` per value), so only the steps' lines are told."""


def _check(check: Check, steps: frozenset[str]) -> Check:
    """A check with its hidden cases' data dropped and its sentences rendered again from what is left.

    The renderer is given the check without the instructor's wording (its message and explanation
    blank), so no sentence can carry over what the data no longer holds. A sentence that tells of
    no case (hard-coded, consistent) is kept as judged: it holds no case's data."""
    stopped, other_shape, diagnosis = check.stopped, check.other_shape, check.diagnosis
    if stopped is not None and is_hidden(stopped.case):
        stopped = replace(stopped, size=None, place=stopped.place if stopped.place in steps else UNSHOWN)
    if other_shape is not None and is_hidden(other_shape.case):
        other_shape = None
    data = replace(check, cases=[_case(case) if is_hidden(case.case) else case for case in check.cases],
                   stopped=stopped, other_shape=other_shape, message="",
                   diagnosis=diagnosis and replace(diagnosis, explanation=""))
    explanation = sentences.explained(data)
    return replace(data, message=sentences.told(data) or check.message,
                   diagnosis=diagnosis and replace(diagnosis, explanation=explanation or diagnosis.explanation))


def _error(error: StudentError, steps: frozenset[str]) -> StudentError:
    """A hidden case's exception as a student sees it: its type, at the file's own statement when that
    is a step's. Its message, the lines of the calls inside, and which other line it raised at may
    spell the case's inputs."""
    statement = [frame for frame in error.frames[:1] if frame.place in steps]
    return replace(error, message="", frames=statement, line=statement[0].line if statement else None,
                   place=statement[0].place if statement else None,
                   traceback=sentences.statement_traceback(statement, error.type))


def hide_hidden(report: Report) -> Report:
    """The report with its hidden cases said and not shown (see the module's docstring)."""
    error = report.error
    steps = frozenset(check.place for check in report.checks if check.place is not None)
    # the seed would let anyone draw the hidden cases again: a student's view has no grading record
    return report.revised(replace(
        report, checks=[_check(check, steps) for check in report.checks],
        error=_error(error, steps) if error is not None and is_hidden(error.case) else error,
        grading=None, fault=None))
