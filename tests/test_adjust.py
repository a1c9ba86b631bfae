"""Overrides and late penalties applied to a report (grader/adjust.py)."""

from __future__ import annotations

from dataclasses import replace

from grader.adjust import Adjuster, Override
from grader.report import Member, Student


def graded(fork_grader, sample: str, student: Student | None = None):
    from grader import intake

    from .conftest import SUBMISSIONS

    report = next(fork_grader.grade([intake.one(SUBMISSIONS / sample / "gradient.py", "gradient.py")]))
    return replace(report, student=student)


def test_a_row_given_twice_or_by_two_keys_counts_once(fork_grader):
    student = Student(system="canvas", name="leebo", lms_id="34567", entry="leebo_34567")
    report = graded(fork_grader, "correct_dot", student)
    twice = Adjuster(overrides={"34567": [Override(0, "del_w", "copied")] * 2, "leebo": [Override(0, "del_w", "")]})
    assert twice.apply(report).score == 4  # not 3, nor 2


def test_a_group_submissions_override_may_name_any_member(fork_grader):
    """The group has one report, and each member its grade: a row naming the second member is for
    the group too, never 'no student of this batch'."""
    group = Student(system="gradescope", name="Jane Doe", lms_id="1", entry="submission_1",
                    members=[Member(name="Jane Doe", lms_id="1"), Member(name="John Roe", lms_id="2")])
    adjuster = Adjuster(overrides={"2": [Override(3, None, "late by agreement")]})
    assert adjuster.apply(graded(fork_grader, "correct_dot", group)).score == 3
    assert adjuster.notes() == []
