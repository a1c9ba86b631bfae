"""What a hidden case's message may name: the grader's own timeout is named as such."""

from __future__ import annotations

from grader.conceal import hidden_case
from grader.protocol import CaseMessage, Frame, StudentException


def message(kind: str, timeout: bool) -> CaseMessage:
    error = StudentException(type=kind, message="time limit reached", frames=[Frame(line=3, function="<module>")],
                             memory=False, timeout=timeout)
    return CaseMessage(case=2, values={}, error=error, exit_code=None, injected=[])


def test_a_hidden_case_that_ran_out_of_time_says_so():
    """The sandbox's CaseTimeout was no name Python gives, so a student read "an exception of a class
    made at run time" for a loop that never ended."""
    assert hidden_case(message("CaseTimeout", True), frozenset(), {}).error.type == "CaseTimeout"


def test_a_run_claiming_a_timeout_still_names_nothing_it_chose():
    """The flag comes from the student's process: it cannot carry a name of the run's choosing."""
    shown = hidden_case(message("x=0.3 w=0.5", True), frozenset(), {})
    assert shown.error.type == "CaseTimeout"
    assert hidden_case(message("x=0.3 w=0.5", False), frozenset(), {}).error.type.endswith("made at run time")
