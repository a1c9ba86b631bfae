"""The comparison engine: one outcome per checked variable, from validated values.

For each step of the quiz it decides, in this order, the first that applies:
missing, correct, hardcoded (literal), consistent, hardcoded (constant),
wrong. "Consistent" gives credit to a step that is right given the student's
own wrong upstream values (error carried forward).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from grader.protocol import Missing, Numeric, Other, StudentValue
from grader.quiz import Inputs, Mistake, Quiz, Step, apply, parameters
from grader.report import PASSING, CaseDetail, Check, Outcome, case_name, wrong_message
from grader.text import code_span, count, names, plural

KEPT_VALUES = 100
"""A student's value with more elements is described by its shape in the report, not copied into it."""

CaseValues = Mapping[str, StudentValue] | None
"""A case's student values by name; None when the run stopped before that case."""


def close(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    """Same shape, finite, and ``|actual - expected| <= atol + rtol * |expected|`` everywhere."""
    if actual.shape != expected.shape or not np.all(np.isfinite(actual)):
        return False
    with np.errstate(all="ignore"):
        return bool(np.all(np.abs(actual - expected) <= atol + rtol * np.abs(expected)))


def describe_shape(shape: Sequence[int]) -> str:
    return "a scalar" if len(shape) == 0 else f"shape {tuple(shape)}"


def as_array(value: StudentValue | None) -> np.ndarray | None:
    """The student's value as an array, or None when it is not usable as numbers."""
    return value.array() if isinstance(value, Numeric) else None


@dataclass(frozen=True)
class Expected:
    """One reference value, kept both as an array and as plain floats for fast comparison."""

    array: np.ndarray
    shape: tuple[int, ...]
    values: tuple[float, ...]
    plain: object
    """The value as JSON data (a float or nested lists), for the report."""

    @classmethod
    def of(cls, array: np.ndarray) -> Expected:
        return cls(array, tuple(array.shape), tuple(array.ravel().tolist()), array.tolist())


class Reference:
    """The expected values of every step in every case, computed once per batch."""

    def __init__(self, quiz: Quiz, cases: Sequence[Inputs]):
        self.quiz = quiz
        self.cases = list(cases)
        self.arrays = [quiz.solve(inputs) for inputs in self.cases]
        self.expected = [{name: Expected.of(array) for name, array in solved.items()} for solved in self.arrays]
        self.upstream = [{**inputs, **solved} for inputs, solved in zip(self.cases, self.arrays)]
        largest = max((array.size for solved in self.arrays for array in solved.values()), default=1)
        self.usable_size = max(64, 4 * largest)
        """Student values larger than this are compared, never computed with: no right upstream value is."""


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
        return CaseDetail(passed=False, failure="not_run", problem="not computed: the run stopped before this case",
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
    if tuple(value.shape) != expected.shape:
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


class _Context:
    """One submission against the reference; the student's own arrays are built only when needed."""

    def __init__(self, reference: Reference, student: Sequence[CaseValues]):
        self.reference = reference
        self.student = student

    @functools.cached_property
    def own(self) -> list[dict[str, object] | None]:
        """Per case: the inputs overlaid with the student's own usable step values."""
        own: list[dict[str, object] | None] = []
        for inputs, values in zip(self.reference.cases, self.student):
            if values is None:
                own.append(None)
                continue
            usable = {name: as_array(value) for name, value in values.items()}
            own.append({**inputs, **{name: array for name, array in usable.items()
                                     if array is not None and array.size <= self.reference.usable_size}})
        return own

    def outputs(self, function, index: int) -> list[np.ndarray]:  # noqa: ANN001 - a quiz function
        """``function`` applied to the student's own upstream values, then to the reference's."""
        results = []
        for values in (self.own[index], self.reference.upstream[index]):
            if values is None:
                continue
            try:
                results.append(apply(function, values))
            except Exception:  # noqa: BLE001 - a formula that cannot take these values does not give them
                continue
        return results


def _ran(context: _Context) -> list[int]:
    return [index for index, values in enumerate(context.student) if values is not None]


def _consistent(context: _Context, step: Step) -> tuple[str, ...] | None:
    """The upstream names of the formulation that, applied to the student's own upstream
    values, gives the student's value in every case; None when none does."""
    if any(values is None for values in context.student):
        return None
    for formulation in step.formulations:
        if all(_formulation_matches(context, step, formulation, index)
               for index in range(len(context.reference.cases))):
            return parameters(formulation)
    return None


def _formulation_matches(context: _Context, step: Step, formulation, index: int) -> bool:  # noqa: ANN001
    values, own = context.student[index], context.own[index]
    actual = as_array(values[step.name]) if values is not None else None
    if actual is None or own is None:
        return False
    try:
        return close(actual, apply(formulation, own), step.rtol, step.atol)
    except Exception:  # noqa: BLE001 - a formula that cannot take these values does not give them
        return False


def _wrong_upstream(context: _Context, upstream: Sequence[str]) -> list[str]:
    """The student's upstream steps that differ from the reference in some case."""
    wrong = []
    steps = {s.name: s for s in context.reference.quiz.steps}
    for name in upstream:
        if name not in steps:
            continue
        for index, own in enumerate(context.own):
            value = None if own is None else own.get(name)
            expected = context.reference.arrays[index][name]
            if not isinstance(value, np.ndarray) or not close(value, expected, steps[name].rtol,
                                                              steps[name].atol):
                wrong.append(name)
                break
    return wrong


def _constant(context: _Context, step: Step) -> bool:
    """Identical in every case although the values it is computed from change."""
    ran = _ran(context)
    arrays = [as_array(context.student[i][step.name]) for i in ran]  # type: ignore[index]
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


def _matching_mistake(context: _Context, step: Step) -> Mistake | None:
    """The first known mistake that gives the student's value in every case that has one."""
    for mistake in context.reference.quiz.mistakes:
        if mistake.variable != step.name:
            continue
        compared = 0
        for index in _ran(context):
            actual = as_array(context.student[index][step.name])  # type: ignore[index]
            if actual is None:
                continue
            if not any(close(actual, out, step.rtol, step.atol) for out in context.outputs(mistake.compute, index)):
                break
            compared += 1
        else:
            if compared:
                return mistake
    return None


def _subject(subjects: Sequence[str], verb: str) -> str:
    """```h` is``, ```h` and `w` are``."""
    return f"{names(subjects)} {plural(len(subjects), verb)}"


def check_step(context: _Context, step: Step, literals: frozenset[str], line: int | None,
               stopped: str) -> Check:
    """Decide one variable's outcome and explain it."""
    name = f"`{step.name}`"
    values = [None if case is None else case[step.name] for case in context.student]
    expected = context.reference.expected
    details = [_detail(i, v, expected[i][step.name], step) for i, v in enumerate(values)]
    upstream = step.upstream
    hint = mistake_name = failed_case = None
    public = values[0]
    if public is None or isinstance(public, Missing):
        outcome = Outcome.MISSING
        message = (f"{name} was not computed: {stopped}" if public is None
                   else f"{name} is {details[0].problem}: compute {step.description}")
    elif all(detail.passed for detail in details):
        outcome = Outcome.CORRECT
        message = f"{name} is correct in " + (f"all {count(len(details), 'case')}" if len(details) > 1
                                              else "the public case")
    elif step.name in literals:
        outcome = Outcome.HARDCODED
        message = (f"{name} is assigned a literal value; it must be computed from {names(upstream)}, "
                   "so it is wrong as soon as the inputs change")
    elif (used := _consistent(context, step)) is not None and (wrong := _wrong_upstream(context, used)):
        outcome = Outcome.CONSISTENT
        message = (f"{name} differs from the reference only because {_subject(wrong, 'is')} wrong: "
                   "it is computed correctly from your own values (error carried forward)")
    elif _constant(context, step):
        outcome = Outcome.HARDCODED
        message = (f"{name} has the same value in every case although {_subject(upstream, 'changes')}"
                   " between cases: it does not depend on the inputs")
    else:
        outcome = Outcome.WRONG
        failing = next(detail for detail in details if not detail.passed)
        failed_case = failing.case
        mistake = _matching_mistake(context, step)
        if mistake is not None:
            mistake_name, hint = mistake.name, mistake.hint
        message = wrong_message(step.name, failing.case, failing.problem or "", mistake_name)
    passed = outcome in PASSING
    return Check(
        name=step.name,
        outcome=outcome,
        passed=passed,
        score=step.weight if passed else 0.0,
        max_score=step.weight,
        message=message,
        hint=hint,
        mistake=mistake_name,
        line=line,
        failed_case=failed_case,
        cases=details,
    )


def check_all(
    reference: Reference,
    student: Sequence[CaseValues],
    literals: frozenset[str] = frozenset(),
    lines: Mapping[str, int] | None = None,
    stopped: str = "the run stopped before reporting it",
) -> list[Check]:
    """One check per step of the quiz; ``student`` has one entry per case of ``reference``.

    ``stopped`` explains a variable that never came back from the run.
    """
    if len(student) != len(reference.cases):
        raise ValueError("one entry of student values is needed per case")
    context = _Context(reference, student)
    return [check_step(context, step, literals, (lines or {}).get(step.name), stopped)
            for step in reference.quiz.steps]
