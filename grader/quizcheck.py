"""``gdgrade quiz check``: what a quiz author verifies before giving a quiz to a class.

Six checks, each of which a quiz can fail without any error being raised:

- ``solution``: the solution file, graded as a student's file is (in the sandbox, on hidden cases),
  gets full marks;
- ``starter``: the starter file gets ``missing`` for every variable;
- ``mistakes``: each known mistake, written into the solution as a student would write it, gets
  exactly its own hint, and every other step passes (downstream credit) or was never reached;
- ``distinct``: no known mistake gives the right value in any case drawn, else a hidden case
  cannot tell the two apart;
- ``hidden``: the generator is seeded, gives the public case's inputs, lets the reference solve
  every case, and varies what the quiz's ``varies`` says it does;
- ``float32``: each step computed in single precision from single-precision inputs passes its
  tolerance, as a student working in float32 (or on a GPU) should.

The value checks run on ``draws`` batches of hidden cases, seeds ``seed`` to ``seed + draws - 1``,
so every problem names a seed that reproduces it (``gdgrade check --seed S``).
"""

from __future__ import annotations

import ast
import builtins
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from grader import intake
from grader.compare import close
from grader.errors import QuizError
from grader.grade import Grader, Settings
from grader.quiz import Inputs, Mistake, Quiz, apply, expression
from grader.report import Outcome, Report

GRADED_OK = frozenset({Outcome.CORRECT, Outcome.CONSISTENT, Outcome.MISSING})
"""What a step other than a mistake's own may get in that mistake's file: right, right from the
student's own values, or not reached because the mistake raised (in the public case)."""


@dataclass(frozen=True)
class Verdict:
    """One check: what it verifies, and each problem it found (with the case and value)."""

    check: str
    title: str
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Case:
    """One case the value checks run on: how to name it, its inputs, the reference values."""

    label: str
    inputs: Inputs
    reference: dict[str, np.ndarray]


class Unwritable(Exception):
    """A mistake the checker cannot write as a student's file, and why."""


def check(quiz: Quiz, seed: int, draws: int = 100, jobs: int = 1) -> list[Verdict]:
    """Every check of ``quiz``, in the order the module lists them."""
    cases, drawing = draw(quiz, seed, draws)
    try:
        graded = grade_files(quiz, seed, jobs)
        found = [tuple(solution_problems(graded["solution"])), tuple(starter_problems(graded["starter"])),
                 tuple(mistake_file_problems(quiz, graded))]
    except QuizError:  # the quiz fails on this seed's hidden cases, which ``hidden`` reports
        found = [(f"not graded: the quiz fails on the hidden cases of seed {seed} (see the hidden cases' check)",)] * 3
    return [
        Verdict("solution", "the solution, graded as a student's file, gets full marks", found[0]),
        Verdict("starter", "the starter gets `missing` for every variable", found[1]),
        Verdict("mistakes", f"each of the {len(quiz.mistakes)} known mistakes, written as a student's file, gets "
                "exactly its own hint", found[2]),
        Verdict("distinct", f"every known mistake differs from the right value in each of {len(cases)} cases",
                tuple(distinct_problems(quiz, cases))),
        Verdict("hidden", f"the hidden cases vary what the quiz says they vary ({claims(quiz)})",
                tuple([*drawing, *seeded_problems(quiz, seed), *variety_problems(quiz, cases)])),
        Verdict("float32", f"the tolerances accept float32 work in each of {len(cases)} cases",
                tuple(float32_problems(quiz, cases))),
    ]


# --- drawing the cases -------------------------------------------------------------------------


def draw(quiz: Quiz, seed: int, draws: int) -> tuple[list[Case], list[str]]:
    """The public case and the hidden cases of ``draws`` batches, each with its reference values;
    and what went wrong drawing or solving them (the quiz's own code failing: a ``hidden`` problem),
    each said once with the number of seeds it happened in."""
    cases = [Case("the public case", quiz.public_inputs, quiz.solve(quiz.public_inputs))]
    failures: list[str] = []
    for batch in range(seed, seed + draws):
        try:
            drawn = quiz.cases(None, batch)[1:]
        except QuizError as problem:
            failures.append(str(problem))
            continue
        for index, inputs in enumerate(drawn, 1):
            reference = quiz.solve(inputs)  # cases() has solved it already
            broken = [name for name, value in reference.items() if not np.all(np.isfinite(value))]
            if broken:
                failures.append(f"the reference value of `{broken[0]}` is not finite in hidden case {index} of seed "
                                f"{batch}: {shown(reference[broken[0]])}")
                continue
            cases.append(Case(f"hidden case {index} of seed {batch}", inputs, reference))
    more = f" (and {len(failures) - 1} more of the kind in the {draws} seeds drawn)" if len(failures) > 1 else ""
    return cases, [failures[0] + more] if failures else []


def shown(value: object) -> str:
    """A value, short enough for one line of a report."""
    array = np.asarray(value, dtype=np.float64)
    if array.size > 8:
        return f"an array of shape {array.shape} starting {np.array2string(array.ravel()[:4], precision=6)}"
    return np.array2string(array, precision=8, separator=", ").replace("\n", "")


# --- grading the solution, the starter and each mistake as students' files ---------------------


def mistake_source(quiz: Quiz, mistake: Mistake) -> str:
    """The solution file with ``mistake.variable`` computed the mistake's way, as a student would
    write it: its last top-level assignment replaced by ``variable = <the mistake's formula>``."""
    formula = expression(mistake.compute)
    if formula is None:
        raise Unwritable("its function is not a single `return` of a formula, which the checker writes into the "
                         "solution file")
    tree = ast.parse(quiz.solution_source)
    assignments = [statement for statement in tree.body if isinstance(statement, ast.Assign)
                   and [getattr(target, "id", None) for target in statement.targets] == [mistake.variable]]
    if not assignments:
        raise Unwritable(f"the solution file has no top-level `{mistake.variable} = ...` to write it in place of")
    defined = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    defined |= {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    defined |= {(alias.asname or alias.name).split(".")[0] for node in ast.walk(tree)
                if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    read = {node.id for node in ast.walk(ast.parse(formula, mode="eval")) if isinstance(node, ast.Name)}
    unknown = sorted(read - defined - set(dir(builtins)))
    if unknown:
        raise Unwritable(f"its formula `{formula}` reads {', '.join(unknown)}, which the solution file does not "
                         "define")
    lines = quiz.solution_source.splitlines(keepends=True)
    last = assignments[-1]
    lines[last.lineno - 1:last.end_lineno] = [f"{mistake.variable} = {formula}\n"]
    return "".join(lines)


def files(quiz: Quiz) -> Iterator[tuple[str, str | Unwritable]]:
    """Each file the checker grades, by id: the solution, the starter, one per known mistake (or why
    that mistake cannot be written)."""
    yield "solution", quiz.solution_source
    yield "starter", quiz.starter_source
    for number, mistake in enumerate(quiz.mistakes, 1):
        try:
            yield f"mistake-{number}", mistake_source(quiz, mistake)
        except Unwritable as problem:
            yield f"mistake-{number}", problem


def grade_files(quiz: Quiz, seed: int, jobs: int) -> dict[str, Report | Unwritable]:
    """Every file of ``files`` graded as a student's file is, in the sandbox, on the hidden cases of ``seed``."""
    written = dict(files(quiz))
    with tempfile.TemporaryDirectory(prefix="gdgrade-quiz-check-") as folder:
        submissions = []
        for identifier, source in written.items():
            if isinstance(source, str):
                path = Path(folder) / identifier / quiz.filename
                path.parent.mkdir()
                path.write_text(source, encoding="utf-8")
                submissions.append(intake.Submission(identifier, path))
        with Grader(quiz, Settings(seed=seed), jobs) as grader:
            graded: dict[str, Report | Unwritable] = {report.submission: report
                                                      for report in grader.grade(submissions)}
    graded.update({identifier: source for identifier, source in written.items() if isinstance(source, Unwritable)})
    return graded


def solution_problems(report: Report | Unwritable) -> Iterator[str]:
    assert isinstance(report, Report)  # the solution is always written
    if report.error is not None:
        yield f"it raised {report.error.type} in the {report.error.case} case: {report.error.message}"
    for check in report.checks:
        if not check.passed:
            yield f"`{check.name}` is {check.outcome.value}: {check.message}"


def starter_problems(report: Report | Unwritable) -> Iterator[str]:
    assert isinstance(report, Report)  # the starter is always written
    for check in report.checks:
        if check.outcome is not Outcome.MISSING:
            yield f"`{check.name}` is {check.outcome.value}, where a starter leaves it as None: {check.message}"


def mistake_file_problems(quiz: Quiz, graded: dict[str, Report | Unwritable]) -> Iterator[str]:
    for number, mistake in enumerate(quiz.mistakes, 1):
        report = graded[f"mistake-{number}"]
        about = f"mistake {mistake.name!r} of `{mistake.variable}`"
        if isinstance(report, Unwritable):
            yield f"{about} cannot be written as a student's file: {report}"
            continue
        about += f" (`{mistake.variable} = {expression(mistake.compute)}`)"
        for check in report.checks:
            if check.name == mistake.variable:
                if check.mistake != mistake.name:
                    named = f"names the mistake {check.mistake!r}" if check.mistake else "names no known mistake"
                    yield f"{about}: `{check.name}` is {check.outcome.value} and {named}: {check.message}"
                elif check.hint != mistake.hint:
                    yield f"{about}: `{check.name}` gets the hint {check.hint!r}, not the mistake's own"
            elif check.mistake is not None or check.outcome not in GRADED_OK:
                also = f", matching the mistake {check.mistake!r}" if check.mistake else ""
                yield (f"{about}: it also makes `{check.name}` {check.outcome.value}{also} (downstream credit does "
                       f"not reach it): {check.message}")


# --- checks on values, case by case ------------------------------------------------------------


def distinct_problems(quiz: Quiz, cases: Sequence[Case]) -> Iterator[str]:
    """Each mistake that gives the right value somewhere: the first case, the value, how often."""
    alike = {case.label: {mistake.name for mistake in quiz.alike(case.inputs, case.reference)} for case in cases}
    for mistake in quiz.mistakes:
        found = [case for case in cases if mistake.name in alike[case.label]]
        if found:
            more = f" (and in {len(found) - 1} more of the {len(cases)} cases)" if len(found) > 1 else ""
            yield (f"mistake {mistake.name!r} gives the right `{mistake.variable}` in {found[0].label}: "
                   f"{shown(found[0].reference[mistake.variable])}{more}; a case where they are equal cannot tell "
                   "them apart")


def claims(quiz: Quiz) -> str:
    """What the quiz says its hidden cases vary, in words."""
    varies = varied(quiz)
    parts = [f"{', '.join(name for name, how in varies.items() if how == kind)}: {kind}"
             for kind in ("shape", "values") if kind in varies.values()]
    return "; ".join(parts) or "nothing"


def varied(quiz: Quiz) -> dict[str, str]:
    """The quiz's ``varies``, or its default: every input's values."""
    return dict(quiz.varies) if quiz.varies is not None else dict.fromkeys(quiz.public_inputs, "values")


def variety_problems(quiz: Quiz, cases: Sequence[Case]) -> Iterator[str]:
    """Each input the quiz says varies that does not, across every hidden case drawn."""
    hidden = list(cases[1:])
    if not hidden:
        return
    public = quiz.public_inputs
    for name, how in varied(quiz).items():
        arrays = [np.asarray(case.inputs[name], dtype=np.float64) for case in hidden]
        if how == "shape" and all(array.shape == np.shape(public[name]) for array in arrays):
            yield (f"`{name}` is said to change shape, but has the public case's shape {np.shape(public[name])} in "
                   f"all {len(hidden)} hidden cases drawn")
        if all(array.shape == arrays[0].shape and np.array_equal(array, arrays[0]) for array in arrays[1:]):
            yield (f"`{name}` is said to change, but is {shown(arrays[0])} in all {len(hidden)} hidden cases drawn "
                   f"(from {hidden[0].label} on)")


def seeded_problems(quiz: Quiz, seed: int) -> Iterator[str]:
    """Whether one seed gives one set of hidden cases: ``--seed`` must grade on the same cases again."""
    try:
        first, again = quiz.cases(None, seed)[1:], quiz.cases(None, seed)[1:]
    except QuizError:
        return  # said once already, by ``draw``
    for index, (one, other) in enumerate(zip(first, again), 1):
        changed = [name for name in one if name not in other or not np.array_equal(one[name], other[name])]
        if changed:
            yield (f"hidden case {index} of seed {seed} is not the same when drawn again (`{changed[0]}`: "
                   f"{shown(one[changed[0]])}, then {shown(other[changed[0]])}): draw only from the rng that "
                   "hidden_inputs is given, never from np.random or random")
            return


def float32_problems(quiz: Quiz, cases: Sequence[Case]) -> Iterator[str]:
    """Each step whose float32 value falls outside its tolerance somewhere: the worst case, and the
    tolerance that would accept every case."""
    worst: dict[str, tuple[float, Case, np.ndarray]] = {}
    for case in cases:
        single = in_float32(quiz, case.inputs)
        for step in quiz.steps:
            got, want = single[step.name], case.reference[step.name]
            if got is None or not close(got, want, step.rtol, step.atol):
                needed = np.inf if got is None or got.shape != want.shape else float(
                    np.max(np.abs(got - want) - step.rtol * np.abs(want)))
                if needed > worst.get(step.name, (-1.0, case, want))[0]:
                    worst[step.name] = (needed, case, got if got is not None else np.array(np.nan))
    for step in quiz.steps:
        if step.name in worst:
            needed, case, got = worst[step.name]
            yield (f"`{step.name}` computed in float32 is {shown(got)} in {case.label}, where the reference is "
                   f"{shown(case.reference[step.name])}: its tolerance (rtol {step.rtol:g}, atol {step.atol:g}) "
                   f"rejects it; atol {needed:.2g} would accept every case drawn")


def in_float32(quiz: Quiz, inputs: Inputs) -> dict[str, np.ndarray | None]:
    """Every step computed by its reference formulation in single precision from single-precision
    inputs, each value rounded to float32 before the next step uses it (None where it fails)."""
    values: dict[str, ArrayLike] = {name: _single(value) for name, value in inputs.items()}
    found: dict[str, np.ndarray | None] = {}
    for step in quiz.steps:
        try:
            values[step.name] = _single(apply(step.formulations[0], values))
        except Exception:  # noqa: BLE001 - a formula that fails in float32 is a problem the caller reports
            found[step.name] = None
            values[step.name] = np.float32(np.nan)
            continue
        found[step.name] = np.asarray(values[step.name], dtype=np.float64)
    return found


def _single(value: ArrayLike) -> np.float32 | np.ndarray:
    array = np.asarray(value)
    return np.float32(array) if array.ndim == 0 else array.astype(np.float32)

