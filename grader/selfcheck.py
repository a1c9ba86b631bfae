"""``gdgrade check``: a student's self-check of one file, explained variable by variable.

The command a student runs most, so it imports only what it uses: a report printed as text needs
no other output format.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import click

from grader import errors, intake, report
from grader import feedback as levels
from grader.formats import github, render
from grader.grade import Settings
from grader.options import feedback_option, grade_one, grading_options, hide_option, note_other_quiz, student_audience
from grader.quiz import Quiz
from grader.report import Status

FORMATS = ("text", "json", "gradescope", "junit", "markdown")


def _format_report(result: report.Report, output_format: str) -> str:
    """One report in the chosen format (already the view of the audience it is printed for)."""
    if output_format == "json":
        from grader import report_json  # pydantic, which a check printing text never loads

        return report_json.dump(result, indent=2)
    if output_format == "gradescope":
        from grader.formats import gradescope

        return json.dumps(gradescope.results(result), indent=2)
    if output_format == "junit":
        from grader.formats import junit

        return junit.document([result]).rstrip("\n")
    if output_format == "markdown":
        return render.markdown(result).rstrip("\n")
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower()
    return render.text(result, color=sys.stdout.isatty(), unicode="utf" in encoding)


@click.command()
@click.argument("file", type=click.Path(exists=True, readable=True, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="How to print the report.")
@click.option("--json", "as_json", is_flag=True, help="Short for --format json.")
@hide_option
@feedback_option
@grading_options
def check(file: Path, output_format: str, as_json: bool, hide_hidden: bool, feedback: levels.Level | None,
          quiz: Quiz, settings: Settings) -> None:
    """Self-check one FILE and explain each variable. Exit 0 on full marks, 1 otherwise.

    FILE may be a .py file, a notebook (.ipynb: its code cells are graded) or a .zip of the work."""
    if as_json and output_format not in ("text", "json"):
        raise click.UsageError(f"--json and --format {output_format} ask for two formats: give one")
    if file.is_dir():
        inside = next(itertools.islice(file.rglob(quiz.filename), 1), None)  # one example; a typo, not a search
        one = f"gdgrade check {inside}" if inside is not None else f"gdgrade check FILE, such as {quiz.filename}"
        raise click.UsageError(f"{file} is a folder: check grades one file ({one}); to grade a folder of "
                               f"students, gdgrade grade {file} --out DIR")
    try:
        submission = intake.one(file, quiz.filename)
    except intake.IntakeError as problem:
        raise click.UsageError(str(problem)) from None
    note_other_quiz([submission], quiz)
    result = grade_one(submission, quiz, settings, wait=False)  # the command ends as soon as it has said it
    as_json = as_json or output_format == "json"  # the JSON report keeps the hidden cases, as a batch's does
    shown = student_audience(hide_hidden and not as_json, feedback, quiz).view(result)  # the student's own run
    with github.untrusted_output():
        click.echo(_format_report(shown, "json" if as_json else output_format))
    if github.active():
        github.annotate(shown)
        github.summarise(render.markdown(shown))
    sys.exit(errors.FAULT_EXIT if result.status is Status.GRADER_ERROR else 0 if result.full_marks else 1)

