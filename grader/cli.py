"""The ``gdgrade`` command line.

Exit codes: 0 success (``check``: full marks; ``grade``: every submission has
a report), 1 ``check`` without full marks, 2 usage errors (one line on
stderr, never a traceback), 130 interrupted.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from grader import __version__, discover, gradebook, quiz, render, report, sandbox
from grader.grade import Settings, content_digest, grade
from grader.pool import Pool


def grading_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by every command that grades; they arrive as ``quiz`` and ``settings``."""
    options = [
        click.option("--quiz", "quiz_name", default="gradient_descent", show_default=True,
                     help="Which quiz definition to grade against."),
        click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=10.0, show_default=True,
                     help="Wall-clock seconds per submission, all cases together."),
        click.option("--memory", type=click.IntRange(min=64), default=1024, show_default=True,
                     help="Address-space limit per submission, in MiB."),
        click.option("--hidden-cases", type=click.IntRange(0, 50), default=None,
                     help="Number of hidden cases [default: the quiz's]."),
        click.option("--seed", type=int, default=None, help="Seed of the hidden cases [default: the quiz's]."),
        click.option("--rtol", type=click.FloatRange(min=0), default=None,
                     help="Relative tolerance for every variable [default: per variable, 1e-5]."),
        click.option("--atol", type=click.FloatRange(min=0), default=None,
                     help="Absolute tolerance for every variable [default: per variable, 1e-8]."),
        click.option("--spawn", is_flag=True,
                     help="Start a fresh interpreter per submission instead of forking (slower)."),
        click.option("--sandbox", "sandbox_mode", type=click.Choice(["auto", "strict"]), default="auto",
                     show_default=True,
                     help="strict: refuse to grade unless every sandbox layer is in force."),
    ]

    @functools.wraps(command)
    def wrapper(quiz_name: str, timeout: float, memory: int, hidden_cases: int | None, seed: int | None,
                rtol: float | None, atol: float | None, spawn: bool, sandbox_mode: str, **kwargs: Any) -> Any:
        try:
            chosen = quiz.load(quiz_name).with_tolerance(rtol, atol)
        except LookupError as problem:
            raise click.BadParameter(str(problem), param_hint="'--quiz'") from None
        missing = sandbox.probe()
        if missing and sandbox_mode == "strict":
            raise click.UsageError("--sandbox strict: not every layer is available here: "
                                   + "; ".join(f"{layer} ({why})" for layer, why in missing.items()))
        if missing:
            click.echo("gdgrade: note: running without these sandbox layers: " + ", ".join(missing), err=True)
        settings = Settings(timeout=timeout, memory_mib=memory, hidden_cases=hidden_cases, seed=seed,
                            spawn=spawn or sys.platform != "linux", strict=sandbox_mode == "strict")
        return command(quiz=chosen, settings=settings, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gdgrade")
def cli() -> None:
    """Grade the gradient-descent quiz: fast, sandboxed, with credit for carried-forward errors."""


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report alone.")
@grading_options
def check(file: Path, as_json: bool, quiz: quiz.Quiz, settings: Settings) -> None:
    """Self-check one FILE and explain each variable. Exit 0 on full marks, 1 otherwise."""
    submission = discover.find([file], quiz.filename)[0]
    with Pool(1, spawn=settings.spawn, strict=settings.strict) as pool:
        result = next(grade([submission], quiz, settings, pool))
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        encoding = (getattr(sys.stdout, "encoding", None) or "").lower()
        click.echo(render.text(result, color=sys.stdout.isatty(), unicode="utf" in encoding))
    sys.exit(0 if result.full_marks else 1)


@cli.command("grade")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, readable=True, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the reports, grades.csv and summary.json.")
@click.option("--jobs", type=click.IntRange(1, 256), default=None,
              help="Submissions graded in parallel [default: number of cores].")
@click.option("--resume", is_flag=True,
              help="Keep every valid report already in --out for the same file; grade only the rest.")
@grading_options
def grade_command(paths: tuple[Path, ...], out: Path, jobs: int | None, resume: bool, quiz: quiz.Quiz,
                  settings: Settings) -> None:
    """Grade every submission under PATHS; write one report each and the class files to --out."""
    submissions = discover.find(paths, quiz.filename)
    if not submissions:
        raise click.UsageError(f"no submissions found in {', '.join(map(str, paths))} "
                               f"(looked for {quiz.filename} files in folders and .py files)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as problem:
        raise click.UsageError(f"cannot create --out folder {out}: {problem.strerror}") from None
    done = {s.id for s in submissions
            if gradebook.existing_report(out, s.id, quiz.name, content_digest(s)) is not None} if resume else set()
    book = gradebook.Gradebook(out, quiz.name, list(quiz.variables))
    signal.signal(signal.SIGTERM, _interrupt)
    graded = 0
    try:
        with Pool(jobs or os.cpu_count() or 1, spawn=settings.spawn, strict=settings.strict) as pool:
            fresh = grade([s for s in submissions if s.id not in done], quiz, settings, pool)
            with click.progressbar(submissions, label="Grading", file=sys.stderr,
                                   hidden=not sys.stderr.isatty()) as bar:
                for submission in bar:
                    if submission.id in done:
                        book.add(gradebook.existing_report(out, submission.id, quiz.name,
                                                           content_digest(submission)), write=False)
                    else:
                        book.add(next(fresh))
                        graded += 1
    except KeyboardInterrupt:
        book.abandon()
        command = " ".join(shlex.quote(a) for a in ["gdgrade", *sys.argv[1:]] if a != "--resume")
        click.echo(f"gdgrade: interrupted after grading {graded} of {len(submissions) - len(done)} submissions; "
                   f"their reports are in {out}. Resume with: {command} --resume", err=True)
        sys.exit(130)
    summary = book.finish()
    kept = f" ({len(done)} kept from an earlier run)" if done else ""
    click.echo(f"Graded {summary.submissions} submissions{kept}: mean {summary.mean_score:.2f}/"
               f"{summary.max_score:g}, {summary.full_marks} with full marks, {len(summary.failed_runs)} failed "
               f"to run. Reports in {out}")


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops a batch the way Ctrl-C does."""
    raise KeyboardInterrupt


@cli.command()
def schema() -> None:
    """Print the JSON Schema of a report."""
    click.echo(json.dumps(report.schema(), indent=2))


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage errors become one line on stderr and exit code 2."""
    try:
        cli.main(args=argv, prog_name="gdgrade", standalone_mode=False)
    except click.ClickException as problem:
        click.echo(f"gdgrade: error: {problem.format_message()}", err=True)
        sys.exit(problem.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("gdgrade: interrupted", err=True)
        sys.exit(130)
    sys.exit(0)
