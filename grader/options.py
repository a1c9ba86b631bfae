"""What the commands that grade share: the grading options, the quiz they name, a started grader.

``gdgrade check`` and the batch commands both use these, and ``check`` imports nothing else of the
command line's (``grader.entry``).
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from typing import Any

import click

from grader import audience, catalog, intake
from grader import feedback as levels
from grader.errors import QuizError
from grader.grade import Grader, Settings
from grader.quiz import Quiz
from grader.report import Report


def _finite(context: click.Context, parameter: click.Parameter, value: float | None) -> float | None:
    """A tolerance must be a number: nan would make every comparison pass."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number")
    return value


QUIZ_HELP = ("The quiz: a name (gdgrade quizzes lists them) or the path of a quiz folder, such as ./my_quiz "
             "(its code runs in gdgrade: give only your own).")
DEFAULT_QUIZ = "gradient_descent"


def load_quiz(spec: str, hint: str = "'--quiz'") -> Quiz:
    """The quiz ``--quiz`` names; a quiz that cannot be found or loaded is a usage error, in one line."""
    try:
        return catalog.load(spec)
    except QuizError as problem:
        raise click.BadParameter(str(problem), param_hint=hint) from None


def grading_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by every command that grades; they arrive as ``quiz`` and ``settings``."""
    options = [
        click.option("--quiz", "quiz_name", default=DEFAULT_QUIZ, show_default=True, help=QUIZ_HELP),
        click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=10.0, show_default=True,
                     help="Wall-clock seconds per submission, all cases together."),
        click.option("--memory", type=click.IntRange(min=128), default=1024, show_default=True,
                     help="Address-space limit per submission, in MiB (Python and numpy need 112)."),
        click.option("--hidden-cases", type=click.IntRange(1, 50), default=None,
                     help="Number of hidden cases, at least 1: they are what catches hardcoded answers "
                          "[default: the quiz's, 4]."),
        click.option("--seed", type=click.IntRange(min=0), default=None,
                     help="Seed of the hidden cases [default: a fresh one per run, recorded in every report]; "
                          "keep a seed you give from students."),
        click.option("--rtol", type=click.FloatRange(min=0), default=None, callback=_finite,
                     help="Relative tolerance for every variable [default: per variable, 1e-5]."),
        click.option("--atol", type=click.FloatRange(min=0), default=None, callback=_finite,
                     help="Absolute tolerance for every variable [default: per variable, 1e-6]."),
        click.option("--spawn", is_flag=True,
                     help="Start a fresh interpreter per submission instead of forking (slower)."),
        click.option("--sandbox", "sandbox_mode", type=click.Choice(["auto", "strict"]), default="auto",
                     show_default=True,
                     help="strict: refuse to grade unless every sandbox layer is in force."),
    ]

    @functools.wraps(command)
    def wrapper(quiz_name: str, timeout: float, memory: int, hidden_cases: int | None, seed: int | None,
                rtol: float | None, atol: float | None, spawn: bool, sandbox_mode: str, **kwargs: Any) -> Any:
        chosen = load_quiz(quiz_name).with_tolerance(rtol, atol)
        settings = Settings(timeout=timeout, memory_mib=memory, hidden_cases=hidden_cases, seed=seed,
                            spawn=spawn or sys.platform != "linux", strict=sandbox_mode == "strict")
        return command(quiz=chosen, settings=settings, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


feedback_option = click.option(
    "--feedback", type=click.Choice(levels.LEVELS), default=None,
    help="How much student-facing output gives away: full; hints (each mistake and where it is, never the formula "
         "of a step not yet earned); outcomes (only which steps are right) [default: the quiz's, full].")

hide_option = click.option(
    "--hide-hidden-cases", "hide_hidden", is_flag=True,
    help="Student-facing output says that a hidden case failed and how, without its inputs or expected values.")


def student_audience(hide_hidden: bool, feedback: levels.Level | None, chosen: Quiz) -> audience.Audience:
    """Whom student-facing output is for: a student at ``--feedback`` (default: the quiz's), shown the
    hidden cases unless ``--hide-hidden-cases``."""
    return audience.student(feedback or chosen.feedback, hidden_shown=not hide_hidden)


def open_grader(quiz: Quiz, settings: Settings, jobs: int = 1) -> Grader:
    """A started grader, once its sandbox says which layers it has: strict mode refuses to go on
    without all of them; otherwise a missing layer is noted once on stderr."""
    grader = Grader(quiz, settings, jobs)
    try:
        missing = grader.missing_layers()
    except OSError as problem:
        grader.close()
        raise click.ClickException(f"the sandbox could not be started: {problem}") from None
    if missing and settings.strict:
        grader.close()
        raise click.UsageError("--sandbox strict: not every layer is available here: "
                               + "; ".join(f"{layer} ({why})" for layer, why in missing.items()))
    if missing:
        click.echo("gdgrade: note: running without these sandbox layers: " + ", ".join(missing), err=True)
    return grader


def note_other_quiz(submissions: list[intake.Submission], chosen: Quiz) -> None:
    """When the files look like another quiz's, the run probably forgot --quiz: when every file does and
    no --quiz was given, refuse (grading them all with the default quiz gives every student 0);
    otherwise say so on stderr."""
    named = [s.path.name for s in submissions if not s.nothing]
    other = catalog.meant_for_another(named, chosen)
    if other is None:
        return
    quiz_meant, count = other
    files = "the file is" if len(submissions) == 1 else f"{count} of the {len(submissions)} files are"
    given = click.get_current_context().get_parameter_source("quiz_name") is not click.core.ParameterSource.DEFAULT
    if count == len(named) and not given:
        every = "the file is" if count == 1 else f"all {count} files are"
        raise click.UsageError(f"{every} named {quiz_meant.filename}, which quiz {quiz_meant.name} grades, and no "
                               f"--quiz was given: give --quiz {quiz_meant.name}, or --quiz {chosen.name} to grade "
                               f"{'it' if count == 1 else 'them'} as {chosen.filename} all the same")
    click.echo(f"gdgrade: note: {files} named {quiz_meant.filename}, which quiz {quiz_meant.name} grades; "
               f"this run grades quiz {chosen.name} ({chosen.filename}): give --quiz {quiz_meant.name} "
               "if that was meant", err=True)


def grade_one(submission: intake.Submission, quiz: Quiz, settings: Settings, wait: bool = True) -> Report:
    """One submission's report, from a grader started for it alone. ``wait=False`` for a process that
    exits once it has said the report: it does not wait for the sandbox to end (``Grader.close``)."""
    grader = open_grader(quiz, settings)
    try:
        report = next(grader.grade([submission]))
    except BaseException:
        grader.close(abort=True)
        raise
    grader.close(wait=wait)
    return report

