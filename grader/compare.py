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
    extra_axes,
    not_assigned,
)
from grader.protocol import Missing, Numeric, Other, StudentValue
from grader.quiz import Step, apply, close, parameters
from grader.report import (
    PASSING,
    CaseDetail,
    Check,
    Diagnosis,
    Failure,
    HiddenSize,
    OtherShape,
    Outcome,
    Stopped,
    Told,
    case_name,
)
from grader.sentences import FAILURE_TEXT, correct_message, stopped_message, story, wrong_message
from grader.text import code_span, count, describe_shape, names, plural

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
        unset: Failure = "missing" if value.kind == "missing" else "none"
        return CaseDetail(passed=False, failure=unset, problem=FAILURE_TEXT[unset], **detail)
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


def _stopped(context: Context, index: int, name: str, told: Told) -> Stopped:
    """Where case ``index`` stopped at step ``name``: the statement, the exception, the case and the
    first input whose size differs from the public case's (what the code seems to assume)."""
    stop = context.runs[index].stop  # type: ignore[union-attr]
    assert stop is not None
    line = stop.lines[0] if index else stop.lines[-1]  # a hidden case names the file's statement, not the calls
    public, here = context.reference.cases[0], context.reference.cases[index]
    shapes = [(given, list(np.asarray(value).shape), list(np.asarray(public[given]).shape))
              for given, value in here.items()]
    size = next((HiddenSize(input=given, shape=shape, public_shape=public_shape)
                 for given, shape, public_shape in shapes if index and shape and shape != public_shape), None)
    inside = context.charged[index] == name and any(
        start <= line <= end for line in stop.lines for start, end in context.facts.spans.get(name, ()))
    return Stopped(told=told, case=case_name(index), place=context.facts.place(line),
                   error=None if stop.timeout else stop.error, step=name, inside=inside, size=size,
                   assumed=size.public_shape if size is not None and stop.error == "IndexError" else None)


def _other_shape(context: Context, step: Step, values: Sequence[StudentValue | None],
                 judged: Sequence[int]) -> OtherShape | None:
    """Where a right value first has another shape than the one asked (extra length-one axes, accepted)."""
    for index in judged:
        value, wanted = values[index], context.reference.expected[index][step.name].shape
        if isinstance(value, Numeric) and tuple(value.shape) != wanted:
            return OtherShape(case=case_name(index), shape=list(value.shape), wanted=list(wanted))
    return None


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
    hint = mistake_name = failed_case = diagnosis = where = other_shape = None
    found_in = next((run.found_in[step.name] for run in context.runs if run and step.name in run.found_in), None)
    charged = [index for index in range(len(context.runs)) if context.charged[index] == step.name]
    public = values[0]
    if public is None or (isinstance(public, Missing) and not charged):
        outcome = Outcome.MISSING
        if public is None:
            message = f"{name} was not computed: {stopped}"
            diagnosis = Diagnosis(kind="not_reached", explanation=message)
        elif not context.reached(step.name, 0):
            where = _stopped(context, 0, context.charged[0] or step.name, "not_reached")
            message = stopped_message(step.name, where, None)
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
        where = _stopped(context, charged[0], step.name, "raised")
        mistake = diagnose.matching_mistake(context, step, judged, raised=True)
        diagnosis = Diagnosis(kind="exception", explanation=story(step.name, where))
        if mistake is not None:
            mistake_name, hint = mistake.name, mistake.hint
            diagnosis = diagnose.diagnose(context, step, judged, mistake, True)
        message = stopped_message(step.name, where, mistake_name)
        diagnosis = diagnose.with_idioms(context, step, diagnosis, charged)
    elif len(values) > 1 and judged == [0]:  # one case cannot show that the code computes it
        outcome = Outcome.WRONG
        failed_case = case_name(1)
        where = _stopped(context, 1, context.charged[1] or step.name, "unjudged")
        message = stopped_message(step.name, where, None)
        diagnosis = Diagnosis(kind="not_reached", explanation=message)
    elif all(details[index].passed for index in judged):
        outcome = Outcome.CORRECT
        other_shape = _other_shape(context, step, values, judged)
        message = correct_message(step.name, details, other_shape)
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
        mistake = diagnose.matching_mistake(context, step, judged, raised=False) if shows_work else None
        if mistake is not None:
            mistake_name, hint = mistake.name, mistake.hint
        diagnosis = diagnose.with_idioms(context, step, diagnose.diagnose(context, step, judged, mistake, shows_work),
                                         [index for index in judged if not details[index].passed])
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
        stopped=where,
        other_shape=other_shape,
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
