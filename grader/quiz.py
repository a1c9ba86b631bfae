"""What a quiz is: public inputs, checked steps, known mistakes, hidden cases.

A quiz is data plus small pure functions. Each step and each mistake is a
plain function whose parameter names are the upstream values it needs
(inputs such as ``x`` or earlier steps such as ``h``), so the engine can apply
it either to the reference chain or to a student's own upstream values
without knowing anything about the quiz.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import math
import os
import pkgutil
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np

Inputs = Mapping[str, object]
"""One case: each input name bound to a number or a numpy array."""

DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-6
"""float32 work differs by up to about 1e-7 where a value is near zero (measured over 2,000 seeds of
hidden cases); every known mistake differs by far more."""
MAX_WORK = 1_000_000
"""The most elements ``apply`` lets a function's arguments span (the product of their sizes): every
broadcast or outer product stays under it, so no student value can make the grader allocate more."""


class TooLarge(ValueError):
    """The values are too large for the grader to compute with safely."""


@functools.cache
def parameters(function: Callable[..., object]) -> tuple[str, ...]:
    """The upstream names a step or mistake function reads, from its signature (cached: it is slow)."""
    return tuple(inspect.signature(function).parameters)


def apply(function: Callable[..., object], values: Mapping[str, object]) -> np.ndarray:
    """Call a step or mistake function with the named values it asks for.

    Raises KeyError when a value it needs is not available, and TooLarge, before computing
    anything, when together they span more than ``MAX_WORK`` elements.
    """
    arguments = {name: values[name] for name in parameters(function)}
    if math.prod(max(1, int(np.size(value))) for value in arguments.values()) > MAX_WORK:
        raise TooLarge(f"the values {', '.join(arguments)} are too large to compute with")
    with np.errstate(all="ignore"):
        result = function(**arguments)
    return np.asarray(result, dtype=np.float64)


@functools.cache
def expression(function: Callable[..., object]) -> str | None:
    """The formula a step or mistake function returns, as Python over the quiz's names
    (``learnrate * error_term * x``): its one return expression, read from its source."""
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
    """Functions of one value the quiz uses (``sigmoid``): the diagnosis search may apply them."""
    default_hidden_cases: int = 4
    solution_source: str = field(default="", repr=False)
    starter_source: str = field(default="", repr=False)
    """The file a student starts from: the givens, and each step left as None."""
    instructions: str = field(default="", repr=False)
    """What the quiz asks, for its page: paragraphs between blank lines, lines that start ``- `` as
    a list, names in backticks."""

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(self.public_inputs)

    @property
    def variables(self) -> tuple[str, ...]:
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
        """
        count = self.default_hidden_cases if hidden is None else hidden
        rng = np.random.default_rng(seed)
        return [self.public_inputs, *(self.hidden_inputs(rng, index) for index in range(count))]

    def solve(self, inputs: Inputs) -> dict[str, np.ndarray]:
        """The reference value of every step for one case."""
        values: dict[str, object] = dict(inputs)
        for step in self.steps:
            values[step.name] = apply(step.formulations[0], values)
        return {step.name: values[step.name] for step in self.steps}  # type: ignore[misc]

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


def available() -> list[str]:
    """Names of the quizzes shipped in ``grader.reference``."""
    try:
        reference = importlib.import_module("grader.reference")
    except ImportError:
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        raise LookupError(f"no quiz definitions found: the grader package was imported from the source folder "
                          f"{here}, where they are not installed; run the installed gdgrade command (or "
                          "'python -m grader' from another folder), or install with 'pip install -e .'") from None
    return sorted(info.name for info in pkgutil.iter_modules(reference.__path__) if info.ispkg)


def load(name: str) -> Quiz:
    """Load quiz ``name``: the ``QUIZ`` object of ``grader.reference.<name>``."""
    if name not in available():
        raise LookupError(f"unknown quiz {name!r} (available: {', '.join(available())})")
    module = importlib.import_module(f"grader.reference.{name}")
    quiz = module.QUIZ
    if not isinstance(quiz, Quiz):
        raise TypeError(f"grader.reference.{name}.QUIZ is not a Quiz")
    return quiz

