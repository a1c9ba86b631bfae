"""Where quizzes come from: shipped, installed by another distribution, or a folder on disk.

A quiz is a Python package whose ``__init__.py`` defines ``QUIZ`` (a ``grader.quiz.Quiz``). gdgrade
finds one in three places, the way pytest finds plugins:

- shipped with gdgrade, as a sub-package of ``grader.reference``;
- registered by an installed distribution under the ``gdgrade.quizzes`` entry-point group
  (``name = "package.module"`` or ``"package.module:QUIZ"``);
- a folder named by its path (``--quiz ./my_quiz``): anything with a ``/`` in it is a path, so
  a bare name is never looked up in the working folder (a folder of students' work, say).

Loading a quiz runs its code in the grader's process: it is the instructor's own code, trusted as
a pytest plugin is. Students' files are never loaded this way. Whatever goes wrong while loading is
a ``QuizError`` that says in one line what and where.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import importlib.util
import math
import os
import pkgutil
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np

from grader.errors import QuizError
from grader.quiz import Quiz, failure, parameters

if TYPE_CHECKING:
    from importlib import metadata

GROUP = "gdgrade.quizzes"
"""The entry-point group an installed distribution registers its quizzes under."""
BUILT_IN = "grader.reference"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""A quiz's name: it is written into reports and file names."""
VARIES = ("values", "shape")


@dataclass(frozen=True)
class Entry:
    """A quiz that can be loaded by name, and where it comes from."""

    name: str
    source: str
    """Where it comes from, as ``gdgrade quizzes`` says it."""
    load: Callable[[], Quiz]
    shadowed: bool = False
    """Another quiz of the same name comes first (a shipped quiz before an installed one)."""
    shipped: bool = False
    """It comes with gdgrade (``grader.reference``)."""


def is_path(spec: str) -> bool:
    """Whether ``--quiz`` names a folder rather than a quiz: a path has a separator in it (``./q``),
    so a bare name never picks up a folder that happens to be in the working folder."""
    return "/" in spec or os.sep in spec or spec in (".", "..")


def _built_in() -> list[Entry]:
    try:
        reference = importlib.import_module(BUILT_IN)
    except ImportError:
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        raise QuizError(f"no quiz definitions found: the grader package was imported from the source folder "
                        f"{here}, where they are not installed; run the installed gdgrade command (or "
                        "'python -m grader' from another folder), or install with 'pip install -e .'") from None
    return [Entry(info.name, f"shipped with gdgrade: {BUILT_IN}.{info.name}",
                  functools.partial(_from_module, f"{BUILT_IN}.{info.name}", info.name), shipped=True)
            for info in sorted(pkgutil.iter_modules(reference.__path__), key=lambda info: info.name) if info.ispkg]


def _installed() -> list[Entry]:
    from importlib import metadata  # reading every installed distribution's entry points takes a while

    found = []
    for point in sorted(metadata.entry_points(group=GROUP), key=lambda point: (point.name, point.value)):
        distribution = f"{point.dist.name} {point.dist.version}" if point.dist else "an installed distribution"
        found.append(Entry(point.name, f"installed with {distribution}: entry point {point.name} = {point.value}",
                           functools.partial(_from_entry_point, point)))
    return found


def entries() -> list[Entry]:
    """Every quiz that can be loaded by name, shipped ones first; a later one of the same name is
    ``shadowed`` (it cannot replace a shipped quiz without the instructor saying so by path)."""
    listed: list[Entry] = []
    for entry in [*_built_in(), *_installed()]:
        taken = any(other.name == entry.name for other in listed)
        listed.append(dataclasses.replace(entry, shadowed=taken))
    return listed


def meant_for_another(names: Sequence[str], quiz: Quiz) -> tuple[Quiz, int] | None:
    """When at least half the files graded (``names``) are named as another quiz's file is (with an
    LMS's prefix, or as its notebook), that quiz and how many: a run that forgot ``--quiz``."""
    def named_for(filename: str) -> int:
        stem = filename.lower().rpartition(".")[0]
        return sum(name.lower() in (filename.lower(), f"{stem}.ipynb") or name.lower().endswith(f"_{filename.lower()}")
                   for name in names)

    if not names or named_for(quiz.filename) * 2 >= len(names):
        return None
    best: tuple[Quiz, int] | None = None
    for entry in entries():
        if entry.name == quiz.name or entry.shadowed:
            continue
        try:
            other = entry.load()
        except QuizError:  # a quiz that cannot load is not the one meant
            continue
        count = named_for(other.filename)
        if other.filename != quiz.filename and count * 2 >= len(names) and (best is None or count > best[1]):
            best = (other, count)
    return best


def load(spec: str) -> Quiz:
    """The quiz ``spec`` names: a quiz folder when it is a path, else a shipped or installed quiz."""
    if is_path(spec):
        return load_folder(Path(spec))
    shipped = [entry for entry in _built_in() if entry.name == spec]
    if shipped:  # it comes before any installed quiz of its name, so what is installed need not be read
        return shipped[0].load()
    every = entries()
    found = [entry for entry in every if entry.name == spec]
    if not found:
        names = ", ".join(sorted({entry.name for entry in every}))
        folder = (f"; for the quiz folder {spec}, give its path: ./{spec}"
                  if os.path.isdir(spec) else "; a quiz folder is given by its path, such as ./my_quiz")
        raise QuizError(f"unknown quiz {spec!r} (available: {names}{folder})")
    if len(found) > 1 and not any(entry.shipped for entry in found):
        raise QuizError(f"quiz {spec!r} is registered more than once: "
                        + "; ".join(entry.source for entry in found) + ": uninstall one")
    return found[0].load()


def _from_module(module_name: str, name: str) -> Quiz:
    """``QUIZ`` of an importable module (a shipped quiz)."""
    try:
        module = importlib.import_module(module_name)
    except (Exception, SystemExit) as problem:  # noqa: BLE001 - the quiz's own code: its fault, said in one line
        raise QuizError(f"quiz {name} ({module_name}) failed to load: "
                        f"{failure(problem, _folder_of(module_name))}") from None
    return _checked(_quiz_of(module, module_name), name, module_name)


def _folder_of(module_name: str) -> str | None:
    """The folder of a module that failed to import, when Python can say where it is (finding it
    imports its parent packages, which may fail again: then it cannot)."""
    try:
        spec = importlib.util.find_spec(module_name)
    except (Exception, SystemExit):  # noqa: BLE001 - the quiz's own code failing again
        return None
    origin = spec.origin if spec else None
    return os.path.dirname(os.path.abspath(origin)) if origin else None


def _from_entry_point(point: metadata.EntryPoint) -> Quiz:
    """The quiz an entry point names: a ``Quiz`` object, or a module that defines ``QUIZ``."""
    where = f"entry point {point.name} = {point.value}"
    try:
        loaded = point.load()
    except (Exception, SystemExit) as problem:  # noqa: BLE001 - the quiz's own code: its fault, said in one line
        raise QuizError(f"quiz {point.name} ({where}) failed to load: "
                        f"{failure(problem, _folder_of(point.module))}") from None
    quiz = _quiz_of(loaded, where) if isinstance(loaded, ModuleType) else loaded
    if not isinstance(quiz, Quiz):
        raise QuizError(f"{where} gives a {type(quiz).__name__}, not a grader.quiz.Quiz")
    if not quiz.digest and point.module in sys.modules:
        quiz = dataclasses.replace(quiz, digest=definition_digest(sys.modules[point.module]))
    return _checked(quiz, point.name, where)


def load_folder(folder: Path) -> Quiz:
    """The quiz a folder defines in its ``__init__.py``, imported as a package of its own (so that
    it may import its own modules with ``from . import ...`` and read files beside it)."""
    shown = str(folder)
    if not folder.exists():
        raise QuizError(f"no quiz folder {shown}: it does not exist")
    if not folder.is_dir():
        raise QuizError(f"{shown} is not a quiz folder: it is a file (give the folder that holds __init__.py)")
    init = folder / "__init__.py"
    if not init.is_file():
        raise QuizError(f"{shown} is not a quiz folder: it has no __init__.py, which must define QUIZ "
                        "(see docs/writing-a-quiz.md)")
    resolved = folder.resolve()
    module_name = "gdgrade_quiz_" + hashlib.sha256(str(resolved).encode()).hexdigest()[:16]
    for loaded in [name for name in sys.modules if name == module_name or name.startswith(module_name + ".")]:
        del sys.modules[loaded]  # loaded afresh: the folder may have changed since
    spec = importlib.util.spec_from_file_location(module_name, resolved / "__init__.py",
                                                  submodule_search_locations=[str(resolved)])
    assert spec is not None and spec.loader is not None  # a file location always gives both
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as problem:  # noqa: BLE001 - the quiz's own code: its fault, said in one line
        del sys.modules[module_name]
        raise QuizError(f"the quiz in {shown} failed to load: {failure(problem, str(resolved))}") from None
    quiz = _quiz_of(module, f"{shown}/__init__.py")
    return _checked(quiz, None, shown)


def _quiz_of(module: ModuleType, where: str) -> Quiz:
    quiz = getattr(module, "QUIZ", None)
    if quiz is None:
        raise QuizError(f"{where} defines no QUIZ (a grader.quiz.Quiz): see docs/writing-a-quiz.md")
    if not isinstance(quiz, Quiz):
        raise QuizError(f"QUIZ in {where} is a {type(quiz).__name__}, not a grader.quiz.Quiz")
    return dataclasses.replace(quiz, digest=definition_digest(module))


DIGEST_FILES = 1000
"""A quiz folder's files that its digest reads, at most: a quiz is small; this bounds a mistake."""


def definition_digest(module: ModuleType) -> str:
    """SHA-256 of the files that define a quiz: every file in its package's folder (its code, its
    solution and starter, its data), or its module's file; a quiz changed on disk gets another."""
    origin = getattr(module, "__file__", None)
    if not origin:
        return ""
    root = Path(origin).parent if hasattr(module, "__path__") else None
    files = sorted(path for path in root.rglob("*") if path.is_file() and "__pycache__" not in path.parts
                   )[:DIGEST_FILES] if root is not None else [Path(origin)]
    digest = hashlib.sha256()
    for path in files:
        name = str(path.relative_to(root)) if root is not None else path.name
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _checked(quiz: Quiz, name: str | None, where: str) -> Quiz:
    """``quiz`` if it is well formed, else QuizError naming the first problem and ``where``."""
    problems = problems_of(quiz)
    if name is not None and quiz.name != name:
        problems.insert(0, f"it is registered as {name!r} but its QUIZ is named {quiz.name!r}")
    if problems:
        raise QuizError(f"the quiz in {where} is not usable: {problems[0]}"
                        + (f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""))
    return quiz


def problems_of(quiz: Quiz) -> list[str]:
    """What makes a quiz unusable, found without running a student's file: names, steps and
    mistakes that do not fit together, and a reference that fails on the public inputs."""
    problems = [*_naming_problems(quiz), *_input_problems(quiz), *_source_problems(quiz), *_step_problems(quiz),
                *_mistake_problems(quiz)]
    if not problems:
        try:
            quiz.solve(quiz.public_inputs)
        except QuizError as problem:
            problems.append(str(problem))
    return problems


def _naming_problems(quiz: Quiz) -> list[str]:
    problems = []
    if not isinstance(quiz.name, str) or not NAME.fullmatch(quiz.name):
        problems.append(f"its name {quiz.name!r} is not letters, digits, '_', '.' and '-'")
    if not isinstance(quiz.filename, str) or not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\.py", quiz.filename):
        problems.append(f"its filename {quiz.filename!r} is not the plain name of a .py file")
    from grader.feedback import LEVELS  # here: loading a quiz needs no report model until it is checked

    if quiz.feedback not in LEVELS:
        problems.append(f"its feedback {quiz.feedback!r} is not one of {', '.join(LEVELS)}")
    return problems


def _input_problems(quiz: Quiz) -> list[str]:
    problems = []
    if not quiz.public_inputs:
        problems.append("it has no public inputs")
    for name, value in quiz.public_inputs.items():
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            problems.append(f"its public input {name} is not a number or an array of numbers")
            continue
        if not np.all(np.isfinite(array)):
            problems.append(f"its public input {name} is not finite")
    for name, how in (quiz.varies or {}).items():
        if name not in quiz.public_inputs or how not in VARIES:
            problems.append(f"varies says {name!r}: {how!r}, but it takes inputs of the quiz and "
                            f"{' or '.join(map(repr, VARIES))}")
    if not callable(quiz.hidden_inputs):
        problems.append("its hidden_inputs is not a function of (rng, index)")
    if quiz.default_hidden_cases < 1:
        problems.append("it has no hidden cases by default: default_hidden_cases must be at least 1")
    return problems


def _source_problems(quiz: Quiz) -> list[str]:
    return [f"its {label} is empty" for label, text in (("solution_source", quiz.solution_source),
                                                        ("starter_source", quiz.starter_source))
            if not isinstance(text, str) or not text.strip()]


def _step_problems(quiz: Quiz) -> list[str]:
    problems = []
    known = set(quiz.public_inputs)
    if not quiz.steps:
        problems.append("it has no steps")
    for step in quiz.steps:
        if step.name in known:
            problems.append(f"step {step.name} is named like an input or an earlier step")
        if not step.formulations or not all(callable(function) for function in step.formulations):
            problems.append(f"step {step.name} has no formulation")
            continue
        unknown = [name for name in step.upstream if name not in known]
        if unknown:
            problems.append(f"step {step.name} reads {', '.join(unknown)}, which is neither an input nor an "
                            "earlier step")
        if not (step.weight >= 0 and math.isfinite(step.weight)) or not all(
                math.isfinite(value) and value >= 0 for value in (step.rtol, step.atol)):
            problems.append(f"step {step.name} has a weight or tolerance that is not a finite number >= 0")
        known.add(step.name)
    return problems


def _mistake_problems(quiz: Quiz) -> list[str]:
    problems = []
    seen = set()
    for mistake in quiz.mistakes:
        if mistake.variable not in quiz.variables:
            problems.append(f"mistake {mistake.name!r} is of {mistake.variable}, which is not a step")
            continue
        if (mistake.variable, mistake.name) in seen:
            problems.append(f"mistake {mistake.name!r} of {mistake.variable} is listed twice")
        seen.add((mistake.variable, mistake.name))
        position = quiz.variables.index(mistake.variable)
        upstream = {*quiz.public_inputs, *quiz.variables[:position]}
        unknown = [name for name in parameters(mistake.compute) if name not in upstream]
        if unknown:
            problems.append(f"mistake {mistake.name!r} reads {', '.join(unknown)}, which is not upstream of "
                            f"{mistake.variable}")
        if not mistake.hint.strip():
            problems.append(f"mistake {mistake.name!r} has no hint")
    return problems
