"""The comparison engine: one outcome per checked variable, from validated values.

For each step of the quiz it decides, in this order, the first that applies:
missing, correct, hardcoded (literal), consistent, hardcoded (constant),
wrong. "Consistent" gives credit to a step that is right given the student's
own wrong upstream values (error carried forward).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from grader.protocol import Missing, Numeric, Other, StudentValue
from grader.quiz import Inputs, Mistake, Quiz, Step, apply, parameters
from grader.report import PASSING, CaseDetail, Check, Outcome

CaseValues = Mapping[str, StudentValue] | None
"""A case's student values by name; None when the run stopped before that case."""


def case_name(index: int) -> str:
    return "public" if index == 0 else f"hidden {index}"


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


def _difference(actual: np.ndarray, expected: np.ndarray) -> tuple[float, float | None]:
    with np.errstate(all="ignore"):
        difference = np.abs(actual - expected)
        relative = np.divide(difference, np.abs(expected), out=np.full_like(difference, np.nan),
                             where=expected != 0)
    largest = float(np.max(difference)) if difference.size else 0.0
    finite = relative[np.isfinite(relative)]
    return largest, (float(np.max(finite)) if finite.size else None)


def _problem(value: StudentValue | None, expected: np.ndarray, step: Step) -> str | None:
    """Why one case's value does not match the reference, or None when it does."""
    if value is None:
        return "not computed: the run stopped before this case"
    if isinstance(value, Missing):
        return "not defined" if value.kind == "missing" else "still None"
    if isinstance(value, Other):
        return f"not a number: got {value.type}"
    if list(value.shape) != list(expected.shape):
        return f"wrong shape: expected {describe_shape(expected.shape)}, got {describe_shape(value.shape)}"
    actual = value.array()
    if actual is None:
        return "too large to compare"
    if np.any(np.isnan(actual)):
        return "contains NaN"
    if np.any(np.isinf(actual)):
        return "contains infinity"
    if close(actual, expected, step.rtol, step.atol):
        return None
    largest, relative = _difference(actual, expected)
    share = "" if relative is None else f", {relative:.2%}"
    if actual.ndim == 0:
        return f"expected {float(expected):.10g}, got {float(actual):.10g} (off by {largest:.3g}{share})"
    bad = ~(np.abs(actual - expected) <= step.atol + step.rtol * np.abs(expected))
    index = np.unravel_index(int(np.argmax(np.abs(actual - expected))), actual.shape)
    where = index[0] if len(index) == 1 else tuple(int(i) for i in index)
    return (f"{int(bad.sum())} of {actual.size} elements differ; largest difference {largest:.3g}{share}"
            f" at index {where} (expected {float(expected[index]):.10g}, got {float(actual[index]):.10g})")


def _detail(index: int, value: StudentValue | None, expected: np.ndarray, step: Step) -> CaseDetail:
    problem = _problem(value, expected, step)
    actual = as_array(value)
    abs_error = rel_error = None
    if actual is not None and actual.shape == expected.shape:
        abs_error, rel_error = _difference(actual, expected)
    return CaseDetail(
        case=case_name(index),
        passed=problem is None,
        expected=expected.tolist(),
        actual=None if actual is None else actual.tolist(),
        abs_error=abs_error,
        rel_error=rel_error,
        problem=problem,
    )


@dataclass
class _Context:
    """Everything the engine compares against, computed once per submission."""

    quiz: Quiz
    cases: Sequence[Inputs]
    student: Sequence[CaseValues]
    expected: list[dict[str, np.ndarray]]
    own: list[dict[str, object] | None]
    """Per case: the inputs overlaid with the student's own usable step values."""

    def outputs(self, function, index: int) -> list[np.ndarray]:  # noqa: ANN001 - a quiz function
        """``function`` applied to the student's own upstream values, then to the reference's."""
        sources = [self.own[index], {**self.cases[index], **self.expected[index]}]
        results = []
        for values in sources:
            if values is None:
                continue
            try:
                results.append(apply(function, values))
            except (KeyError, ValueError, TypeError, IndexError, ArithmeticError):
                continue
        return results


def _context(quiz: Quiz, cases: Sequence[Inputs], student: Sequence[CaseValues]) -> _Context:
    expected = [quiz.solve(inputs) for inputs in cases]
    own: list[dict[str, object] | None] = []
    for inputs, values in zip(cases, student):
        if values is None:
            own.append(None)
            continue
        usable = {name: as_array(value) for name, value in values.items()}
        own.append({**inputs, **{name: array for name, array in usable.items() if array is not None}})
    return _Context(quiz, cases, student, expected, own)


def _ran(context: _Context) -> list[int]:
    return [index for index, values in enumerate(context.student) if values is not None]


def _consistent(context: _Context, step: Step) -> tuple[str, ...] | None:
    """The upstream names of the formulation that, applied to the student's own upstream
    values, gives the student's value in every case; None when none does."""
    if any(values is None for values in context.student):
        return None
    for formulation in step.formulations:
        if all(_formulation_matches(context, step, formulation, index) for index in range(len(context.cases))):
            return parameters(formulation)
    return None


def _formulation_matches(context: _Context, step: Step, formulation, index: int) -> bool:  # noqa: ANN001
    values, own = context.student[index], context.own[index]
    actual = as_array(values[step.name]) if values is not None else None
    if actual is None or own is None:
        return False
    try:
        return close(actual, apply(formulation, own), step.rtol, step.atol)
    except (KeyError, ValueError, TypeError, IndexError, ArithmeticError):
        return False


def _wrong_upstream(context: _Context, upstream: Sequence[str]) -> list[str]:
    """The student's upstream steps that differ from the reference in some case."""
    wrong = []
    steps = {s.name: s for s in context.quiz.steps}
    for name in upstream:
        if name not in steps:
            continue
        for index, own in enumerate(context.own):
            value = None if own is None else own.get(name)
            expected = context.expected[index][name]
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
        should.append(outputs[0] if outputs else context.expected[index][step.name])
    return any(s.shape != should[0].shape or not np.allclose(s, should[0]) for s in should[1:])


def _matching_mistake(context: _Context, step: Step) -> Mistake | None:
    """The first known mistake that gives the student's value in every case that has one."""
    for mistake in context.quiz.mistakes:
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


def _names(names: Sequence[str]) -> str:
    quoted = [f"`{name}`" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _plural(names: Sequence[str], one: str, many: str) -> str:
    return f"{_names(names)} {one if len(names) == 1 else many}"


def check_step(context: _Context, step: Step, literals: frozenset[str], line: int | None,
               stopped: str) -> Check:
    """Decide one variable's outcome and explain it."""
    name = f"`{step.name}`"
    values = [None if case is None else case[step.name] for case in context.student]
    details = [_detail(i, v, context.expected[i][step.name], step) for i, v in enumerate(values)]
    upstream = step.upstream
    hint = mistake_name = None
    public = values[0]
    if public is None or isinstance(public, Missing):
        outcome = Outcome.MISSING
        message = (f"{name} was not computed: {stopped}" if public is None
                   else f"{name} is {details[0].problem}: compute {step.description}")
    elif all(detail.passed for detail in details):
        outcome = Outcome.CORRECT
        message = f"{name} is correct in all {len(details)} cases"
    elif step.name in literals:
        outcome = Outcome.HARDCODED
        message = (f"{name} is assigned a literal value; it must be computed from {_names(upstream)}, "
                   "so it is wrong as soon as the inputs change")
    elif (used := _consistent(context, step)) is not None and (wrong := _wrong_upstream(context, used)):
        outcome = Outcome.CONSISTENT
        message = (f"{name} differs from the reference only because {_plural(wrong, 'is', 'are')} wrong: "
                   "it is computed correctly from your own values (error carried forward)")
    elif _constant(context, step):
        outcome = Outcome.HARDCODED
        message = (f"{name} has the same value in every case although {_plural(upstream, 'changes', 'change')}"
                   " between cases: it does not depend on the inputs")
    else:
        outcome = Outcome.WRONG
        failing = next(detail for detail in details if not detail.passed)
        message = f"{name} is wrong in the {failing.case} case: {failing.problem}"
        mistake = _matching_mistake(context, step)
        if mistake is not None:
            mistake_name, hint = mistake.name, mistake.hint
            message += f". This matches a known mistake: {mistake.name}"
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
        cases=details,
    )


def check_all(
    quiz: Quiz,
    cases: Sequence[Inputs],
    student: Sequence[CaseValues],
    literals: frozenset[str] = frozenset(),
    lines: Mapping[str, int] | None = None,
    stopped: str = "the run stopped before reporting it",
) -> list[Check]:
    """One check per step of ``quiz``; ``student`` has one entry per case in ``cases``.

    ``stopped`` explains a variable that never came back from the run.
    """
    if len(student) != len(cases):
        raise ValueError("one entry of student values is needed per case")
    context = _context(quiz, cases, student)
    return [check_step(context, step, literals, (lines or {}).get(step.name), stopped) for step in quiz.steps]
