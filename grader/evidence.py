"""What one submission gave in every case, beside the reference: the facts both judging a value
(``grader.compare``) and explaining it (``grader.diagnose``) read.

A ``Context`` is one submission against a batch's ``Reference``; the student's own values are
turned into arrays only when a step needs them.
"""

from __future__ import annotations

import collections
import functools
import math
import operator
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np

from grader.kept import Kept
from grader.protocol import Missing, Numeric, StudentValue
from grader.quiz import Inputs, Mistake, Quiz, Values, apply, close, parameters
from grader.report import Diagnosis
from grader.source import Idiom, place

if TYPE_CHECKING:  # a report's JSON values: a name for mypy alone (see grader.report)
    from grader import report


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
    idioms: Sequence[Idiom] = ()
    cells: tuple[int, ...] = ()
    """A notebook's cell markers (``grader.source.Source.cells``), to tell a line as its cell's."""

    def place(self, line: int) -> str:
        """``line 12``, or in a notebook ``cell 3, line 2``."""
        return place(line, self.cells)
    """Constructs that fit only some values (a fixed reshape, ``.T``), where the file uses them."""


def extra_axes(shape: Sequence[int], wanted: Sequence[int]) -> bool:
    """Whether ``shape`` is ``wanted`` with length-one axes added or dropped (``(1,)`` for a scalar,
    ``(1, n)`` or ``(n, 1)`` for ``(n,)``): the same numbers in the same order, in another shape."""
    return tuple(shape) != tuple(wanted) and [n for n in shape if n != 1] == [n for n in wanted if n != 1]


def as_array(value: StudentValue | None) -> np.ndarray | None:
    """The student's value as an array, or None when it is not usable as numbers."""
    return value.array() if isinstance(value, Numeric) else None


@dataclass(frozen=True)
class Expected:
    """One reference value, kept both as an array and as plain floats for fast comparison."""

    array: np.ndarray
    shape: tuple[int, ...]
    values: tuple[float, ...]
    plain: report.Values
    """The value as JSON data (a float or nested lists), for the report."""
    exact_relative: float | None = None
    """A student's value equal to this one, number for number, has this relative error (0.0; None when
    every number is 0, where none is defined); and none is equal when a number is not finite."""
    finite: bool = True

    @classmethod
    def of(cls, array: np.ndarray) -> Expected:
        values = tuple(array.ravel().tolist())
        return cls(array, tuple(array.shape), values, array.tolist(), 0.0 if any(values) else None,
                   all(map(math.isfinite, values)))


_R = TypeVar("_R")


NUMBERS_KEPT = 1 << 16
"""The most numbers the values of one ``Shared``'s results may hold together (a few MB)."""


def _numbers(values: tuple[object, ...]) -> int:
    """How many numbers ``values`` hold (each object counted as one more)."""
    return sum(len(value.values) if isinstance(value, Numeric) and value.values is not None else 0
               for value in values) + len(values)


class Shared(Generic[_R]):
    """Results of judging a batch's values, by the identity of the value objects they were computed
    from: runs that sent the same line share its values (``grader.protocol.Lines``), so a class's
    common values are judged once. Each result is kept with its values, so that their ids are never
    another's; at most ``limit`` are kept, holding at most ``NUMBERS_KEPT`` numbers, and none whose
    values hold more than a 64th of that (``grader.kept``). A result is shared: nothing may change it
    in place."""

    def __init__(self, limit: int):
        self._kept: Kept[tuple[object, tuple[int, ...]], tuple[tuple[object, ...], _R]] = Kept(
            limit, NUMBERS_KEPT, NUMBERS_KEPT // 64)

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, kind: object, values: tuple[object, ...], compute: Callable[[], _R]) -> _R:
        """What ``compute`` gives, which must depend on ``kind`` and ``values`` alone (and on the reference)."""
        key = (kind, tuple(map(id, values)))
        kept = self._kept.get(key)
        if kept is not None and all(map(operator.is_, kept[0], values)):
            return kept[1]
        result = compute()
        self._kept.put(key, (values, result), _numbers(values))
        return result


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
        self.explained: collections.OrderedDict[bytes, tuple[Mistake | None, Diagnosis | None]] = (
            collections.OrderedDict())
        """What ``grader.diagnose`` found for each distinct wrong value graded on these cases, most recent last."""
        self.explained_lock = threading.Lock()
        self.compared: Shared[report.CaseDetail] = Shared(16384)
        """Each step's comparison with this reference in each case (``grader.compare``)."""
        self.carried: Shared[tuple[str, ...] | None] = Shared(4096)
        """Each wrong step's formulation that gives it from the student's own values (``grader.compare``)."""
        self.explaining: Shared[tuple[Mistake | None, Diagnosis | None]] = Shared(4096)
        """``explained`` by the identity of the values it read, before their digest is made."""
        self._applied: dict[tuple[Callable[..., object], int], np.ndarray] = {}

    def applied(self, function: Callable[..., object], index: int) -> np.ndarray:
        """``function`` (a step's formulation or a mistake) applied to the reference's values in case
        ``index``, computed once for every submission graded on these cases (raises as ``apply``
        does, each time). The array is shared: nothing may change it in place."""
        key = (function, index)
        result = self._applied.get(key)
        if result is None:
            result = self._applied.setdefault(key, apply(function, self.upstream[index]))
        return result



class Context:
    """One submission against the reference; the student's own arrays are built only when needed."""

    def __init__(self, reference: Reference, runs: Sequence[CaseRun | None], facts: Facts):
        self.reference, self.runs, self.facts = reference, runs, facts
        self.quiz = reference.quiz
        self._arrays: dict[tuple[str, int], np.ndarray | None] = {}

    @functools.cached_property
    def own(self) -> list[Values | None]:
        """Per case: the inputs overlaid with the student's own usable step values."""
        own: list[Values | None] = []
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

    def outputs(self, function: Callable[..., object], index: int) -> list[np.ndarray]:
        """``function`` applied to the student's own upstream values, then to the reference's."""
        results = []
        for own in (True, False):
            if own and self.own[index] is None:
                continue
            try:
                results.append(self.formula(function, index) if own else self.reference.applied(function, index))
            except Exception:  # noqa: BLE001 - a formula that cannot take these values does not give them
                continue
        return results

    def formula(self, function: Callable[..., object], index: int) -> np.ndarray:
        """``function`` applied to the student's own values in case ``index`` (which ran), as ``apply``
        does. When every value it reads is the reference's, bit for bit, so is the result: then it is
        the reference's, computed once per batch (``Reference.applied``), where most right values
        would otherwise have every formulation computed again for every submission."""
        own, reference = self.own[index], self.reference.upstream[index]
        assert own is not None, "a case that ran"
        for name in parameters(function):
            mine, theirs = own[name], reference.get(name)  # a value missing here is missing for apply too
            if mine is not theirs and not _same_bits(mine, theirs):
                return apply(function, own)
        return self.reference.applied(function, index)

    def array(self, name: str, index: int) -> np.ndarray | None:
        """The student's value of ``name`` in case ``index`` as an array (``as_array``), made once: the
        rules that judge a step each read it. Shared: nothing may change it in place."""
        key = (name, index)
        if key not in self._arrays:
            self._arrays[key] = as_array(self.value(name, index))
        return self._arrays[key]

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
                step_name = next(iter(holding or after), None)
            charged.append(step_name)
        return charged

    def reached(self, name: str, index: int) -> bool:
        """Whether the code reached ``name`` in case ``index``. A case that never ran counts as reached
        (it is judged as a failure, as before), and so does a name the file never assigns (it is
        simply not defined)."""
        run = self.runs[index]
        return (run is None or run.stop is None or not not_assigned(run.values[name])
                or not self.facts.spans.get(name) or self.charged[index] == name)


def _same_bits(mine: object, theirs: object) -> bool:
    """Two arrays of one type and shape holding the same bytes: any computation gives both the same result."""
    return (isinstance(mine, np.ndarray) and isinstance(theirs, np.ndarray) and mine.dtype == theirs.dtype
            and mine.shape == theirs.shape and mine.tobytes() == theirs.tobytes())


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
