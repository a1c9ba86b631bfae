"""The commands that grade a batch, serve the quiz page, or help write a quiz: every command of
``gdgrade`` but ``check`` (``grader.selfcheck``). ``grader.entry`` is the root that loads them, and
says what each exit code means.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import json
import os
import secrets
import shlex
import signal
import sys
from collections.abc import Callable
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError

from grader import adjust, atomic, catalog, errors, intake, outdir, quizcheck, report, report_json, shard, text
from grader import feedback as levels
from grader.errors import QuizError
from grader.formats import github, gradebook, gradescope, lms, render
from grader.formats.lms.feedback import LAYOUTS as FEEDBACK_LAYOUTS
from grader.formats.summary import LmsImport, Summary
from grader.grade import Grader, Settings, content_digest
from grader.intake import layouts
from grader.options import (
    DEFAULT_QUIZ,
    QUIZ_HELP,
    feedback_option,
    grade_one,
    grading_options,
    hide_option,
    load_quiz,
    note_other_quiz,
    open_grader,
    student_audience,
)
from grader.quiz import Quiz
from grader.report import Status
from grader.source import SourceError, decode

if TYPE_CHECKING:  # the page's types: the page itself is imported only by the commands that serve it
    from grader.serve.app import ShowSolution
    from grader.serve.lti import Policy
    from grader.serve.store import Store
    from grader.serve.store.model import Which


GRADESCOPE_HOME = Path("/autograder")


replace_option = click.option(
    "--replace", is_flag=True,
    help="Replace the files of another batch that --out holds (without it, such a folder is refused).")


@click.command("gradescope")
@click.option("--submission-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("/autograder/submission"), show_default=True, help="Where Gradescope put the upload.")
@click.option("--results", "results_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("/autograder/results/results.json"), show_default=True, help="Where to write results.")
@hide_option
@feedback_option
@grading_options
def gradescope_command(submission_dir: Path, results_path: Path, hide_hidden: bool, feedback: levels.Level | None,
                       quiz: Quiz, settings: Settings) -> None:
    """The whole run_autograder step: grade the upload, write Gradescope's results.json (always)."""
    context = click.get_current_context()
    defaults = all(context.get_parameter_source(name) is click.core.ParameterSource.DEFAULT
                   for name in ("submission_dir", "results_path"))
    if defaults and not GRADESCOPE_HOME.is_dir():
        raise click.UsageError(f"this is not Gradescope's autograder ({GRADESCOPE_HOME} does not exist): give "
                               "--submission-dir and --results to run the step elsewhere")
    try:
        chosen = intake.upload(submission_dir, quiz.filename) if submission_dir.is_dir() else None
        why = chosen.selection if chosen is not None else f"the upload folder {submission_dir} does not exist"
    except intake.IntakeError as problem:  # results.json is written whatever happens
        chosen, why = None, str(problem)
    results = gradescope.ResultsFile(results_path, student_audience(hide_hidden, feedback, quiz))
    if chosen is None or chosen.nothing:
        results.fail(f"Nothing in the submission could be graded: {why}.", quiz.steps)
    else:
        try:
            results.add(results.audience.view(grade_one(chosen, quiz, settings)))
        except click.ClickException as problem:  # results.json is written whatever happens
            results.fail(f"gdgrade could not grade it: {problem.format_message()}", quiz.steps)
        except Exception:  # a fault in gdgrade: the student still gets results.json, and the fault its exit code
            results.fail("gdgrade failed to grade it (a fault in gdgrade): please report it.", quiz.steps)
            _write_results(results)
            raise
    _write_results(results)
    click.echo(f"Wrote {results_path}: {results.score:g} points")


def _write_results(results: gradescope.ResultsFile) -> None:
    """Put results.json in place; a path that cannot be written is a usage error, in one line."""
    try:
        results.finish()
    except FileExistsError:
        raise click.UsageError(f"cannot write --results {results.path}: a folder on its path is a file") from None
    except OSError as problem:
        raise click.UsageError(f"cannot write --results {results.path}: {problem.strerror}") from None


def roster_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--roster`` and what it needs, read before anything is graded: a bad roster is a usage error."""

    @click.option("--roster", "roster_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  default=None, help="The gradebook exported from Canvas, Moodle (grading worksheet), Blackboard or "
                  "Brightspace: write <system>-import.csv to --out with this assignment's grades.")
    @click.option("--assignment", default=None, help="The roster's column to fill: its name, id or header "
                  "[default: the only one]. A name the roster lacks makes a new column (Canvas, Brightspace).")
    @click.option("--points", type=click.FloatRange(min=0, min_open=True), default=None,
                  help="Points the assignment is worth in the LMS [default: the roster's points possible].")
    @click.option("--missing", type=click.Choice(["blank", "zero"]), default="blank", show_default=True,
                  help="What a roster student with no submission gets in the import file.")
    @functools.wraps(command)
    def wrapper(roster_path: Path | None, assignment: str | None, points: float | None, missing: str,
                **kwargs: Any) -> Any:
        if roster_path is None:
            if assignment is not None or points is not None or missing != "blank":
                raise click.UsageError("--assignment, --points and --missing need --roster")
            return command(roster=None, **kwargs)
        try:
            roster = lms.Roster(roster_path, assignment, points, missing == "zero")
        except lms.RosterError as problem:
            raise click.UsageError(str(problem)) from None
        return command(roster=roster, **kwargs)

    return wrapper


def adjust_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--late-penalty``, ``--due`` and ``--overrides``: read before anything is graded (a bad one is a
    usage error), arriving as ``adjustments``, a function of the quiz's variables giving the ``Adjuster``."""

    @click.option("--late-penalty", "late_penalty", default=None, metavar="P%[/day]",
                  help="Take P% of the maximum off late work (the LMS's late flag, or --due and the download's "
                       "submission times), once, or for each day or part of a day late with P%/day.")
    @click.option("--due", default=None, metavar="DATE[THH:MM]",
                  help="The deadline, in the download's time (for --late-penalty): work handed in after it is late. "
                       "A date alone means the end of that day.")
    @click.option("--overrides", "overrides_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                  default=None, help="A CSV of student,score,variable,comment: the instructor's own scores (a "
                  "variable's, or the total when variable is empty), applied in every output.")
    @functools.wraps(command)
    def wrapper(late_penalty: str | None, due: str | None, overrides_path: Path | None, **kwargs: Any) -> Any:
        if due is not None and late_penalty is None:
            raise click.UsageError("--due needs --late-penalty")
        try:
            deadline = adjust.deadline(due) if due is not None else None
            penalty = adjust.LatePenalty.parse(late_penalty, deadline) if late_penalty is not None else None
        except adjust.AdjustError as problem:
            raise click.UsageError(str(problem)) from None

        def adjustments(variables: tuple[str, ...]) -> adjust.Adjuster:
            try:
                overrides = adjust.read_overrides(overrides_path, variables) if overrides_path else None
            except adjust.AdjustError as problem:
                raise click.UsageError(str(problem)) from None
            return adjust.Adjuster(penalty, overrides)

        return command(adjustments=adjustments, **kwargs)

    return wrapper


@click.command("grade")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, readable=True, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the reports and the batch files.")
@click.option("--jobs", type=click.IntRange(1, 256), default=None,
              help="Submissions graded in parallel [default: number of cores].")
@click.option("--resume", is_flag=True,
              help="Keep every valid report already in --out for the same file; grade only the rest.")
@replace_option
@click.option("--shard", "shard_spec", default=None, metavar="K/N",
              help="Grade only shard K of N (a deterministic split; needs --seed); combine shards with gdgrade merge.")
@click.option("--layout", type=click.Choice(layouts.CHOICES), default="auto", show_default=True,
              help="How downloads name students' files: auto recognises each LMS's, plain reads folders as students.")
@click.option("--attempts", type=click.Choice(["latest", "all"]), default="latest", show_default=True,
              help="Grade each student's latest attempt in a download, or every attempt (the import takes the best).")
@roster_options
@adjust_options
@hide_option
@feedback_option
@grading_options
def grade_command(paths: tuple[Path, ...], out: Path, jobs: int | None, resume: bool, replace: bool,
                  shard_spec: str | None, layout: str, attempts: str, roster: lms.Roster | None,
                  adjustments: Callable[[tuple[str, ...]], adjust.Adjuster], hide_hidden: bool,
                  feedback: levels.Level | None, quiz: Quiz, settings: Settings) -> None:
    """Grade every submission under PATHS; write one report each and the class files to --out.

    \b
    Finding submissions: in a folder, every file named as the quiz asks
    (gradient.py for the default quiz) at any depth is one submission, named by
    its folder's path with / as __ (sec1/ana/gradient.py is sec1__ana); a loose
    NAME.py directly in the folder is submission NAME; a
    file named on the command line is a submission of its own. A notebook
    (.ipynb) is graded as its code cells. Links and special files are not read:
    they get a report that says so.

    \b
    LMS downloads: a .zip (read in place, never extracted) or its unzipped
    folder from Canvas, Moodle, Blackboard, Brightspace or a Gradescope export
    is recognised by how it names students' files; each report names the
    student. With --roster (the LMS's gradebook export), <system>-import.csv is
    written in the layout that LMS imports, and unmatched.csv names every
    submission no roster row matched.

    \b
    What is written to --out:
      <id>.json     each student's report (gdgrade schema prints its schema)
      <id>.html     each student's feedback page, their code with failing lines marked
      grades.csv    the gradebook: a row per submission, a column per variable
      junit.xml     JUnit XML for CI test reporters
      summary.json  the class overview: scores, statuses, pass rates, mistakes
      summary.md    the same overview in Markdown
      index.html    the class overview page, linking every student's page
      students.js   the overview's table of students, which index.html reads
      <system>-import.csv, unmatched.csv   with --roster
      moodle-feedback.zip, canvas-feedback.zip   each Moodle or Canvas student's
                    page, for the LMS's feedback upload
    Reports of submissions no longer in this batch are removed; a folder that
    holds another batch's files is refused unless --replace is given.
    """
    k, n = _shard(shard_spec, settings)  # before the submissions are searched: a bad shard is said at once
    adjuster = adjustments(quiz.variables)
    try:
        found = intake.find(paths, quiz.filename, layout, attempts)
    except intake.IntakeError as problem:
        raise click.UsageError(str(problem)) from None
    everything = found.submissions
    if not everything:
        raise click.UsageError(f"no submissions found in {', '.join(map(str, paths))} "
                               f"(looked for {quiz.filename} files in folders and .py files)")
    note_other_quiz(everything, quiz)
    _check_roster(roster, [(s.id, s.student) for s in everything])
    submissions = shard.select(everything, k, n) if shard_spec is not None else everything
    atomic.install_interrupt_handler()
    with _output_folder(out) as folder:
        _claim(folder, gradebook.claimed((s.id for s in submissions), roster,
                                         {s.student.system for s in everything if s.student}),
               outdir.batch_of("grade", quiz.name, paths, f"{k}/{n}" if shard_spec is not None else None), replace)
        if resume and settings.seed is None:  # the hidden cases the kept reports were graded on
            settings = dataclasses.replace(settings, seed=gradebook.kept_seed(out, submissions, quiz.name))
        pages = student_audience(hide_hidden, feedback, quiz)
        book = gradebook.Gradebook(folder, quiz, pages, roster, any(s.student for s in everything), adjuster,
                                   [github.Annotations(pages)] if github.active() else [])
        done: set[str] = set()  # an interrupt while the sandbox starts has kept none
        try:
            with open_grader(quiz, settings, jobs or os.cpu_count() or 1) as grader:
                done = _resumable(out, submissions, quiz, grader) if resume else set()
                fresh = grader.grade([s for s in submissions if s.id not in done])
                with click.progressbar(submissions, label="Grading", file=sys.stderr,
                                       hidden=not sys.stderr.isatty()) as bar:
                    for submission in bar:
                        if submission.id in done:  # validated above; now only read back
                            result = gradebook.read_report(out, submission.id)
                            result.source_text = read_text(submission)
                            book.add(result, write=False)
                        else:
                            result = next(fresh)
                            book.add(result)
        except KeyboardInterrupt:
            with atomic.deferred():
                book.abandon()
            command = " ".join(shlex.quote(a) for a in ["gdgrade", *sys.argv[1:]] if a != "--resume")
            click.echo(f"gdgrade: interrupted after grading {book.written} of "
                       f"{text.count(len(submissions) - len(done), 'submission')}; their reports are in {out}. "
                       f"Resume with: {command} --resume", err=True)
            sys.exit(130)
        summary = book.finish(found.notes)
        if shard_spec is not None:
            shard.write_manifest(out, quiz.name, k, n, everything, submissions, settings.seed)
    _announce(summary, out, f" ({len(done)} kept from an earlier run)" if done else "")


def _shard(spec: str | None, settings: Settings) -> tuple[int, int]:
    """``--shard K/N`` as (K, N); without it (1, 1), the whole batch."""
    if spec is None:
        return 1, 1
    try:
        part = shard.parse(spec)
    except shard.ShardError as problem:
        raise click.BadParameter(str(problem), param_hint="'--shard'") from None
    if settings.seed is None:
        raise click.UsageError("--shard needs --seed: every shard must grade the same hidden cases "
                               "(choose a number and keep it from students)")
    return part


@click.command()
@click.argument("shards", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the combined reports and batch files.")
@click.option("--quiz", "quiz_name", default=None,
              help="The quiz folder the shards were graded with, when it is not a quiz gdgrade finds by name.")
@replace_option
@roster_options
@adjust_options
@hide_option
def merge(shards: tuple[Path, ...], out: Path, quiz_name: str | None, replace: bool, roster: lms.Roster | None,
          adjustments: Callable[[tuple[str, ...]], adjust.Adjuster], hide_hidden: bool) -> None:
    """Combine the --out folders of every shard of a batch into one folder, refusing overlaps and gaps."""
    try:
        manifests = shard.check(shards)
    except shard.ShardError as problem:
        raise click.UsageError(str(problem)) from None
    if any(out.resolve() == folder.resolve() for folder in shards):
        raise click.UsageError("--out must be a new folder, not one of the shards")
    name = manifests[0][1].quiz
    chosen = load_quiz(quiz_name or name)
    if chosen.name != name:
        raise click.BadParameter(f"the shards were graded with quiz {name!r}, not {chosen.name!r}",
                                 param_hint="'--quiz'")
    adjuster = adjustments(chosen.variables)
    order = sorted((identifier, folder) for folder, manifest in manifests for identifier in manifest.submissions)
    handed_in = []
    for identifier, shard_folder in order:  # every report whole before anything is written
        try:
            handed_in.append((identifier, gradebook.read_report(shard_folder, identifier).student))
        except (OSError, ValidationError) as problem:
            why = problem.strerror if isinstance(problem, OSError) else "it is not a valid report"
            raise click.UsageError(f"{shard_folder}: the report of {identifier!r} cannot be read ({why}): grade "
                                   "that shard again") from None
    _check_roster(roster, handed_in)
    atomic.install_interrupt_handler()
    with _output_folder(out) as folder:
        _claim(folder, gradebook.claimed((identifier for identifier, _ in order), roster, set(FEEDBACK_LAYOUTS)),
               outdir.batch_of("merge", name, shards), replace)
        book = gradebook.Gradebook(folder, chosen, student_audience(hide_hidden, None, chosen), roster,
                                   any(m.students for _, m in manifests), adjuster)
        for identifier, shard_folder in order:
            result = gradebook.read_report(shard_folder, identifier)
            result.source_text = read_text(intake.reopen(identifier, result.path))
            book.add(result)
        summary = book.finish()
    _announce(summary, out, f" (merged from {text.count(len(manifests), 'shard')})")


@click.command("export")
@click.option("--db", "url", required=True, metavar="URL",
              help="The database gdgrade serve --db keeps attempts in: a path, sqlite:///PATH or postgresql://...")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the reports and the batch files.")
@click.option("--quiz", "quiz_name", default=None,
              help="The quiz to export: a name, or the path of a quiz folder [default: the only quiz in the database].")
@click.option("--which", type=click.Choice(["best", "last"]), default="best", show_default=True,
              help="Each student's submit with the best score (the latest of equals), or their last.")
@roster_options
@hide_option
@replace_option
def export_command(url: str, out: Path, quiz_name: str | None, which: Which, roster: lms.Roster | None,
                   hide_hidden: bool, replace: bool) -> None:
    """Write each student's best (or last) Submit on the quiz page, kept in the --db database, to --out,
    exactly as gdgrade grade writes a batch: <user>.json and .html per student, grades.csv, junit.xml,
    summary.json and .md, index.html, students.js, and with --roster the LMS import file. A student
    is named by their user on the page; their test runs are not exported."""
    from grader.serve import export
    from grader.serve.store import NoDatabase, StoreUnavailable, describe, open_store

    try:
        store = open_store(url, create=False)
    except NoDatabase as problem:
        raise click.BadParameter(str(problem), param_hint="'--db'") from None
    except StoreUnavailable as problem:
        raise click.ClickException(f"cannot open --db {describe(url)}: {text.one_line(problem.detail)}") from None
    with store:
        try:
            chosen_quiz = load_quiz(quiz_name or export.only_quiz(store))
            chosen = export.select(store, chosen_quiz.name, which)
            atomic.install_interrupt_handler()
            with _output_folder(out) as folder:
                summary = export.write(chosen, folder, chosen_quiz,
                                       outdir.batch_of(f"export --which {which}", chosen_quiz.name, [describe(url)]),
                                       roster, student_audience(hide_hidden, None, chosen_quiz), replace)
        except export.NothingToExport as problem:
            raise click.UsageError(f"--db {describe(url)}: {problem}") from None
        except StoreUnavailable as problem:
            raise click.ClickException(f"cannot read --db {describe(url)}: {text.one_line(problem.detail)}") from None
        except outdir.OtherBatch as problem:
            raise click.UsageError(str(problem)) from None
    _announce(summary, out, f" (each student's {which} submit, from {describe(url)})")


def read_text(submission: intake.Submission) -> str | None:
    """A submission's text for its feedback page, read as safely as for grading; None if it is not text."""
    try:
        return decode(submission.read())
    except (OSError, SourceError):
        return None


def _check_roster(roster: lms.Roster | None, handed_in: list[tuple[str, report.Student | None]]) -> None:
    """A roster that matches no submission is a usage error (another course's, another system's); one that
    matches only some is said on stderr, with the counts."""
    if roster is None:
        return
    try:
        note = roster.check(handed_in)
    except lms.RosterError as problem:
        raise click.UsageError(str(problem)) from None
    if note:
        click.echo(f"gdgrade: note: {note}", err=True)


def _resumable(out: Path, submissions: list[intake.Submission], chosen: Quiz, grader: Grader) -> set[str]:
    """The ids whose report in ``out`` ``--resume`` keeps; when it keeps none, it says why on stderr."""
    kept: set[str] = set()
    declined: dict[str, int] = {}
    for submission in submissions:
        found = gradebook.existing_report(out, submission.id, chosen.name, content_digest(submission),
                                          grader.grading)
        if isinstance(found, str):
            declined[found] = declined.get(found, 0) + 1
        else:
            kept.add(submission.id)
    declined.pop(gradebook.NO_REPORT, None)
    if not kept:
        why = "; ".join(f"{count} {why}" for why, count in sorted(declined.items(), key=lambda item: -item[1]))
        click.echo(f"gdgrade: note: --resume keeps no report: {out} holds "
                   + (f"none this batch can keep ({why}); grading all {len(submissions)}" if declined
                      else f"no report of this batch's submissions; grading all {len(submissions)}"), err=True)
    return kept


def _claim(folder: outdir.OutputFolder, names: list[str], batch: outdir.Batch, replace: bool) -> None:
    """``folder.claim``, refused in one line when the folder holds another batch (without ``--replace``)."""
    try:
        folder.claim(names, batch, replace)
    except outdir.OtherBatch as problem:
        raise click.UsageError(str(problem)) from None


def _output_folder(out: Path) -> outdir.OutputFolder:
    try:
        return outdir.OutputFolder(out)
    except outdir.FolderBusy as problem:
        raise click.UsageError(str(problem)) from None
    except OSError as problem:
        raise click.UsageError(f"cannot use --out folder {out}: {problem.strerror}") from None


def closing_line(summary: Summary, out: Path, note: str) -> str:
    """What a batch says when it ends: the scores, every status with its count, where the files are."""
    statuses = ", ".join(f"{count} {status.replace('_', ' ')}" for status, count in summary.statuses.items())
    origin = LmsImport.downloads(summary.downloads, summary.submissions)
    line = (f"Graded {text.count(summary.submissions, 'submission')}{f' ({origin})' if origin else ''}{note}: mean "
            f"{summary.mean_score:.2f}/{summary.max_score:g}, {summary.full_marks} with full marks; {statuses}.")
    empty = [run.submission for run in summary.failed_runs if run.status is Status.NOTHING_GRADABLE]
    if empty:
        shown = ", ".join(empty[:10]) + (f" and {len(empty) - 10} more" if len(empty) > 10 else "")
        line += (f" {text.count(len(empty), 'student')} had nothing to grade: {shown} (see summary.md "
                 "for what each holds).")
    if summary.stale_removed:
        line += (f" Removed {text.count(summary.stale_removed, 'file')} an earlier run wrote into {out} that this "
                 "batch does not write.")
    if summary.lms_import:
        imported = summary.lms_import.describe()
        line += f" {imported[0].upper()}{imported[1:]}."
    line += "".join(f" Note: {note}." for note in summary.notes)
    return line + f" Open {out / 'index.html'} for the class overview."


def _announce(summary: Summary, out: Path, note: str) -> None:
    click.echo(closing_line(summary, out, note))
    if github.active():
        github.summarise(render.class_markdown(summary))


def _default_db() -> str:
    """SQLite in the user's data folder: every attempt kept, nothing to set up."""
    home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return str(home / "gdgrade" / "attempts.sqlite")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any other than this machine's own needs a login in front (see README).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--jobs", type=click.IntRange(1, 256), default=None,
              help="Submissions graded at once [default: number of cores].")
@click.option("--show-solution", type=click.Choice(["after-pass", "always", "never"]), default="after-pass",
              show_default=True, help="When the page offers the reference solution.")
@click.option("--db", envvar="GDGRADE_DB", default=None, metavar="URL",
              help="Where every attempt is kept: a SQLite file's path, sqlite:///PATH, postgresql://... for "
                   "several replicas, or none [default: ~/.local/share/gdgrade/attempts.sqlite; env GDGRADE_DB].")
@click.option("--user-header", default=None, metavar="NAME",
              help="The header in which the trusted proxy names the student (X-Remote-User, say) [default: "
                   "students are anonymous].")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              help="An address or network whose X-Forwarded-* and user header count (repeatable) "
                   "[default: this machine, 127.0.0.0/8 and ::1].")
@click.option("--proxy-secret", envvar="GDGRADE_PROXY_SECRET", default=None, metavar="TEXT",
              help="Trust the proxy's headers (user, X-Forwarded-*) only on requests that carry this in "
                   "X-Gdgrade-Proxy: on a machine other accounts share, they reach 127.0.0.1 too "
                   "[env GDGRADE_PROXY_SECRET].")
@click.option("--root-path", default="", metavar="PREFIX",
              help="The path prefix the proxy serves the page under, when it does not send X-Forwarded-Prefix.")
@click.option("--admin-token", envvar="GDGRADE_ADMIN_TOKEN", default=None, metavar="TOKEN",
              help="Whoever types it on the class page (/class) sees the class [env GDGRADE_ADMIN_TOKEN].")
@click.option("--rate", type=click.FloatRange(min=0), default=2.0, show_default=True,
              help="Requests per second each client may make on average; a client above it is slowed (0: no limit).")
@click.option("--queue", type=click.IntRange(min=1), default=None,
              help="Attempts graded or waiting at once; beyond it, 503 with Retry-After [default: 32 per job].")
@click.option("--max-source", type=click.IntRange(1, 1024), default=16, show_default=True, metavar="KIB",
              help="The largest file the page takes, in KiB.")
@click.option("--quota", type=click.IntRange(min=0), default=500, show_default=True,
              help="Attempts one student may make a day (0: no limit).")
@click.option("--quota-mib", type=click.IntRange(min=0), default=8, show_default=True,
              help="MiB one student's attempts (files and reports) may take in the database a day (0: no limit).")
@click.option("--stop-timeout", type=click.FloatRange(1, 600), default=10.0, show_default=True,
              help="Seconds a stop (Ctrl-C, SIGTERM) waits for attempts being graded; waiting ones get 503 at once.")
@click.option("--also", "also", multiple=True, metavar="NAME|PATH",
              help="Another quiz the page serves, at ?quiz=NAME (repeatable; 'all': every quiz gdgrade quizzes lists).")
@click.option("--header-timeout", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              help="Seconds a connection has to send a request's headers (a body may pause no longer); then it "
                   "is closed.")
@click.option("--body-timeout", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds a request's body may take in all, however steadily it trickles in; then it is closed.")
@click.option("--max-connections", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Connections open at once, a tenth of them from one address (a trusted proxy's: no share); "
                   "more get 503.")
@click.option("--lti-config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Be an LTI 1.3 tool for the platforms FILE registers: students come from LMS "
                                   "launches, each Submit's score goes to the LMS gradebook (see gdgrade lti config).")
@click.option("--grade", "grade_policy", type=click.Choice(["best", "latest"]), default="best", show_default=True,
              help="With --lti-config: the score each Submit sends the LMS, the student's best so far or this one.")
@click.option("--lti-retry-most", type=click.FloatRange(0.1, 86400), default=300.0, show_default=True,
              metavar="SECONDS", help="With --lti-config: the longest wait between tries of a score the LMS did "
                                      "not take (waits double up to it).")
@click.option("--record", hidden=True, default=None)
@feedback_option
@grading_options
def serve(host: str, port: int, jobs: int | None, show_solution: ShowSolution, db: str | None, user_header: str | None,
          trusted_proxies: tuple[str, ...], proxy_secret: str | None, root_path: str, admin_token: str | None,
          rate: float, queue: int | None, max_source: int, quota: int, quota_mib: int, stop_timeout: float,
          also: tuple[str, ...], header_timeout: float, body_timeout: float, max_connections: int,
          lti_config: Path | None, grade_policy: Policy, lti_retry_most: float, record: str | None,
          feedback: levels.Level | None, quiz: Quiz, settings: Settings) -> None:
    """Serve the quiz page: its instructions, an editor with the starter file, Test run, Submit
    (graded as gdgrade check does, on hidden cases drawn for each attempt), Reset, the solution once
    earned, and the class's live view for instructors (/class).

    Every attempt is kept in the database (--db) before it is answered; gdgrade export writes them
    out as gdgrade grade writes a batch.
    """
    if record is not None:
        raise click.UsageError("--record was replaced by --db (every attempt is kept, with who sent it) and "
                               "gdgrade export --db URL --out DIR (the batch's files)")
    errors.log_to_stderr(tracebacks=True)  # a server's stderr is its log: a fault keeps its traceback there
    try:
        from grader.serve import connections, listen
        from grader.serve.app import Options, create_app
        from grader.serve.store import describe
    except ImportError:
        raise click.UsageError(f"gdgrade serve needs its extra packages: {errors.SERVE_EXTRA}") from None
    proxies = _proxies(trusted_proxies)
    if root_path and (not root_path.startswith("/") or not root_path.isascii()):
        raise click.BadParameter(f"{root_path!r} is not a path such as /quiz", param_hint="--root-path")
    lti = _lti(lti_config, grade_policy, lti_retry_most, user_header, db)
    limits = connections.fit_descriptors(connections.Limits(
        header_timeout=header_timeout, body_timeout=body_timeout, total=max_connections,
        per_client=connections.per_client(max_connections), proxies=proxies))
    if limits.total < max_connections:
        click.echo(f"gdgrade: warning: --max-connections {max_connections} is more than this process may open "
                   f"files; serving at most {limits.total}", err=True)
    try:  # before any work: a port in use is a usage error, not a grader started for nothing
        sockets = listen.bind(host, port)
    except listen.CannotListen as problem:
        raise click.UsageError(str(problem)) from None
    url = db or _default_db()
    store = _page_store(url)
    options = Options(jobs=jobs or os.cpu_count() or 1, show_solution=show_solution, store=store,
                      rate=rate, queue=queue, max_source=max_source << 10, user_header=user_header,
                      trusted_proxies=proxies, proxy_secret=proxy_secret, root_path=root_path.rstrip("/"),
                      admin_token=admin_token, quota_attempts=quota, quota_bytes=quota_mib << 20, seed=settings.seed,
                      feedback=feedback, stop_timeout=stop_timeout, lti=lti)
    app = create_app(_served(quiz, also), settings, options)
    if host not in ("127.0.0.1", "localhost", "::1") and not user_header and lti is None:
        click.echo(f"gdgrade: warning: serving on {host} with anonymous students: anyone who reaches it can use "
                   "it; put it behind a reverse proxy with a login (--user-header)", err=True)
    kept = "keeping nothing" if store is None else f"keeping attempts in {describe(url)}"
    where = f"http://{f'[{host}]' if ':' in host else host}:{sockets[0].getsockname()[1]}/"  # port 0: the one bound

    def stopping() -> None:
        for stop in options.stoppers:  # waiting attempts are answered 503 now, not after the queue
            stop()

    # uvicorn shuts down cleanly on SIGINT or SIGTERM, then raises the signal again for whoever
    # handled it before: here, that means a clean stop (what systemd and Docker send), exit code 0
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, lambda *_: sys.exit(0))
    try:  # said once it is true: the page answers there
        listen.serve(app, sockets, limits, stop_timeout=stop_timeout, on_stop=stopping, on_ready=lambda: click.echo(
            f"Serving {quiz.title} on {where}, {kept} (Ctrl-C stops)", err=True))
    finally:
        if store is not None:
            store.close()


def _proxies(addresses: tuple[str, ...]) -> tuple[IPv4Network | IPv6Network, ...]:
    """``--trusted-proxy``'s networks (this machine's when none is given)."""
    from grader.serve import identity

    try:
        return tuple(ipaddress.ip_network(address, strict=False) for address in addresses) or identity.LOOPBACK
    except ValueError as problem:
        raise click.BadParameter(str(problem), param_hint="--trusted-proxy") from None


def _page_store(url: str) -> Store | None:
    """The page's store at ``--db``'s ``url`` (None for ``none``); a usage error when it cannot be used."""
    from grader.serve.store import NoDatabase, StoreUnavailable, describe, open_store

    try:
        return None if url == "none" else open_store(url)
    except NoDatabase as problem:
        raise click.BadParameter(str(problem), param_hint="--db") from None
    except StoreUnavailable as problem:
        why = text.one_line(problem.detail or str(problem))
        raise click.ClickException(f"cannot use --db {describe(url)}: {why}") from None


def _served(first: Quiz, also: tuple[str, ...]) -> list[Quiz]:
    """The quizzes the page serves: the first, then those ``--also`` names ('all': every one listed)."""
    names = [entry.name for entry in catalog.entries() if not entry.shadowed] if "all" in also else list(also)
    quizzes = {first.name: first}
    for name in names:
        more = load_quiz(name, hint="'--also NAME|PATH'")
        quizzes.setdefault(more.name, more)
    return list(quizzes.values())


def _lti(path: Path | None, policy: Policy, retry_most: float, user_header: str | None, db: str | None) -> Any:
    """``serve``'s LTI settings from ``--lti-config``, or None; a usage error for what cannot go with them."""
    if path is None:
        return None
    if user_header:
        raise click.UsageError("--lti-config and --user-header each say who the students are: give one")
    if db == "none":
        raise click.BadParameter("an LTI tool keeps its launches and the LMS's scores in a database", param_hint="--db")
    from grader.serve.lti import ConfigError, Lti, load

    try:
        config = load(path)
    except ConfigError as problem:
        raise click.BadParameter(str(problem), param_hint="--lti-config") from None
    return Lti(config, grade=policy, retry_most=retry_most)


@click.group("lti")
def lti_commands() -> None:
    """gdgrade serve --lti-config FILE makes the quiz page an LTI 1.3 tool (README: "In the LMS")."""


@lti_commands.command("config", short_help="Print what an LMS admin pastes into Canvas and Moodle.")
@click.option("--url", default=None, metavar="URL",
              help="The tool's public address, as students' browsers reach it (https://quiz.example.edu/quiz).")
@click.option("--lti-config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Take the address and title from serve's --lti-config FILE instead.")
@click.option("--title", default="gdgrade quiz", show_default=True, help="What the LMS shows the tool as.")
def lti_config_command(url: str | None, lti_config: Path | None, title: str) -> None:
    """Print Canvas's developer key JSON, Moodle's tool settings, and the --lti-config file to fill in
    with what the LMS shows once the tool is added."""
    try:
        from grader.serve.lti import config as lti_config_file
        from grader.serve.lti import setup
    except ImportError:
        raise click.UsageError(f"gdgrade lti needs the serve extra: {errors.SERVE_EXTRA}") from None
    if (url is None) == (lti_config is None):
        raise click.UsageError("give the tool's address: --url URL or --lti-config FILE")
    if lti_config is not None:
        try:
            loaded = lti_config_file.load(lti_config)
        except lti_config_file.ConfigError as problem:
            raise click.BadParameter(str(problem), param_hint="--lti-config") from None
        url, title = loaded.url, loaded.title
    else:
        try:
            lti_config_file.web_address(str(url))
        except ValueError as problem:
            raise click.BadParameter(str(problem), param_hint="--url") from None
    click.echo(setup.instructions(str(url), title), nl=False)


@click.command()
def schema() -> None:
    """Print the JSON Schema of a report."""
    click.echo(json.dumps(report_json.schema(), indent=2))


@click.command()
@click.option("--quiz", "quiz_name", default=DEFAULT_QUIZ, show_default=True, help=QUIZ_HELP)
def starter(quiz_name: str) -> None:
    """Print the quiz's starter file: the code a student begins from (the quiz page's "reset").

    Save it under the name the quiz grades and fill in the TODOs: gdgrade quizzes says each
    quiz's file name (gdgrade starter > gradient.py for the default quiz).
    """
    click.echo(load_quiz(quiz_name).starter_source, nl=False)


@click.command("quizzes")
def quizzes() -> None:
    """List every quiz --quiz NAME can name: shipped with gdgrade, or registered by an installed
    distribution under the gdgrade.quizzes entry points. A quiz that fails to load is listed with
    the reason. A quiz folder is not listed: give its path to --quiz."""
    try:
        entries = catalog.entries()
    except QuizError as problem:
        raise click.UsageError(str(problem)) from None
    width = max((len(entry.name) for entry in entries), default=0)
    for entry in entries:
        try:
            loaded = entry.load()
            about = f"{loaded.title} (students hand in {loaded.filename})"
        except QuizError as problem:
            about = f"fails to load: {problem}"
        click.echo(f"{entry.name:<{width}}  {about}")
        shadowed = "; not used: a quiz listed above has its name" if entry.shadowed else ""
        click.echo(f"{'':<{width}}  {entry.source}{shadowed}")
    click.echo("Grade with --quiz NAME, or --quiz PATH for a quiz folder; gdgrade quiz check NAME|PATH checks one.")


@click.group("quiz")
def quiz_commands() -> None:
    """Tools for those who write quizzes (see docs/writing-a-quiz.md)."""


@quiz_commands.command("check", short_help="Verify a quiz before giving it to a class.")
@click.argument("spec", metavar="NAME|PATH")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="First seed of the hidden cases drawn [default: a fresh one, printed].")
@click.option("--draws", type=click.IntRange(1, 10_000), default=200, show_default=True,
              help="Batches of hidden cases the value checks draw.")
@click.option("--jobs", type=click.IntRange(1, 256), default=None,
              help="Files graded at once [default: number of cores].")
def quiz_check(spec: str, seed: int | None, draws: int, jobs: int | None) -> None:
    """Verify the quiz NAME|PATH: its solution, graded as a student's file, gets full marks; its
    starter gets missing everywhere; each known mistake, written as a student's file, gets exactly
    its own hint; no mistake gives the right value in any case drawn; the hidden cases vary what
    the quiz says they do; float32 work passes the tolerances. Each problem names its case and
    value. Exit 0 when every check passes, 1 otherwise."""
    chosen = load_quiz(spec, hint="'NAME|PATH'")
    seed = secrets.randbelow(2**31) if seed is None else seed
    click.echo(f"Checking quiz {chosen.name} ({spec}) on {draws} draws of its hidden cases, seeds {seed} to "
               f"{seed + draws - 1}:")
    verdicts = quizcheck.check(chosen, seed, draws, jobs or os.cpu_count() or 1)
    for verdict in verdicts:
        click.echo(f"  {'ok' if verdict.passed else 'FAIL':<4}  {verdict.title}")
        for problem in verdict.problems[:10]:
            click.echo(f"          - {problem}")
        if len(verdict.problems) > 10:
            click.echo(f"          ... and {len(verdict.problems) - 10} more")
    failed = [verdict.check for verdict in verdicts if not verdict.passed]
    if failed:
        click.echo(f"{text.count(len(failed), 'check')} of {len(verdicts)} found problems: {', '.join(failed)}.")
        sys.exit(1)
    click.echo(f"All {len(verdicts)} checks pass.")

