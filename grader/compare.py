"""The comparison engine: one outcome per checked variable, from validated values.

For each step of the quiz it decides, in this order, the first that applies: missing, wrong
(the code raised while computing it), correct, hardcoded (literal), consistent, hardcoded
(constant), wrong. "Consistent" gives credit to a step that is right given the student's own
wrong upstream values (error carried forward).

A case whose run raised is judged fairly: the step whose line raised (or the first one the code
never reached) is wrong, with what happened; every later step is judged on the cases where the
code reached it, the public one at least. A failing check gets a ``Diagnosis``: a known mistake,
integers that cut fractions, a list's operators, or a formula that gives the value: explaining
is ``grader.diagnose``'s, so this module only judges. It imports ``diagnose`` (and the formula
search behind it) only where a step is wrong: a self-check of a right file never loads it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Required, TypedDict

import numpy as np

from grader.evidence import (
    CaseRun,
    Context,
    Expected,
    Facts,
    Reference,
    Stop,
    changed_givens,
    extra_axes,
    not_assigned,
)
from grader.protocol import Missing, Numeric, Other, StudentValue
from grader.quiz import Mistake, Step, close, parameters
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

if TYPE_CHECKING:  # a report's JSON values: a name for mypy alone (see grader.report)
    from grader.report import Values
from grader.text import code_span, count, describe_shape, names, plural

__all__ = ["CaseRun", "Facts", "Reference", "Stop", "changed_givens", "check_all", "close", "not_assigned"]
"""What the grader reads from here: judging lives in this module, the evidence it reads in
``grader.evidence`` and the explaining in ``grader.diagnose``."""

KEPT_VALUES = 100
"""A student's value with more elements is described by its shape in the report, not copied into it."""


def _plain(value: Numeric) -> Values | None:
    """A student's numbers as JSON data shaped like the value."""
    if value.values is None:
        return None
    if not value.shape:
        return value.values[0]
    if len(value.shape) == 1:
        return list(value.values)
    nested: Values = np.array(value.values).reshape(value.shape).tolist()
    return nested


class _Shown(TypedDict, total=False):
    """What every case's detail shows, whatever the comparison finds."""

    case: Required[str]
    expected: Required[Values]
    actual_shape: list[int]
    actual: Values | None


def _compared(context: Context, index: int, value: StudentValue | None, step: Step) -> CaseDetail:
    """``_detail``, once per value the batch's runs share (``Reference.compared``)."""
    expected = context.reference.expected[index][step.name]
    return context.reference.compared.get((step.name, index), (value,), lambda: _detail(index, value, expected, step))


def _detail(index: int, value: StudentValue | None, expected: Expected, step: Step) -> CaseDetail:
    """Compare one case in plain Python: values are a handful of floats, numpy calls would dominate."""
    detail = _Shown(case=case_name(index), expected=expected.plain)
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
    return _numbers(value.values, expected, step, detail)


def _numbers(actual: Sequence[float], expected: Expected, step: Step, detail: _Shown) -> CaseDetail:
    """Compare a value's numbers, of the reference's shape or one it broadcasts to, with the reference's."""
    if expected.finite and tuple(actual) == expected.values:  # most right values are the reference's, bit for bit
        return CaseDetail(passed=True, abs_error=0.0, rel_error=expected.exact_relative, **detail)
    differences = [abs(a - e) for a, e in zip(actual, expected.values)]
    largest = max(differences, default=0.0)
    relatives = [d / abs(e) for d, e in zip(differences, expected.values) if e != 0 and math.isfinite(d)]
    relative = max(relatives) if relatives else None
    problem: str | None = None
    failure: Failure | None = None
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
    gives the student's value in every judged case; None when none does. Once per set of values the
    batch's runs share (``Reference.carried``): it reads the judged cases' values and nothing else."""
    runs = [context.runs[index] for index in judged]
    if any(run is None for run in runs):
        return None
    values = tuple(run.values[name] for run in runs if run is not None for name in context.quiz.variables)
    return context.reference.carried.get((step.name, tuple(judged)), values,
                                         lambda: _formulation(context, step, judged))


def _formulation(context: Context, step: Step, judged: Sequence[int]) -> tuple[str, ...] | None:
    for formulation in step.formulations:
        if all(_formulation_matches(context, step, formulation, index) for index in judged):
            return parameters(formulation)
    return None


def _formulation_matches(context: Context, step: Step, formulation: Callable[..., object], index: int) -> bool:
    actual = context.array(step.name, index)
    if actual is None or context.own[index] is None:
        return False
    try:
        return close(actual, context.formula(formulation, index), step.rtol, step.atol)
    except Exception:  # noqa: BLE001 - a formula that cannot take these values does not give them
        return False


def _shows_work(context: Context, step: Step, judged: Sequence[int]) -> bool:
    """Whether the values could only come from computing: not made of 0, 1 and -1 alone (to within
    the step's tolerance), which a formula saturates to (a logistic function of 1000 is 1, its
    slope 0) and anyone can type."""
    for index in judged:
        array = context.array(step.name, index)
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
    arrays = [context.array(step.name, index) for index in judged]
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
    arrays = [array for index in ran if (array := context.array(step.name, index)) is not None]
    if len(ran) < 2 or len(arrays) < len(ran):
        return False
    first = arrays[0]
    if not all(a.shape == first.shape and np.array_equal(a, first) for a in arrays[1:]):
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
    run = context.runs[index]
    assert run is not None and run.stop is not None, "told only of a case that stopped"
    stop = run.stop
    line = stop.lines[0] if index else stop.lines[-1]  # a hidden case names the file's statement, not the calls
    public, here = context.reference.cases[0], context.reference.cases[index]
    shapes = [(given, list(np.shape(value)), list(np.shape(public[given]))) for given, value in here.items()]
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


@dataclass(frozen=True)
class _Verdict:
    """What judging a step decided: the outcome and its sentence, and for a failure what explains it."""

    outcome: Outcome
    message: str
    diagnosis: Diagnosis | None = None
    failed_case: str | None = None
    mistake: Mistake | None = None
    """The known mistake it matches, whose name and hint the check carries."""
    stopped: Stopped | None = None
    """Where the run stopped, when the message tells it."""
    other_shape: OtherShape | None = None
    """A right value's other shape, when the message notes it."""


def check_step(context: Context, step: Step, stopped: str) -> Check:
    """Decide one variable's outcome and explain it."""
    facts = context.facts
    values = [context.value(step.name, index) for index in range(len(context.runs))]
    expected = context.reference.expected
    judged = _judged(context, step)
    details = [_compared(context, i, v, step) if i in judged else
               CaseDetail(case=case_name(i), passed=False, failure="not_reached", expected=expected[i][step.name].plain,
                          problem=FAILURE_TEXT["not_reached"])
               for i, v in enumerate(values)]
    found_in = next((run.found_in[step.name] for run in context.runs if run and step.name in run.found_in), None)
    verdict = _verdict(context, step, stopped, values, details, judged)
    passed = verdict.outcome in PASSING
    diagnosis, mistake = verdict.diagnosis, verdict.mistake
    return Check(
        name=step.name,
        outcome=verdict.outcome,
        passed=passed,
        score=step.weight if passed else 0.0,
        max_score=step.weight,
        message=verdict.message,
        hint=(diagnosis.hint if diagnosis and diagnosis.hint else mistake.hint if mistake else None),
        mistake=mistake.name if mistake else None,
        line=facts.lines.get(step.name),
        place=facts.place(facts.lines[step.name]) if step.name in facts.lines else None,
        failed_case=verdict.failed_case,
        stopped=verdict.stopped,
        other_shape=verdict.other_shape,
        diagnosis=None if passed else diagnosis,
        found_in=found_in,
        cases=details,
    )


def _verdict(context: Context, step: Step, stopped: str, values: Sequence[StudentValue | None],
             details: Sequence[CaseDetail], judged: list[int]) -> _Verdict:
    """The step's outcome, in the order the rules are tried: not there, raised at it, reached by the
    public case alone, right, then each way of being wrong."""
    charged = [index for index in range(len(context.runs)) if context.charged[index] == step.name]
    public = values[0]
    if public is None or (isinstance(public, Missing) and not charged):
        return _missing(context, step, stopped, public, details[0])
    if charged:
        return _raised(context, step, judged, charged)
    if len(values) > 1 and judged == [0]:  # one case cannot show that the code computes it
        return _public_only(context, step)
    if all(details[index].passed for index in judged):
        other_shape = _other_shape(context, step, values, judged)
        return _Verdict(Outcome.CORRECT, correct_message(step.name, details, other_shape), other_shape=other_shape)
    return _incorrect(context, step, details, judged)


def _missing(context: Context, step: Step, stopped: str, public: Missing | None, detail: CaseDetail) -> _Verdict:
    """No value in the public case: the run stopped first, the code never reached it, it is only in a
    function nobody called, or the file has no such variable (or leaves it None)."""
    name = f"`{step.name}`"
    if public is None:
        message = f"{name} was not computed: {stopped}"
        return _Verdict(Outcome.MISSING, message, Diagnosis(kind="not_reached", explanation=message))
    if not context.reached(step.name, 0):
        where = _stopped(context, 0, context.charged[0] or step.name, "not_reached")
        message = stopped_message(step.name, where, None)
        return _Verdict(Outcome.MISSING, message, Diagnosis(kind="not_reached", explanation=message), stopped=where)
    if public.kind == "missing" and step.name in context.facts.functions:
        function = context.facts.functions[step.name]
        located = (f"{name} is assigned only inside {code_span(function + '()')}, and no call of it returned: "
                   f"call {code_span(function + '()')} at the end of the file, or compute it at top level")
        message = f"{located} ({step.description})"
        return _Verdict(Outcome.MISSING, message,
                        Diagnosis(kind="inside_function", explanation=message, located=located))
    return _Verdict(Outcome.MISSING, f"{name} is {detail.problem}: compute {step.description}")


def _raised(context: Context, step: Step, judged: list[int], charged: list[int]) -> _Verdict:
    """The code raised (or ran out of time) at the step: wrong, told where and how."""
    from grader import diagnose  # a wrong step: the one place explaining is needed, and imported

    where = _stopped(context, charged[0], step.name, "raised")
    mistake = diagnose.matching_mistake(context, step, judged, raised=True)
    diagnosis: Diagnosis | None = Diagnosis(kind="exception", explanation=story(step.name, where))
    if mistake is not None:
        diagnosis = diagnose.diagnose(context, step, judged, mistake, True)
    diagnosis = diagnose.with_idioms(context, step, diagnosis, charged)
    message = stopped_message(step.name, where, mistake.name if mistake else None)
    return _Verdict(Outcome.WRONG, message, diagnosis, where.case, mistake, stopped=where)


def _public_only(context: Context, step: Step) -> _Verdict:
    """Only the public case, whose answer is known, reached the step: it cannot be judged right."""
    where = _stopped(context, 1, context.charged[1] or step.name, "unjudged")
    message = stopped_message(step.name, where, None)
    return _Verdict(Outcome.WRONG, message, Diagnosis(kind="not_reached", explanation=message), where.case,
                    stopped=where)


def _incorrect(context: Context, step: Step, details: Sequence[CaseDetail], judged: list[int]) -> _Verdict:
    """A value that does not match: typed in, right from the student's own wrong values, the same in
    every case, or wrong (with what explains it)."""
    name, upstream = f"`{step.name}`", step.upstream
    if step.name in context.facts.literals:
        return _Verdict(Outcome.HARDCODED, f"{name} is assigned a literal value; it must be computed from "
                        f"{names(upstream)}, so it is wrong as soon as the inputs change")
    if ((used := _consistent(context, step, judged)) is not None and (wrong := _wrong_upstream(context, used, judged))
            and _shows_work(context, step, judged) and _varies(context, step, judged)):
        return _Verdict(Outcome.CONSISTENT, f"{name} differs from the reference only because "
                        f"{_subject(wrong, 'does')}: it is computed correctly from your own values "
                        "(error carried forward)")
    if _constant(context, step, judged):
        return _Verdict(Outcome.HARDCODED, f"{name} has the same value in every case although "
                        f"{_subject(upstream, 'changes')} between cases: it does not depend on the inputs")
    from grader import diagnose  # a wrong step: the one place explaining is needed, and imported

    failing = next(details[index] for index in judged if not details[index].passed)
    shows_work = _shows_work(context, step, judged)  # 0s and 1s match formulas by chance
    mistake, found = diagnose.explained(context, step, judged, shows_work)
    diagnosis = diagnose.with_idioms(context, step, found, [index for index in judged if not details[index].passed])
    message = wrong_message(step.name, failing.case, failing.problem or "", mistake.name if mistake else None)
    return _Verdict(Outcome.WRONG, message, diagnosis, failing.case, mistake)


def check_all(reference: Reference, runs: Sequence[CaseRun | None], facts: Facts | None = None,
              stopped: str = "the run stopped before reporting it") -> list[Check]:
    """One check per step of the quiz; ``runs`` has one entry per case of ``reference`` (None when
    the run stopped before that case). ``stopped`` explains a variable that never came back."""
    if len(runs) != len(reference.cases):
        raise ValueError("one run is needed per case")
    context = Context(reference, runs, Facts() if facts is None else facts)
    return [check_step(context, step, stopped) for step in reference.quiz.steps]
