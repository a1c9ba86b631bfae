"""What a quiz is: public inputs, checked steps, known mistakes, hidden cases.

A quiz is data plus small pure functions. Each step and each mistake is a
plain function whose parameter names are the upstream values it needs
(the quiz's inputs, or its earlier steps), so the engine can apply
it either to the reference chain or to a student's own upstream values
without knowing anything about the quiz.
"""

from __future__ import annotations

import ast
import functools
import inspect
import math
import os
import textwrap
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from grader.errors import QuizError

if TYPE_CHECKING:
    from grader.feedback import Level

Values = Mapping[str, ArrayLike]
"""Values by name, as a step or mistake function reads them: numbers or numpy arrays."""
Inputs = Values
"""One case: each input name bound to a number or a numpy array."""

DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-6
"""float32 work differs by up to about 1e-7 where a value is near zero (measured over 2,000 seeds of
hidden cases); every known mistake differs by far more."""
DRAWS = 20
"""How many times a hidden case is drawn before one where every known mistake differs from the
right value is given up on (``Quiz.cases``)."""
MAX_WORK = 1_000_000
"""The most elements ``apply`` lets a function's arguments span (the product of their sizes): every
broadcast or outer product stays under it, so no student value can make the grader allocate more."""


class TooLarge(ValueError):
    """The values are too large for the grader to compute with safely."""


def home(function: object) -> str | None:
    """The folder of the file a quiz's function is defined in, to point at the quiz's own lines."""
    code = getattr(function, "__code__", None)
    return os.path.dirname(os.path.abspath(code.co_filename)) if code is not None else None


def failure(problem: BaseException, folder: str | None) -> str:
    """An exception raised by a quiz's own code, in one line: its type, its message and the last
    line of the quiz's own files (under ``folder``) it passed through. A quiz author needs the
    place, not a traceback."""
    where = ""
    if isinstance(problem, SyntaxError) and problem.filename:
        where = f" ({os.path.basename(problem.filename)}, line {problem.lineno})"
    elif folder is not None:
        inside = [frame for frame in traceback.extract_tb(problem.__traceback__)
                  if os.path.abspath(frame.filename).startswith(folder + os.sep)]
        if inside:
            where = f" ({os.path.relpath(inside[-1].filename, folder)}, line {inside[-1].lineno})"
    message = str(problem).splitlines()[0] if str(problem).strip() else ""
    if isinstance(problem, SyntaxError):
        message = problem.msg or message  # str() of a SyntaxError already ends with the place
    return f"{type(problem).__name__}{': ' + message if message else ''}{where}"


@functools.cache
def parameters(function: Callable[..., object]) -> tuple[str, ...]:
    """The upstream names a step or mistake function reads, from its signature (cached: it is slow)."""
    return tuple(inspect.signature(function).parameters)


def apply(function: Callable[..., object], values: Values) -> np.ndarray:
    """Call a step or mistake function with the named values it asks for.

    Raises KeyError when a value it needs is not available, and TooLarge, before computing
    anything, when together they span more than ``MAX_WORK`` elements.
    """
    arguments = {name: values[name] for name in parameters(function)}
    if math.prod(max(1, value.size if isinstance(value, np.ndarray) else int(np.size(value)))
                 for value in arguments.values()) > MAX_WORK:  # an array's own size: np.size is slow to ask
        raise TooLarge(f"the values {', '.join(arguments)} are too large to compute with")
    with np.errstate(all="ignore"):
        result = function(**arguments)
    return np.asarray(result, dtype=np.float64)


def close(actual: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    """Same shape, both finite, and ``|actual - expected| <= atol + rtol * |expected|`` everywhere.

    An infinite expected value (a formula applied to a student's huge or infinite value) matches
    nothing: ``inf <= inf`` would let any number pass.
    """
    if actual.shape != expected.shape:
        return False
    if actual.size <= SMALL:  # a handful of numbers: plain floats, where numpy's calls would cost more
        isfinite = math.isfinite
        return all(isfinite(a) and isfinite(e) and abs(a - e) <= atol + rtol * abs(e)
                   for a, e in zip(actual.ravel().tolist(), expected.ravel().tolist()))
    if not np.all(np.isfinite(actual)) or not np.all(np.isfinite(expected)):
        return False
    with np.errstate(all="ignore"):
        return bool(np.all(np.abs(actual - expected) <= atol + rtol * np.abs(expected)))


SMALL = 64
"""Arrays up to this size are compared as Python floats (measured at 4 elements: 2.5 us, against 18 us)."""


@functools.cache
def expression(function: Callable[..., object]) -> str | None:
    """The formula a step or mistake function returns, as Python over the quiz's names
    (``rate * term * inputs``): its one return expression, read from its source."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None
    returns = [node.value for node in ast.walk(tree) if isinstance(node, ast.Return) and node.value is not None]
    return ast.unparse(returns[0]) if len(returns) == 1 else None


@dataclass(frozen=True)
class Step:
    """A variable the student must compute, and the ways it may be computed.

    ``formulations`` are equivalent ways of computing the step (the first is
    the reference); a student value counts as carried forward when any of them,
    applied to the student's own upstream values, gives it.
    """

    name: str
    formulations: tuple[Callable[..., object], ...]
    description: str
    weight: float = 1.0
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    strict_shape: bool = False
    """By default a value whose numbers are right in a shape with extra length-one axes (``(1,)``
    for a scalar, from ``keepdims=True``; a ``(1, n)`` row for a vector) passes, with a note; a
    strict step asks for its shape exactly."""

    @property
    def upstream(self) -> tuple[str, ...]:
        """Every name any formulation reads, in first-seen order."""
        names: dict[str, None] = {}
        for formulation in self.formulations:
            names.update(dict.fromkeys(parameters(formulation)))
        return tuple(names)


@dataclass(frozen=True)
class Mistake:
    """A known wrong way to compute ``variable``, with the hint a student sees."""

    variable: str
    name: str
    compute: Callable[..., object]
    hint: str


@dataclass(frozen=True)
class Quiz:
    """A complete quiz definition as shipped under ``grader.reference``."""

    name: str
    title: str
    filename: str
    public_inputs: Inputs
    steps: tuple[Step, ...]
    mistakes: tuple[Mistake, ...]
    hidden_inputs: Callable[[np.random.Generator, int], Inputs]
    """Hidden case ``index`` (0 for the first), drawn from the generator: the index lets a quiz make
    sure of what every batch covers (the first case shorter than the public one, say)."""
    functions: Mapping[str, Callable[[np.ndarray], object]] = field(default_factory=dict)
    """Functions of one value the quiz uses (``squash``): the diagnosis search may apply them."""
    default_hidden_cases: int = 4
    solution_source: str = field(default="", repr=False)
    starter_source: str = field(default="", repr=False)
    """The file a student starts from: the givens, and each step left as None."""
    instructions: str = field(default="", repr=False)
    """What the quiz asks, for its page: paragraphs between blank lines, lines that start ``- `` as
    a list, names in backticks."""
    feedback: Level = "full"
    """How much student-facing output gives away unless ``--feedback`` says otherwise
    (``grader.feedback``): ``full``, ``hints`` (the mistake and where, never a step's formula) or
    ``outcomes`` (which steps are right)."""
    varies: Mapping[str, str] | None = None
    """What the hidden cases change, by input: ``"values"`` (its numbers) or ``"shape"`` (its size
    as well, so that code written for the public case's sizes fails). None: every input's values.
    ``gdgrade quiz check`` holds the generator to this claim."""
    digest: str = field(default="", repr=False, compare=False)
    """SHA-256 of the files that define the quiz, set when it is loaded (``catalog``): ``--resume``
    keeps no report graded by another version of the quiz."""

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(self.public_inputs)

    @functools.cached_property
    def variables(self) -> tuple[str, ...]:
        """The steps' names, in order (read for every value of every submission: made once)."""
        return tuple(step.name for step in self.steps)

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def cases(self, hidden: int | None, seed: int) -> list[Inputs]:
        """The public case followed by ``hidden`` hidden cases drawn from ``seed``.

        There is no default seed: a seed anyone can read would let a submission carry a table of
        the hidden cases' answers. The grader draws one per batch unless the instructor gives one.
        A hidden case in which a known mistake gives the right value (the error of a rounded
        input of 0, a slope that happens to equal another) is drawn again, up to ``DRAWS`` times:
        there a student's mistake would pass as right. ``gdgrade quiz check`` reports a mistake
        that still does.
        """
        rng = np.random.default_rng(seed)
        count = self.hidden_count(hidden)
        return [self.public_inputs, *(self._hidden_case(rng, index, seed) for index in range(count))]

    def hidden_count(self, hidden: int | None) -> int:
        """How many hidden cases ``cases`` draws when asked for ``hidden`` (None: the quiz's default)."""
        return self.default_hidden_cases if hidden is None else hidden

    def _hidden_case(self, rng: np.random.Generator, index: int, seed: int) -> Inputs:
        """Hidden case ``index``: the first draw in which no known mistake gives the right value, or
        the ``DRAWS``-th."""
        draws = 0
        while True:
            inputs = self._drawn(rng, index, seed)
            draws += 1
            try:
                if not self.alike(inputs) or draws == DRAWS:
                    return inputs
            except QuizError as problem:
                raise QuizError(f"{problem}, in hidden case {index + 1} of seed {seed}") from None

    def _drawn(self, rng: np.random.Generator, index: int, seed: int) -> Inputs:
        """One draw of hidden case ``index``, checked: QuizError when the quiz's function fails or
        gives other names than the public case's."""
        try:
            inputs: object = self.hidden_inputs(rng, index)  # the quiz author's function: anything
        except Exception as problem:  # noqa: BLE001 - the quiz's own code: its fault, said in one line
            raise QuizError(f"quiz {self.name}: its hidden_inputs failed on hidden case {index + 1} of seed "
                            f"{seed}: {failure(problem, home(self.hidden_inputs))}") from None
        if not isinstance(inputs, Mapping) or set(inputs) != set(self.public_inputs):
            given = ", ".join(sorted(inputs)) if isinstance(inputs, Mapping) else type(inputs).__name__
            raise QuizError(f"quiz {self.name}: its hidden_inputs gives {given} in hidden case {index + 1} "
                            f"of seed {seed}, where the public case has {', '.join(self.public_inputs)}")
        return inputs

    def alike(self, inputs: Inputs, reference: Mapping[str, np.ndarray] | None = None) -> list[Mistake]:
        """The known mistakes that give the right value (within the step's tolerance) in this case,
        whose reference values are ``reference`` when already solved."""
        values = {**inputs, **(reference if reference is not None else self.solve(inputs))}
        found = []
        for mistake in self.mistakes:
            step = self.step(mistake.variable)
            try:
                wrong = apply(mistake.compute, values)
            except Exception:  # noqa: BLE001 - a mistake that fails on these values differs from the right one
                continue
            if close(wrong, np.asarray(values[mistake.variable], dtype=np.float64), step.rtol, step.atol):
                found.append(mistake)
        return found

    def solve(self, inputs: Inputs) -> dict[str, np.ndarray]:
        """The reference value of every step for one case; QuizError when the quiz's own step fails."""
        values: dict[str, ArrayLike] = dict(inputs)
        solved: dict[str, np.ndarray] = {}
        for step in self.steps:
            try:
                values[step.name] = solved[step.name] = apply(step.formulations[0], values)
            except Exception as problem:  # noqa: BLE001 - the quiz's own code: its fault, said in one line
                shapes = ", ".join(f"{name} {np.shape(value)}" for name, value in inputs.items())
                raise QuizError(f"quiz {self.name}: the reference step {step.name} fails on the inputs "
                                f"({shapes}): {failure(problem, home(step.formulations[0]))}") from None
        return solved

    def with_tolerance(self, rtol: float | None, atol: float | None) -> Quiz:
        """The same quiz with every step's tolerance overridden where given."""
        steps = tuple(
            replace(
                step,
                rtol=step.rtol if rtol is None else rtol,
                atol=step.atol if atol is None else atol,
            )
            for step in self.steps
        )
        return replace(self, steps=steps)


def load(name: str) -> Quiz:
    """Load a quiz by name, or from a quiz folder when ``name`` is a path (``grader.catalog``)."""
    from grader import catalog

    return catalog.load(name)
