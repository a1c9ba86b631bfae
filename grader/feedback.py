"""How much a student-facing report gives away: the instructor's ``--feedback`` level.

``full`` is everything gdgrade can tell. ``hints`` names each mistake and where it is, but never the
formula of a step not yet earned: messages are rebuilt from the check's data (its outcome, the case,
the line, the diagnosis's ``located`` text), and the hints, the step descriptions and the right
values' formulas are left out; the student's own formula stays (it is theirs). ``outcomes`` says only
which steps are right. What is left out is decided from the report's fields, never from its wording.
Instructors' JSON reports of a batch keep everything.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from grader.report import PASSING, Check, Outcome, Report, case_phrase

Level = Literal["full", "hints", "outcomes"]
LEVELS: tuple[Level, ...] = ("full", "hints", "outcomes")
OWN_FORMULA = frozenset({"known_mistake", "formula", "expression"})
"""Diagnoses whose ``expression`` is what the student computed, not the step's formula."""
SAID = {
    Outcome.CORRECT: "is correct",
    Outcome.CONSISTENT: "is right given your own earlier values",
    Outcome.WRONG: "is wrong",
    Outcome.MISSING: "is missing",
    Outcome.HARDCODED: "is hard-coded: it does not change with the inputs",
}


def _hinted(check: Check) -> Check:
    """A failing check with the mistake and its place, without the step's formula."""
    where = f" at {check.place}" if check.place else ""
    case = f" in {case_phrase(check.failed_case)}" if check.failed_case else ""
    diagnosis = check.diagnosis
    message = f"`{check.name}` {SAID[check.outcome]}{case}{where}"
    failing = next((detail for detail in check.cases if detail.case == check.failed_case), None) or (
        check.cases[0] if check.cases else None)
    if diagnosis is not None:
        said = diagnosis.located or diagnosis.explanation
        message += f": {said}"
        diagnosis = replace(diagnosis, explanation=said, hint=None,
                            expression=diagnosis.expression if diagnosis.kind in OWN_FORMULA else None)
    elif failing is not None and failing.problem:  # what the values show, never how to compute them
        message += f": {failing.problem}"
    return replace(check, message=message, hint=None, diagnosis=diagnosis)


def _outcome_only(check: Check) -> Check:
    cases = [replace(case, expected=None, actual=None, actual_shape=None, abs_error=None, rel_error=None,
                     problem=None, failure=None) for case in check.cases]
    return replace(check, message=f"`{check.name}` {SAID[check.outcome]}", hint=None, mistake=None, diagnosis=None,
                   cases=cases)


def at_level(report: Report, level: Level) -> Report:
    """The report as a student may see it at ``level``."""
    if level == "full":
        return report
    if level == "outcomes":
        return report.revised(replace(report, checks=[_outcome_only(check) for check in report.checks]))
    return report.revised(replace(report, checks=[check if check.outcome in PASSING else _hinted(check)
                                                  for check in report.checks]))
