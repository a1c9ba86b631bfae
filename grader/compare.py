"""The comparison engine: one outcome per checked variable, from validated values.

For each step of the quiz it decides, in this order, the first that applies: missing, wrong
(the code raised while computing it), correct, hardcoded (literal), consistent, hardcoded
(constant), wrong. "Consistent" gives credit to a step that is right given the student's own
wrong upstream values (error carried forward).

A case whose run raised is judged fairly: the step whose line raised (or the first one the code
never reached) is wrong, with what happened; every later step is judged on the cases where the
code reached it, the public one at least. A failing check gets a ``Diagnosis``: a known mistake,
integers that cut fractions, a list's operators, or a formula that gives the value: explaining
is ``grader.diagnose``'s, so this module only judges.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from grader import diagnose
from grader.evidence import (
    CaseRun,
    Context,
    Expected,
    Facts,
    Reference,
    Stop,
    as_array,
    changed_givens,
    describe_shape,
    extra_axes,
    not_assigned,
)
from grader.protocol import Missing, Numeric, Other, StudentValue
from grader.quiz import Step, apply, close, parameters
from grader.report import (
    FAILURE_TEXT,
    PASSING,
    CaseDetail,
    Check,
    Diagnosis,
    Outcome,
    case_name,
    case_phrase,
    wrong_message,
)
from grader.text import code_span, count, names, plural

__all__ = ["CaseRun", "Facts", "Reference", "Stop", "changed_givens", "check_all", "close", "not_assigned"]
"""What the grader reads from here: judging lives in this module, the evidence it reads in
``grader.evidence`` and the explaining in ``grader.diagnose``."""

KEPT_VALUES = 100
"""A student's value with more elements is described by its shape in the report, not copied into it."""


def _plain(value: Numeric) -> object:
    """A student's numbers as JSON data shaped like the value."""
    if value.values is None:
        return None
    if not value.shape:
        return value.values[0]
    if len(value.shape) == 1:
        return list(value.values)
    return np.array(value.values).reshape(value.shape).tolist()


def _detail(index: int, value: StudentValue | None, expected: Expected, step: Step) -> CaseDetail:
    """Compare one case in plain Python: values are a handful of floats, numpy calls would dominate."""
    detail = {"case": case_name(index), "expected": expected.plain}
    if value is None:
        return CaseDetail(passed=False, failure="not_run", problem=FAILURE_TEXT["not_run"],
                          **detail)
    if isinstance(value, Missing):
        return CaseDetail(passed=False, failure="missing",
                          problem="not defined" if value.kind == "missing" else "still None", **detail)
    if isinstance(value, Other):
        return CaseDetail(passed=False, failure="not_a_number", problem=f"not a number: got {code_span(value.type)}",
                          **detail)
    detail["actual_shape"] = list(value.shape)
    if value.values is not None and len(value.values) <= KEPT_VALUES:
        detail["actual"] = _plain(value)
    if tuple(value.shape) != expected.shape and (step.strict_shape or not extra_axes(value.shape, expected.shape)):
        return CaseDetail(passed=False, failure="shape", problem=f"wrong shape: expected "
                          f"{describe_shape(expected.shape)}, got {describe_shape(value.shape)}", **detail)
    if value.values is None:
        return CaseDetail(passed=False, failure="too_large", problem="too large to compare", **detail)
    actual = value.values
    if expected.finite and tuple(actual) == expected.values:  # most right values are the reference's, bit for bit
        return CaseDetail(passed=True, abs_error=0.0, rel_error=expected.exact_relative, **detail)
    differences = [abs(a - e) for a, e in zip(actual, expected.values)]
    largest = max(differences, default=0.0)
    relatives = [d / abs(e) for d, e in zip(differences, expected.values) if e != 0 and math.isfinite(d)]
    relative = max(relatives) if relatives else None
    problem = failure = None
    if any(math.isnan(a) for a in actual):
        problem, failure = "contains NaN", "nan"
    elif any(math.isinf(a) for a in actual):
        problem, failure = "contains infinity", "infinity"
    else:
        bad = [d > step.atol + step.rtol * abs(e) for d, e in zip(differences, expected.values)]
        if any(bad):
            failure = "value"
            share = "" if relative is None else f", {relative:.2%}"
            worst = differences.index(largest)
            got, wanted = actual[worst], expected.values[worst]
            if not expected.shape:
                problem = f"expected {wanted:.10g}, got {got:.10g} (off by {largest:.3g}{share})"
            else:
                where = np.unravel_index(worst, expected.shape)
                at = int(where[0]) if len(where) == 1 else tuple(int(i) for i in where)
                problem = (f"{sum(bad)} of {count(len(bad), 'element')} {plural(sum(bad), 'differs')}; "
                           f"largest difference {largest:.3g}{share}"
                           f" at index {at} (expected {wanted:.10g}, got {got:.10g})")
    finite = math.isfinite(largest)
    return CaseDetail(passed=problem is None, failure=failure, problem=problem,
                      abs_error=largest if finite else None, rel_error=relative, **detail)


def _judged(context: Context, step: Step) -> list[int]:
    """The cases a step is judged on: every case but those where the code stopped before it."""
    return [index for index in range(len(context.runs)) if context.reached(step.name, index)]


def _consistent(context: Context, step: Step, judged: Sequence[int]) -> tuple[str, ...] | None:
    """The upstream names of the formulation that, applied to the student's own upstream values,
    gives the student's value in every judged case; None when none does."""
    if any(context.runs[index] is None for index in judged):
        return None
    for formulation in step.formulations:
        if all(_formulation_matches(context, step, formulation, index) for index in judged):
            return parameters(formulation)
    return None


def _formulation_matches(context: Context, step: Step, formulation, index: int) -> bool:  # noqa: ANN001
    actual, own = as_array(context.value(step.name, index)), context.own[index]
    if actual is None or own is None:
        return False
    try:
        return close(actual, apply(formulation, own), step.rtol, step.atol)
    except Exception:  # noqa: BLE001 - a formula that cannot take these values does not give them
        return False


def _shows_work(context: Context, step: Step, judged: Sequence[int]) -> bool:
    """Whether the values could only come from computing: not made of 0, 1 and -1 alone (to within
    the step's tolerance), which a formula saturates to (a logistic function of 1000 is 1, its
    slope 0) and anyone can type."""
    for index in judged:
        array = as_array(context.value(step.name, index))
        if array is None:
            continue
        near = [np.abs(array - target) <= step.atol + step.rtol * abs(target) for target in (0.0, 1.0, -1.0)]
        if not np.all(np.logical_or.reduce(near)):
            return True
    return False


def _varies(context: Context, step: Step, judged: Sequence[int]) -> bool:
    """Whether the student's value changes between the judged cases. One that does not could have
    been typed from the public case's answer (``float("0.6899744811")``): computed and copied
    cannot be told apart, so it earns no credit for being consistent."""
    arrays = [as_array(context.value(step.name, index)) for index in judged]
    first = arrays[0] if arrays else None
    if first is None:
        return False
    return any(a is None or a.shape != first.shape or not close(a, first, step.rtol, step.atol) for a in arrays[1:])


def _wrong_upstream(context: Context, upstream: Sequence[str], judged: Sequence[int]) -> list[str]:
    """The student's upstream steps that differ from the reference in some judged case."""
    wrong = []
    steps = {s.name: s for s in context.quiz.steps}
    for name in upstream:
        if name not in steps:
            continue
        for index in judged:
            own = context.own[index]
            value = None if own is None else own.get(name)
            expected = context.reference.arrays[index][name]
            if not isinstance(value, np.ndarray) or not close(value, expected, steps[name].rtol, steps[name].atol):
                wrong.append(name)
                break
    return wrong


def _constant(context: Context, step: Step, judged: Sequence[int]) -> bool:
    """Identical in every judged case although the values it is computed from change."""
    ran = [index for index in judged if context.runs[index] is not None]
    arrays = [as_array(context.value(step.name, index)) for index in ran]
    if len(ran) < 2 or any(a is None for a in arrays):
        return False
    first = arrays[0]
    if not all(a.shape == first.shape and np.array_equal(a, first) for a in arrays[1:]):  # type: ignore[union-attr]
        return False
    should = []
    for index in ran:
        outputs = context.outputs(step.formulations[0], index)
        should.append(outputs[0] if outputs else context.reference.arrays[index][step.name])
    return any(s.shape != should[0].shape or not np.allclose(s, should[0]) for s in should[1:])


def _subject(subjects: Sequence[str], verb: str) -> str:
    """```h` is``, ```h` and `w` are``."""
    return f"{names(subjects)} {plural(len(subjects), verb)}"


def _size(shape: tuple[int, ...], bare: bool = False) -> str:
    """How big an input is, as a student counts it: ``4 elements`` for a vector, ``shape (4, 2)``
    for a matrix (whose first length alone would hide a change of its columns)."""
    if len(shape) == 1:
        return str(shape[0]) if bare else count(shape[0], "element")
    return str(shape) if bare else f"shape {shape}"


def _stop_story(context: Context, index: int, name: str, about: str | None = None) -> str:
    """What happened where case ``index`` stopped at step ``name``: the line, the exception, the case
    and the lengths of its inputs that differ from the public case's (what the code seems to assume).
    ``about``: the step the message is about, when another (one the code never reached)."""
    stop = context.runs[index].stop  # type: ignore[union-attr]
    assert stop is not None
    case = case_name(index)
    line = stop.lines[0] if index else stop.lines[-1]  # a hidden case names the file's statement, not the calls
    at = context.facts.place(line)
    how = f"ran out of time at {at}" if stop.timeout else f"stopped at {at} with {code_span(stop.error)}"
    lengths = []
    public, here = context.reference.cases[0], context.reference.cases[index]
    for input_name, value in here.items():
        ours, theirs = np.shape(value), np.shape(public[input_name])
        if index and ours and ours != theirs:
            lengths.append((input_name, ours, theirs))
    where = ""
    assumption = ""
    if lengths:
        input_name, size, public_size = lengths[0]
        where = f", where `{input_name}` has {_size(size)} ({_size(public_size, bare=True)} in the public case)"
        if stop.error == "IndexError":
            assumption = f": it seems to assume {_size(public_size)}, as in the public case"
    inside = context.charged[index] == name and any(
        start <= line <= end for line in stop.lines for start, end in context.facts.spans.get(name, ()))
    reached = (f"before computing `{name}`" if not inside
               else "while computing it" if about in (None, name) else f"while computing `{name}`")
    return f"your code {how} {reached} in {case_phrase(case)}{where}{assumption}"


def _shape_note(context: Context, step: Step, values: Sequence[StudentValue | None], judged: Sequence[int]) -> str:
    """What a right value in another shape is told: the shape it has where another is asked, and that
    the extra length-one axes are accepted."""
    for index in judged:
        value, wanted = values[index], context.reference.expected[index][step.name].shape
        if isinstance(value, Numeric) and tuple(value.shape) != wanted:
            return (f", as {describe_shape(value.shape)} where {describe_shape(wanted)} is asked: the numbers are "
                    "right and the extra length-one axes are accepted (`np.squeeze` removes them)")
    return ""


def check_step(context: Context, step: Step, stopped: str) -> Check:
    """Decide one variable's outcome and explain it."""
    name = f"`{step.name}`"
    facts = context.facts
    values = [context.value(step.name, index) for index in range(len(context.runs))]
    expected = context.reference.expected
    judged = _judged(context, step)
    details = [_detail(i, v, expected[i][step.name], step) if i in judged else
               CaseDetail(case=case_name(i), passed=False, failure="not_reached", expected=expected[i][step.name].plain,
                          problem=FAILURE_TEXT["not_reached"])
               for i, v in enumerate(values)]
    upstream = step.upstream
    hint = mistake_name = failed_case = diagnosis = None
    found_in = next((run.found_in[step.name] for run in context.runs if run and step.name in run.found_in), None)
    charged = [index for index in range(len(context.runs)) if context.charged[index] == step.name]
    public = values[0]
    if public is None or (isinstance(public, Missing) and not charged):
        outcome = Outcome.MISSING
        if public is None:
            message = f"{name} was not computed: {stopped}"
            diagnosis = Diagnosis(kind="not_reached", explanation=message)
        elif not context.reached(step.name, 0):
            message = (f"{name} was not reached: "
                       f"{_stop_story(context, 0, context.charged[0] or step.name, step.name)}")
            diagnosis = Diagnosis(kind="not_reached", explanation=message)
        elif public.kind == "missing" and step.name in facts.functions:
            function = facts.functions[step.name]
            located = (f"{name} is assigned only inside {code_span(function + '()')}, and no call of it returned: "
                       f"call {code_span(function + '()')} at the end of the file, or compute it at top level")
            message = f"{located} ({step.description})"
            diagnosis = Diagnosis(kind="inside_function", explanation=message, located=located)
        else:
            message = f"{name} is {details[0].problem}: compute {step.description}"
    elif charged:
        outcome = Outcome.WRONG
        failed_case = case_name(charged[0])
        story = _stop_story(context, charged[0], step.name)
        mistake = diagnose.matching_mistake(context, step, judged, raised=True)
        message = f"{name} is wrong: {story}"
        diagnosis = Diagnosis(kind="exception", explanation=story)
        if mistake is not None:
            mistake_name, hint = mistake.name, mistake.hint
            message += f". This matches a known mistake: {mistake.name}"
            diagnosis = diagnose.diagnose(context, step, judged, mistake, True)
        diagnosis = diagnose.with_idioms(context, step, diagnosis, charged)
    elif len(values) > 1 and judged == [0]:  # one case cannot show that the code computes it
        outcome = Outcome.WRONG
        failed_case = case_name(1)
        first = _stop_story(context, 1, context.charged[1] or step.name, step.name).removeprefix("your code ")
        message = (f"{name} could not be judged: only the public case, whose answer is known, reached it; "
                   f"your code stopped before it in every hidden case (the first time: it {first})")
        diagnosis = Diagnosis(kind="not_reached", explanation=message)
    elif all(details[index].passed for index in judged):
        outcome = Outcome.CORRECT
        skipped = [case_name(index) for index in range(len(values)) if index not in judged]
        if skipped:
            message = (f"{name} is correct in the {count(len(judged), 'case')} where your code reached it "
                       f"(it stopped before it in {', '.join(skipped)})")
        else:
            message = f"{name} is correct in " + (f"all {count(len(details), 'case')}" if len(details) > 1
                                                  else "the public case")
        message += _shape_note(context, step, values, judged)
    elif step.name in facts.literals:
        outcome = Outcome.HARDCODED
        message = (f"{name} is assigned a literal value; it must be computed from {names(upstream)}, "
                   "so it is wrong as soon as the inputs change")
    elif ((used := _consistent(context, step, judged)) is not None and (wrong := _wrong_upstream(context, used, judged))
          and _shows_work(context, step, judged) and _varies(context, step, judged)):
        outcome = Outcome.CONSISTENT
        message = (f"{name} differs from the reference only because {_subject(wrong, 'is')} wrong: "
                   "it is computed correctly from your own values (error carried forward)")
    elif _constant(context, step, judged):
        outcome = Outcome.HARDCODED
        message = (f"{name} has the same value in every case although {_subject(upstream, 'changes')}"
                   " between cases: it does not depend on the inputs")
    else:
        outcome = Outcome.WRONG
        failing = next(details[index] for index in judged if not details[index].passed)
        failed_case = failing.case
        shows_work = _shows_work(context, step, judged)  # 0s and 1s match formulas by chance
        mistake, found = diagnose.explained(context, step, judged, shows_work)
        if mistake is not None:
            mistake_name, hint = mistake.name, mistake.hint
        diagnosis = diagnose.with_idioms(context, step, found, [index for index in judged if not details[index].passed])
        message = wrong_message(step.name, failing.case, failing.problem or "", mistake_name)
    passed = outcome in PASSING
    return Check(
        name=step.name,
        outcome=outcome,
        passed=passed,
        score=step.weight if passed else 0.0,
        max_score=step.weight,
        message=message,
        hint=(diagnosis.hint if diagnosis and diagnosis.hint else hint),
        mistake=mistake_name,
        line=facts.lines.get(step.name),
        place=facts.place(facts.lines[step.name]) if step.name in facts.lines else None,
        failed_case=failed_case,
        diagnosis=None if passed else diagnosis,
        found_in=found_in,
        cases=details,
    )


def check_all(reference: Reference, runs: Sequence[CaseRun | None], facts: Facts | None = None,
              stopped: str = "the run stopped before reporting it") -> list[Check]:
    """One check per step of the quiz; ``runs`` has one entry per case of ``reference`` (None when
    the run stopped before that case). ``stopped`` explains a variable that never came back."""
    if len(runs) != len(reference.cases):
        raise ValueError("one run is needed per case")
    context = Context(reference, runs, Facts() if facts is None else facts)
    return [check_step(context, step, stopped) for step in reference.quiz.steps]
