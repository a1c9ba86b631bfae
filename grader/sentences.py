"""The sentences a check tells of one case, each rendered from the check's data alone.

Judging (``grader.compare``) renders them for the report with every field; the student view
(``grader.audience``) renders them again from the same fields with what a hidden case would give
away dropped (its sizes, its values, the calls inside its failing statement). So no sentence here
can show a student more than the data it is given: rewording one changes both views alike, and a
hidden number cannot reach a student through the wording, since the student's rendering never
holds it. ``told`` is the one place that knows which sentence a check's message is.
"""

from __future__ import annotations

from collections.abc import Sequence

from grader.report import Call, CaseDetail, Check, OtherShape, Outcome, Stopped, case_phrase
from grader.text import code_span, count, describe_shape

FAILURE_TEXT = {
    "not_run": "not computed: the run stopped before this case",
    "not_reached": "not reached: the code stopped earlier in this case",
    "missing": "not defined",
    "not_a_number": "not a number",
    "shape": "the wrong shape",
    "nan": "contains NaN",
    "infinity": "contains infinity",
    "too_large": "far too large",
    "value": "the wrong value",
}
"""How a failure is described without the case's inputs or expected values."""
HIDDEN_TRACEBACK = "(in a hidden case its message and the calls inside this line are not shown)"


def size(shape: Sequence[int], bare: bool = False) -> str:
    """How big an input is, as a student counts it: ``4 elements`` for a vector, ``shape (4, 2)``
    for a matrix (whose first length alone would hide a change of its columns)."""
    if len(shape) == 1:
        return str(shape[0]) if bare else count(shape[0], "element")
    return str(tuple(shape)) if bare else f"shape {tuple(shape)}"


def story(name: str, stopped: Stopped, subject: str = "your code") -> str:
    """What happened where a case stopped: the statement, the exception, the step it was computing,
    the case, and the size of an input that differs from the public case's (what the code seems to
    assume). ``name``: the check the message is about."""
    how = (f"ran out of time at {stopped.place}" if stopped.error is None
           else f"stopped at {stopped.place} with {code_span(stopped.error)}")
    reached = (f"before computing `{stopped.step}`" if not stopped.inside
               else "while computing it" if stopped.step == name else f"while computing `{stopped.step}`")
    where = (f", where `{stopped.size.input}` has {size(stopped.size.shape)} "
             f"({size(stopped.size.public_shape, bare=True)} in the public case)" if stopped.size else "")
    assumption = f": it seems to assume {size(stopped.assumed)}, as in the public case" if stopped.assumed else ""
    return f"{subject} {how} {reached} in {case_phrase(stopped.case)}{where}{assumption}"


def known_mistake(mistake: str | None) -> str:
    return f". This matches a known mistake: {mistake}" if mistake else ""


def stopped_message(name: str, stopped: Stopped, mistake: str | None) -> str:
    """The message of a check whose case stopped: not reached, raised, or reached in the public case alone."""
    if stopped.told == "not_reached":
        return f"`{name}` was not reached: {story(name, stopped)}"
    if stopped.told == "raised":
        return f"`{name}` is wrong: {story(name, stopped)}{known_mistake(mistake)}"
    return (f"`{name}` could not be judged: only the public case, whose answer is known, reached it; your code "
            f"stopped before it in every hidden case (the first time: {story(name, stopped, 'it')})")


def wrong_message(name: str, case: str, problem: str, mistake: str | None) -> str:
    """The message of a ``wrong`` value: where it first fails, how, and the known mistake it matches."""
    return f"`{name}` is wrong in {case_phrase(case)}: {problem}{known_mistake(mistake)}"


def correct_message(name: str, cases: Sequence[CaseDetail], other_shape: OtherShape | None) -> str:
    """The message of a ``correct`` value: in how many cases, those the code never reached, and a
    right value's other shape (accepted)."""
    skipped = [case.case for case in cases if not case.passed]
    if skipped:
        message = (f"`{name}` is correct in the {count(len(cases) - len(skipped), 'case')} where your code reached "
                   f"it (it stopped before it in {', '.join(skipped)})")
    else:
        message = f"`{name}` is correct in " + (f"all {count(len(cases), 'case')}" if len(cases) > 1
                                                else "the public case")
    if other_shape is not None:
        message += (f", as {describe_shape(other_shape.shape)} where {describe_shape(other_shape.wanted)} is asked: "
                    "the numbers are right and the extra length-one axes are accepted (`np.squeeze` removes them)")
    return message


def told(check: Check) -> str | None:
    """The message of a check that tells of one case, rendered from its fields: where the run
    stopped, a value wrong in a case, or right in the cases reached; None for a message that tells
    of no case (hard-coded, consistent, missing everywhere), which holds no case's data."""
    if check.stopped is not None:
        return stopped_message(check.name, check.stopped, check.mistake)
    if check.outcome is Outcome.CORRECT:
        return correct_message(check.name, check.cases, check.other_shape)
    failing = next((case for case in check.cases if case.case == check.failed_case), None)
    if check.outcome is Outcome.WRONG and failing is not None:
        return wrong_message(check.name, failing.case, failing.problem or "", check.mistake)
    return None


def explained(check: Check) -> str | None:
    """The diagnosis's explanation when it tells where the run stopped (``exception``, ``not_reached``),
    rendered from the check's fields; None for any other, which holds no case's data."""
    if check.stopped is None or check.diagnosis is None:
        return None
    if check.diagnosis.kind == "exception":
        return story(check.name, check.stopped)
    if check.diagnosis.kind == "not_reached":
        return stopped_message(check.name, check.stopped, check.mistake)
    return None


def traceback(frames: Sequence[Call], kind: str, message: str) -> str:
    """The student's exception as Python prints it, with their own frames alone."""
    raised = f"{kind}: {message}"
    if not frames:
        return raised
    trace = "\n".join(f"  {frame.place}, in {frame.function}\n    {frame.source}" for frame in frames)
    return f"Traceback (your code):\n{trace}\n{raised}"


def statement_traceback(frames: Sequence[Call], kind: str) -> str:
    """A hidden case's exception as a student may see it: the file's own statement (the outermost
    frame) and the exception's type; its message and the calls inside can spell the case's inputs."""
    statement = "".join(f"Traceback (your code):\n  {frame.place}, in {frame.function}\n    {frame.source}\n"
                        for frame in frames[:1])
    return f"{statement}{kind} {HIDDEN_TRACEBACK}"
