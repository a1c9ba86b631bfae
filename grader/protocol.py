"""Validation of what comes back from a child: untrusted plain data only.

The child runs hostile code, so each result line it wrote may be forged,
malformed or huge. Every line is parsed as JSON (never unpickled or
evaluated) and validated here, by hand, into small frozen dataclasses: every
field's type exactly (a bool is not a number), no key the child does not
write, every string and list within its cap, sizes and counts checked before
a single number is read. Hand-written, not pydantic: a student's self-check
reads these lines and loads no pydantic.

A line's reading is a function of its text alone, and most of a class's
students send the same lines (right values are the same bits, and so are the
same mistakes): ``Lines`` keeps a batch's readings by text, so each distinct
line is validated once. Nothing read is ever changed after (the dataclasses
are frozen, and nothing writes to their lists or dicts).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Literal, TypeVar

import numpy as np

from grader.kept import Kept
from grader.sandbox.child import MAX_ELEMENTS  # the most numbers one value may carry

if TYPE_CHECKING:  # the supervisor is the grader's to start; reading its answers needs only their type
    from grader.sandbox.supervisor import Answer, Outcome

MAX_TEXT = 4000
"""The longest string a line may hold (the child cuts its own to far less)."""
MAX_DTYPE = 40
MAX_DIMENSIONS = 32
MAX_AXIS = 10**12
MAX_FRAMES = 20
MAX_LAYERS = 16
MAX_NAMES = 32
"""The most injected names, given inputs and found-in entries one case's line may list."""

_T = TypeVar("_T")


class Malformed(ValueError):
    """A line that is not what the child writes: its results are not used."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Missing:
    kind: Literal["missing", "none"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Other:
    kind: Literal["other"] = "other"
    type: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Numeric:
    kind: Literal["numeric"] = "numeric"
    type: str
    dtype: str = "float64"
    """numpy's name for the element type: int64 tells that fractions were cut off."""
    shape: list[int]
    values: list[float] | None
    """Every number, row by row, or None when the value was too large to send."""

    def array(self) -> np.ndarray | None:
        """The value as a float64 array, or None when it was too large to send."""
        if self.values is None:
            return None
        return np.array(self.values, dtype=np.float64).reshape(self.shape)


StudentValue = Missing | Other | Numeric


@dataclass(frozen=True, kw_only=True, slots=True)
class Frame:
    line: int
    function: str


@dataclass(frozen=True, kw_only=True, slots=True)
class StudentException:
    type: str
    message: str
    frames: list[Frame]
    memory: bool
    timeout: bool
    disk: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Layers:
    """The child's first line, written before any student code runs: the sandbox's layers."""

    applied: list[str]
    missing: list[str]


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseMessage:
    case: int
    values: dict[str, StudentValue]
    error: StudentException | None
    exit_code: int | None
    injected: list[str]
    given: dict[str, StudentValue] = field(default_factory=dict)
    """Public case only: the value of the file's own expression for each input it assigns."""
    found_in: dict[str, str] = field(default_factory=dict)
    """Checked names whose value came from inside a function of the file, and which function."""


def _object(data: object, required: frozenset[str], allowed: frozenset[str] | None = None) -> dict[str, object]:
    """A JSON object with every required key and no key but those ``allowed`` (``required`` alone by default)."""
    if type(data) is not dict or not required <= data.keys() <= (allowed or required):
        raise Malformed("not an object of the expected keys")
    return data


_SURROGATE = re.compile("[\ud800-\udfff]")
"""Half of a UTF-16 pair: JSON's ``\\ud800`` escapes one into a str that no UTF-8 report can be written with."""


def _text(data: object, limit: int = MAX_TEXT) -> str:
    """A string within its length, and one a report can hold: no lone surrogate (as pydantic refused them)."""
    if type(data) is not str or len(data) > limit or _SURROGATE.search(data):
        raise Malformed("not a string within its length, in UTF-8")
    return data


def _int(data: object, low: int | None = None, high: int | None = None) -> int:
    if type(data) is not int or (low is not None and data < low) or (high is not None and data > high):
        raise Malformed("not an integer within its range")
    return data


def _bool(data: object) -> bool:
    if type(data) is not bool:
        raise Malformed("not true or false")
    return data


def _list(data: object, limit: int, item: Callable[[object], _T]) -> list[_T]:
    """A JSON array of at most ``limit`` items, its length checked before any item is read."""
    if type(data) is not list or len(data) > limit:
        raise Malformed("not an array within its length")
    return [item(element) for element in data]


def _names(data: object, limit: int, value: Callable[[object], _T]) -> dict[str, _T]:
    """A JSON object of at most ``limit`` entries, each key a string within its length."""
    if type(data) is not dict or len(data) > limit:
        raise Malformed("not an object within its size")
    return {_text(key): value(item) for key, item in data.items()}


def _number(data: object) -> float:
    """A number as a float: JSON's integers too (as pydantic read them), never a bool or a string.
    NaN and the infinities arrive as floats (json reads them)."""
    if type(data) is float:
        return data
    if type(data) is int:
        try:
            return float(data)
        except OverflowError:
            raise Malformed("an integer too large for a float") from None
    raise Malformed("not a number")


_NUMERIC = frozenset({"kind", "type", "shape", "values"})
_NUMERIC_OR_DTYPE = _NUMERIC | {"dtype"}
_KIND = frozenset({"kind"})
_OTHER = frozenset({"kind", "type"})
_FRAME = frozenset({"line", "function"})
_EXCEPTION = frozenset({"type", "message", "frames", "memory", "timeout"})
_EXCEPTION_OR_DISK = _EXCEPTION | {"disk"}
_SANDBOX = frozenset({"sandbox"})
_LAYERS = frozenset({"applied", "missing"})
_CASE = frozenset({"case", "values", "error", "exit_code", "injected"})
_CASE_OR_PUBLIC = _CASE | {"given", "found_in"}


def _value(data: object) -> StudentValue:
    """One variable's value, by its kind."""
    kind = data.get("kind") if type(data) is dict else None
    if kind == "numeric":
        return _numeric(_object(data, _NUMERIC, _NUMERIC_OR_DTYPE))
    if kind in ("missing", "none"):
        _object(data, _KIND)
        return Missing(kind="missing" if kind == "missing" else "none")
    if kind == "other":
        return Other(type=_text(_object(data, _OTHER)["type"]))
    raise Malformed("not a value of a known kind")


def _numeric(data: dict[str, object]) -> Numeric:
    """A value of numbers. Checked in loops of its own, not a call per item: a batch reads thousands."""
    shape, values, kind, dtype = data["shape"], data["values"], data["type"], data.get("dtype", "float64")
    if type(shape) is not list or len(shape) > MAX_DIMENSIONS:
        raise Malformed("not a shape of at most 32 axes")
    for axis in shape:
        if type(axis) is not int or not 0 <= axis <= MAX_AXIS:
            raise Malformed("not an axis of 0 to 10**12")
    if values is not None:
        if type(values) is not list or len(values) > MAX_ELEMENTS:
            raise Malformed("not an array within its length")
        for number in values:
            if type(number) is not float:  # JSON's integers, or something else: each one read
                values = [_number(number) for number in values]
                break
        if len(values) != math.prod(shape):
            raise Malformed("values do not fill the shape")
        if math.prod(axis or 1 for axis in shape) > MAX_AXIS:  # numpy refuses such a shape, even of no values
            raise Malformed("a shape of no values whose other axes multiply past 10**12")
    return Numeric(type=_text(kind), dtype=_text(dtype, MAX_DTYPE), shape=shape, values=values)


def _frame(data: object) -> Frame:
    frame = _object(data, _FRAME)
    return Frame(line=_int(frame["line"]), function=_text(frame["function"]))


def _exception(data: object) -> StudentException | None:
    if data is None:
        return None
    error = _object(data, _EXCEPTION, _EXCEPTION_OR_DISK)
    return StudentException(type=_text(error["type"]), message=_text(error["message"]),
                            frames=_list(error["frames"], MAX_FRAMES, _frame), memory=_bool(error["memory"]),
                            timeout=_bool(error["timeout"]), disk=_bool(error.get("disk", False)))


def _layers(data: object) -> Layers:
    layers = _object(_object(data, _SANDBOX)["sandbox"], _LAYERS)
    return Layers(applied=_list(layers["applied"], MAX_LAYERS, _text),
                  missing=_list(layers["missing"], MAX_LAYERS, _text))


def _case(data: object, variables: frozenset[str]) -> CaseMessage:
    """A case's line, holding a value of each of the quiz's ``variables`` and no other: its names are
    checked before a single number is read, so a line of many values of other names costs nothing."""
    message = _object(data, _CASE, _CASE_OR_PUBLIC)
    exit_code, values = message["exit_code"], message["values"]
    if type(values) is not dict or values.keys() != variables:
        raise Malformed("not the values of the quiz's variables")
    return CaseMessage(case=_int(message["case"], 0), values={name: _value(item) for name, item in values.items()},
                       error=_exception(message["error"]),
                       exit_code=None if exit_code is None else _int(exit_code),
                       injected=_list(message["injected"], MAX_NAMES, _text),
                       given=_names(message.get("given", {}), MAX_NAMES, _value),
                       found_in=_names(message.get("found_in", {}), MAX_NAMES, _text))


def _read(line: str, reader: Callable[[object], _T]) -> _T:
    """One line read by ``reader``; Malformed for anything else (not JSON, nested too deep, a wrong field)."""
    try:
        return reader(json.loads(line))
    except (ValueError, RecursionError):  # json's and Malformed are ValueErrors
        raise Malformed("a malformed line") from None


@dataclass
class Run:
    """What the grader knows about one run of a submission, all validated."""

    outcome: Outcome
    cases: list[CaseMessage]
    """One message per case that finished, in case order."""
    stdout: str = ""
    stderr: str = ""
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    exit_code: int | None = None
    signal: int | None = None
    duration_s: float = 0.0
    problems: list[str] = field(default_factory=list)
    sandbox: Layers | None = None


LINES_KEPT = 4096
"""Distinct lines whose reading a batch keeps (``Lines``)."""
LINE_KEPT_CHARS = 4096
"""A longer line is read each time it comes, not kept: the kept lines' memory stays small."""
CHARS_KEPT = 1 << 21
"""The most characters the kept lines hold together (their readings take a few times that)."""


class Lines:
    """One batch's readings of result lines, by their text: each distinct line is validated once.

    A malformed line is not kept (it raises each time), nor is one longer than ``LINE_KEPT_CHARS``;
    at most ``LINES_KEPT`` lines of ``CHARS_KEPT`` characters in all are kept (``grader.kept``)."""

    def __init__(self, variables: tuple[str, ...]):
        self._case = partial(_case, variables=frozenset(variables))
        self._kept: Kept[str, Layers | CaseMessage] = Kept(LINES_KEPT, CHARS_KEPT, LINE_KEPT_CHARS)

    def __len__(self) -> int:
        """How many readings are kept."""
        return len(self._kept)

    def sandbox(self, line: str) -> Layers:
        return self._reading(line, _layers, Layers)

    def case(self, line: str) -> CaseMessage:
        return self._reading(line, self._case, CaseMessage)

    def _reading(self, line: str, reader: Callable[[object], _T], kind: type[_T]) -> _T:
        kept = self._kept.get(line)
        if isinstance(kept, kind):
            return kept
        reading = _read(line, reader)
        self._kept.put(line, reading, len(line))  # type: ignore[arg-type]  # _T is one of the two kinds kept
        return reading


def parse_run(answer: Answer, case_count: int, variables: tuple[str, ...], lines: Lines | None = None) -> Run:
    """Validate a runner's answer; keep result lines only while they are well-formed and in order.
    ``lines``: the batch's readings so far (a fresh one by default)."""
    run = Run(outcome=answer.outcome, cases=[], stdout=answer.stdout, stderr=answer.stderr,
              stdout_bytes=answer.stdout_bytes, stderr_bytes=answer.stderr_bytes, exit_code=answer.exit_code,
              signal=answer.signal, duration_s=answer.duration_s)
    if answer.detail is not None:
        run.problems.append(answer.detail)
    reader = lines if lines is not None else Lines(variables)
    results = list(answer.results)
    if results:
        try:
            run.sandbox = reader.sandbox(results.pop(0))
        except Malformed:
            run.problems.append("the sandbox report is malformed; results ignored")
            return run
    for position, line in enumerate(results):
        try:
            message = reader.case(line)
        except Malformed:
            run.problems.append(f"result line {position + 1} is malformed; later results ignored")
            break
        if message.case != position or position >= case_count:
            run.problems.append(f"result line {position + 1} is out of order; later results ignored")
            break
        run.cases.append(message)
    return run
