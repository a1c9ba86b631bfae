"""The comparison engine: one outcome per checked variable, from validated values.

For each step of the quiz it decides, in this order, the first that applies: missing, wrong
(the code raised while computing it), correct, hardcoded (literal), consistent, hardcoded
(constant), wrong. "Consistent" gives credit to a step that is right given the student's own
wrong upstream values (error carried forward).

A case whose run raised is judged fairly: the step whose line raised (or the first one the code
never reached) is wrong, with what happened; every later step is judged on the cases where the
code reached it, the public one at least. A failing check gets a ``Diagnosis``: a known mistake,
integers that cut fractions, a list's operators, or the formula over the quiz's quantities that
gives the value (``grader.explain``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from grader import explain
from grader.protocol import Missing, Numeric, Other, StudentValue
from grader.quiz import Inputs, Mistake, Quiz, Step, TooLarge, apply, close, expression, parameters
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

KEPT_VALUES = 100
"""A student's value with more elements is described by its shape in the report, not copied into it."""



@dataclass(frozen=True)
class Stop:
    """Where a case's run raised: the lines of the student's frames (outermost first), the exception."""

    lines: tuple[int, ...]
    error: str
    timeout: bool = False


@dataclass(frozen=True)
class CaseRun:
    """What one case reported: the values by name, where it stopped if it raised, and the names
    whose value came from inside a function (and which)."""

    values: Mapping[str, StudentValue]
    stop: Stop | None = None
    found_in: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Facts:
    """What reading the file told (``grader.source``), and the student's own values for the givens."""

    literals: frozenset[str] = frozenset()
    lines: Mapping[str, int] = field(default_factory=dict)
    spans: Mapping[str, Sequence[tuple[int, int]]] = field(default_factory=dict)
    functions: Mapping[str, str] = field(default_factory=dict)
    names_used: Mapping[str, frozenset[str]] = field(default_factory=dict)
    given: Mapping[str, StudentValue] = field(default_factory=dict)


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

    def __init__(self, reference: Reference, runs: Sequence[CaseRun | None], facts: Facts):
        self.reference, self.runs, self.facts = reference, runs, facts
        self.quiz = reference.quiz

    @functools.cached_property
    def own(self) -> list[dict[str, object] | None]:
        """Per case: the inputs overlaid with the student's own usable step values."""
        own: list[dict[str, object] | None] = []
        for inputs, run in zip(self.reference.cases, self.runs):
            if run is None:
                own.append(None)
                continue
            usable = {name: as_array(value) for name, value in run.values.items()}
            own.append({**inputs, **{name: array for name, array in usable.items()
                                     if array is not None and array.size <= self.reference.usable_size}})
        return own

    @functools.cached_property
    def changed_givens(self) -> dict[str, np.ndarray | None]:
        return changed_givens(self.facts, self.reference.cases[0])

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

    def value(self, name: str, index: int) -> StudentValue | None:
        run = self.runs[index]
        return None if run is None else run.values[name]

    @functools.cached_property
    def charged(self) -> list[str | None]:
        """Per case: the step that case's stop is charged to, if the run raised there.

        The step whose assignment holds a line of the traceback (even if an earlier line gave it a
        value: ``total += a[i] * b[i]`` in a loop); else the first step the file assigns that the code had
        not reached; else none (it raised after every value was made).
        """
        charged: list[str | None] = []
        for run in self.runs:
            step_name = None
            if run is not None and run.stop is not None:
                assigned = [step.name for step in self.quiz.steps if self.facts.spans.get(step.name)]
                holding = [name for name in assigned if any(start <= line <= end for line in run.stop.lines
                                                             for start, end in self.facts.spans[name])]
                after = [name for name in assigned if not_assigned(run.values[name])
                         and min(start for start, _ in self.facts.spans[name]) > run.stop.lines[-1]]
                step_name = (holding or after or [None])[0]
            charged.append(step_name)
        return charged

    def reached(self, name: str, index: int) -> bool:
        """Whether the code reached ``name`` in case ``index``. A case that never ran counts as reached
        (it is judged as a failure, as before), and so does a name the file never assigns (it is
        simply not defined)."""
        run = self.runs[index]
        return (run is None or run.stop is None or not not_assigned(run.values[name])
                or not self.facts.spans.get(name) or self.charged[index] == name)


def not_assigned(value: StudentValue) -> bool:
    """The code never assigned it (as against ``None``, or a value of another kind)."""
    return isinstance(value, Missing) and value.kind == "missing"


def changed_givens(facts: Facts, public: Inputs) -> dict[str, np.ndarray | None]:
    """The givens the file sets to something other than the quiz's public value (to within 1e-9),
    each with the file's value as an array, or None when it is not a number."""
    changed = {}
    for name, value in facts.given.items():
        array = as_array(value)
        if name in public and (array is None or not close(array, np.asarray(public[name], np.float64), 1e-9, 1e-12)):
            changed[name] = array
    return changed


def _judged(context: _Context, step: Step) -> list[int]:
    """The cases a step is judged on: every case but those where the code stopped before it."""
    return [index for index in range(len(context.runs)) if context.reached(step.name, index)]


def _consistent(context: _Context, step: Step, judged: Sequence[int]) -> tuple[str, ...] | None:
    """The upstream names of the formulation that, applied to the student's own upstream values,
    gives the student's value in every judged case; None when none does."""
    if any(context.runs[index] is None for index in judged):
        return None
    for formulation in step.formulations:
        if all(_formulation_matches(context, step, formulation, index) for index in judged):
            return parameters(formulation)
    return None


def _formulation_matches(context: _Context, step: Step, formulation, index: int) -> bool:  # noqa: ANN001
    actual, own = as_array(context.value(step.name, index)), context.own[index]
    if actual is None or own is None:
        return False
    try:
        return close(actual, apply(formulation, own), step.rtol, step.atol)
    except Exception:  # noqa: BLE001 - a formula that cannot take these values does not give them
        return False


def _shows_work(context: _Context, step: Step, judged: Sequence[int]) -> bool:
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


def _varies(context: _Context, step: Step, judged: Sequence[int]) -> bool:
    """Whether the student's value changes between the judged cases. One that does not could have
    been typed from the public case's answer (``float("0.6899744811")``): computed and copied
    cannot be told apart, so it earns no credit for being consistent."""
    arrays = [as_array(context.value(step.name, index)) for index in judged]
    first = arrays[0] if arrays else None
    if first is None:
        return False
    return any(a is None or a.shape != first.shape or not close(a, first, step.rtol, step.atol) for a in arrays[1:])


def _wrong_upstream(context: _Context, upstream: Sequence[str], judged: Sequence[int]) -> list[str]:
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


def _constant(context: _Context, step: Step, judged: Sequence[int]) -> bool:
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


def _matching_mistake(context: _Context, step: Step, judged: Sequence[int], raised: bool) -> Mistake | None:
    """The known mistake that gives the student's value in every judged case that has one (and,
    where their code raised at this step, raises alike); of several (two formulas that agree
    while an upstream value is right), the one that reads the names the student's own statement
    reads. When the code ``raised`` at this step, only a mistake whose every name the statement
    reads can match: an exception alone says little about how it was computed."""
    used = context.facts.names_used.get(step.name, frozenset())
    matching = [mistake for mistake in context.quiz.mistakes if _mistake_matches(context, step, judged, mistake)
                and (not raised or set(parameters(mistake.compute)) <= used)]
    return max(matching, key=lambda mistake: len(set(parameters(mistake.compute)) & used), default=None)


def _mistake_matches(context: _Context, step: Step, judged: Sequence[int], mistake: Mistake) -> bool:
    if mistake.variable != step.name:
        return False
    compared = 0
    for index in judged:
        if context.charged[index] == step.name:  # the student's statement raised here: so must the mistake
            stop = context.runs[index].stop  # type: ignore[union-attr]
            if stop is None or stop.timeout or _raised(mistake.compute, context.own[index]) != stop.error:
                return False
            compared += 1
            continue
        actual = as_array(context.value(step.name, index))
        if actual is None:
            continue
        if not any(close(actual, out, step.rtol, step.atol) for out in context.outputs(mistake.compute, index)):
            return False
        compared += 1
    return compared > 0


def _raised(function, values: Mapping[str, object] | None) -> str | None:  # noqa: ANN001 - a quiz function
    """The name of the exception ``function`` raises on ``values`` (a numpy shape error, say); None
    when it gives a value, or when the values it needs are not there."""
    if values is None:
        return None
    try:
        apply(function, values)
    except (KeyError, TooLarge):
        return None
    except Exception as problem:  # noqa: BLE001 - what the mistake raises is what is compared
        return type(problem).__name__
    return None


def _subject(subjects: Sequence[str], verb: str) -> str:
    """```h` is``, ```h` and `w` are``."""
    return f"{names(subjects)} {plural(len(subjects), verb)}"


def _size(shape: tuple[int, ...], bare: bool = False) -> str:
    """How big an input is, as a student counts it: ``4 elements`` for a vector, ``shape (4, 2)``
    for a matrix (whose first length alone would hide a change of its columns)."""
    if len(shape) == 1:
        return str(shape[0]) if bare else count(shape[0], "element")
    return str(shape) if bare else f"shape {shape}"


def _stop_story(context: _Context, index: int, name: str) -> str:
    """What happened where case ``index`` stopped at step ``name``: the line, the exception, the case
    and the lengths of its inputs that differ from the public case's (what the code seems to assume)."""
    stop = context.runs[index].stop  # type: ignore[union-attr]
    assert stop is not None
    case = case_name(index)
    line = stop.lines[0] if index else stop.lines[-1]  # a hidden case names the file's statement, not the calls
    how = f"ran out of time at line {line}" if stop.timeout else f"stopped at line {line} with {code_span(stop.error)}"
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
    reached = "while computing it" if context.charged[index] == name and any(
        start <= line <= end for line in stop.lines for start, end in context.facts.spans.get(name, ())) \
        else f"before computing `{name}`"
    return f"your code {how} {reached} in {case_phrase(case)}{where}{assumption}"


def _diagnose(context: _Context, step: Step, judged: Sequence[int], mistake: Mistake | None,
              shows_work: bool) -> Diagnosis | None:
    """Why a wrong value is wrong: a known mistake, integers, a list, or the formula that gives it."""
    if mistake is not None:
        return Diagnosis(kind="known_mistake", explanation=f"this is a known mistake: {mistake.name}",
                         expression=expression(mistake.compute), hint=mistake.hint)
    ran = [index for index in judged if context.runs[index] is not None]
    values = [context.value(step.name, index) for index in ran]
    targets = [as_array(value) for value in values]
    expected = [context.reference.arrays[index][step.name] for index in ran]
    numeric = [value for value in values if isinstance(value, Numeric)]
    needed = expression(step.formulations[0])
    wrong = [(value, target, want) for value, target, want in zip(values, targets, expected)
             if isinstance(value, Numeric) and target is not None and not close(target, want, step.rtol, step.atol)]
    if wrong and all(value.dtype.startswith(("int", "uint")) for value, _, _ in wrong) and any(
            not np.all(np.equal(np.mod(want, 1), 0)) for _, _, want in wrong):
        truncated = all(t.shape == e.shape and np.array_equal(t, np.trunc(e)) for _, t, e in wrong)
        what = ("the right values with their fractions cut off" if truncated
                else "whole numbers where fractions are needed")
        return Diagnosis(kind="dtype", explanation=f"`{step.name}` holds integers ({wrong[0][0].dtype}): {what}",
                         hint="An array made from an integer array (np.zeros_like(x) when x holds whole numbers) "
                              "keeps integers and cuts every fraction. Make it with floats: np.zeros(len(x)), "
                              f"np.zeros_like(x, dtype=float), or compute it directly: {needed}.")
    if numeric and numeric[0].type in ("list", "tuple") and all(t is not None for t in targets) and any(
            t.size != e.size and t.size % max(e.size, 1) == 0 and np.allclose(t.reshape(-1, e.size), e.ravel())
            for t, e in zip(targets, expected) if e.size):
        return Diagnosis(kind="list", explanation=f"`{step.name}` is a Python list, repeated rather than multiplied",
                         hint="`*` repeats a list and `+` joins two: make it a numpy array (np.array(...)) so "
                              "that operators work element by element.")
    found = _public_value(context, step, ran, targets) or (_search(context, step, ran, targets) if shows_work
                                                            else None)
    if found is not None:
        return found
    if all(t is not None for t in targets) and any(t.shape != e.shape for t, e in zip(targets, expected)):
        return Diagnosis(kind="shape", explanation=_shape_story(step.name, ran, targets, expected),  # type: ignore[arg-type]
                         expression=None, hint=f"The step is {needed}." if needed else None)
    return None


def _shape_story(name: str, ran: Sequence[int], targets: Sequence[np.ndarray], expected: Sequence[np.ndarray]) -> str:
    """Where a value's shape first differs: with both shapes when that is the public case; when only
    a hidden case's differs (its inputs have other sizes), without them, which would tell its sizes."""
    index, target, wanted = next((i, t, e) for i, t, e in zip(ran, targets, expected) if t.shape != e.shape)
    if index == 0:
        return (f"`{name}` has the wrong shape: {describe_shape(target.shape)} where {describe_shape(wanted.shape)} "
                "is needed")
    return (f"`{name}` has the wrong shape in {case_phrase(case_name(index))}, whose inputs have other sizes than "
            "the public case's: it seems to be computed for the public case's sizes")


def _public_value(context: _Context, step: Step, ran: Sequence[int],
                  targets: Sequence[np.ndarray | None]) -> Diagnosis | None:
    """The right formula with one given fixed at its public value (``0.5 * term * inputs``): right
    in the public case, wrong wherever the hidden cases change that given."""
    public = context.reference.cases[0]
    if len(ran) < 2 or any(target is None for target in targets):
        return None
    for formulation in step.formulations:
        for name in parameters(formulation):
            fixed = np.asarray(public.get(name), dtype=np.float64) if name in public else None
            if fixed is None or fixed.ndim != 0:
                continue
            changes = False
            for index, target in zip(ran, targets):
                own = context.own[index]
                try:
                    value = apply(formulation, {**(own or {}), name: fixed})
                except Exception:  # noqa: BLE001 - a formula that cannot take these values does not give them
                    break
                if own is None or not close(target, value, step.rtol, step.atol):  # type: ignore[arg-type]
                    break
                changes = changes or not close(np.asarray(context.reference.cases[index][name], np.float64), fixed,
                                               1e-12, 1e-12)
            else:
                if changes:
                    shown = f"{float(fixed):g}"
                    return Diagnosis(
                        kind="public_value",
                        explanation=(f"`{step.name}` uses {shown}, the public case's `{name}`, as a fixed number: "
                                     f"it is right there, and wrong in every case with another `{name}`"),
                        expression=re.sub(rf"\b{name}\b", shown, expression(formulation) or ""),
                        hint=f"Write `{name}`, not its value {shown}: the hidden cases give `{name}` other values.")
    return None


def _search(context: _Context, step: Step, ran: Sequence[int],
            targets: Sequence[np.ndarray | None]) -> Diagnosis | None:
    """The formula over the quiz's quantities at this step that gives the value in every case."""
    if len(ran) < 2 or any(target is None for target in targets):
        return None  # one case is too few to tell a formula from a coincidence
    position = context.quiz.variables.index(step.name)
    upstream = [*context.quiz.input_names, *context.quiz.variables[:position]]
    cases = [context.own[index] or {} for index in ran]
    own = {name: [np.asarray(case[name], dtype=np.float64) for case in cases]
           for name in upstream if all(name in case for case in cases)}
    references = {name: [context.reference.arrays[index][name] for index in ran] for name in
                  context.quiz.variables[:position]
                  if name in own and any(not close(o, r, 1e-9, 1e-12) for o, r in
                                         zip(own[name], (context.reference.arrays[i][name] for i in ran)))}
    given = {name: array for name, array in context.changed_givens.items() if array is not None}
    terms = explain.terms(own, references, given, context.quiz.functions, targets[0].ndim)  # type: ignore[union-attr]
    found = explain.search(targets, terms, step.rtol, step.atol)  # type: ignore[arg-type]
    if found is None:
        return None
    needed = expression(step.formulations[0]) or step.description
    kind = "changed_input" if "given" in found.sources else "expression"
    formula = explain.ordered_like(found.expression, needed)
    if formula in {expression(formulation) for formulation in step.formulations} and "reference" not in found.sources:
        return None  # the right formula on the student's own values: not an explanation of a wrong one
    explanation = f"`{step.name}` equals `{formula}` in every case"
    if kind == "changed_input":
        mine = [term.text for term in found.terms if term.source == "given"]
        explanation += f", with your own value of {names(mine)} rather than the quiz's"
    elif "reference" in found.sources:
        explanation += f", with the right value of {names([t.text for t in found.terms if t.source == 'reference'])}"
    difference = explain.difference(formula, needed)
    if difference:
        explanation += f": {difference}" + (f" (`{needed}`)" if len(explain.factors(needed) or ()) > 1 else "")
    else:
        explanation += f", where the step needs `{needed}`"
    return Diagnosis(kind=kind, explanation=explanation, expression=formula)


def check_step(context: _Context, step: Step, stopped: str) -> Check:
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
        elif not context.reached(step.name, 0):
            message = f"{name} was not computed: {_stop_story(context, 0, context.charged[0] or step.name)}"
            diagnosis = Diagnosis(kind="not_reached", explanation=message)
        elif public.kind == "missing" and step.name in facts.functions:
            function = facts.functions[step.name]
            message = (f"{name} is assigned only inside {code_span(function + '()')}, and no call of it returned: "
                       f"call {code_span(function + '()')} at the end of the file, or compute it at top level "
                       f"({step.description})")
            diagnosis = Diagnosis(kind="inside_function", explanation=message)
        else:
            message = f"{name} is {details[0].problem}: compute {step.description}"
    elif charged:
        outcome = Outcome.WRONG
        failed_case = case_name(charged[0])
        story = _stop_story(context, charged[0], step.name)
        mistake = _matching_mistake(context, step, judged, raised=True)
        message = f"{name} is wrong: {story}"
        diagnosis = Diagnosis(kind="exception", explanation=story)
        if mistake is not None:
            mistake_name, hint = mistake.name, mistake.hint
            message += f". This matches a known mistake: {mistake.name}"
            diagnosis = _diagnose(context, step, judged, mistake, True)
    elif len(values) > 1 and judged == [0]:  # one case cannot show that the code computes it
        outcome = Outcome.WRONG
        failed_case = case_name(1)
        first = _stop_story(context, 1, context.charged[1] or step.name).removeprefix("your code ")
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
        mistake = _matching_mistake(context, step, judged, raised=False) if shows_work else None
        if mistake is not None:
            mistake_name, hint = mistake.name, mistake.hint
        diagnosis = _diagnose(context, step, judged, mistake, shows_work)
        message = wrong_message(step.name, failing.case, failing.problem or "", mistake_name)
    passed = outcome in PASSING
    return Check(
        name=step.name,
        outcome=outcome,
        passed=passed,
        score=step.weight if passed else 0.0,
        max_score=step.weight,
        message=message,
        hint=hint or (diagnosis.hint if diagnosis else None),
        mistake=mistake_name,
        line=facts.lines.get(step.name),
        failed_case=failed_case,
        diagnosis=None if passed else diagnosis,
        found_in=found_in,
        cases=details,
    )


def check_all(reference: Reference, runs: Sequence[CaseRun | None], facts: Facts = Facts(),
              stopped: str = "the run stopped before reporting it") -> list[Check]:
    """One check per step of the quiz; ``runs`` has one entry per case of ``reference`` (None when
    the run stopped before that case). ``stopped`` explains a variable that never came back."""
    if len(runs) != len(reference.cases):
        raise ValueError("one run is needed per case")
    context = _Context(reference, runs, facts)
    return [check_step(context, step, stopped) for step in reference.quiz.steps]
