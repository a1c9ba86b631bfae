"""Human-readable renderings of reports: terminal text and Markdown."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import click

from grader.report import STATUS_MEANING, Outcome, Report, Status, case_phrase, explanations
from grader.text import code_span, count, fenced, markdown_text, one_line, printable

if TYPE_CHECKING:  # a class's summary is imported by the batch that makes one, not by a student's check
    from grader.formats.summary import Summary

MARKS = {
    Outcome.CORRECT: ("✓", "green"),
    Outcome.CONSISTENT: ("≈", "green"),
    Outcome.HARDCODED: ("!", "red"),
    Outcome.WRONG: ("✗", "red"),
    Outcome.MISSING: ("?", "yellow"),
}
ASCII_MARKS = {"✓": "+", "≈": "~", "!": "!", "✗": "x", "?": "?"}


def _error_heading(report: Report) -> str:
    """What the report's error is: the student's exception, or why the file could not run at all."""
    if report.status is Status.UNREADABLE:
        return "The file could not be read"
    if report.status is Status.SYNTAX_ERROR:
        return "The file is not valid Python"
    return f"Your code raised an error in {case_phrase(report.error.case)}" if report.error else ""


def text(report: Report, color: bool = False, unicode: bool = True) -> str:
    """One line per variable with a mark, the message and any hint, then the score.

    Student text (the path, their error, names in messages) is printed with control characters
    escaped, so nothing in it can act on the terminal.
    """
    width = max(len(check.name) for check in report.checks) if report.checks else 0
    lines = [f"{one_line(report.path)}: {report.status.value}"]
    if report.student:
        lines.append(f"  student: {one_line(report.student.describe())}")
    if report.selection:
        lines.append(f"  file: {one_line(report.selection)}")
    if report.error is not None:
        lines.append(f"  {_error_heading(report)}:")
        lines.extend(f"    {printable(line)}" for line in report.error.traceback.splitlines())
    lines.extend(f"  note: {one_line(warning)}" for warning in report.warnings)
    for check in report.checks:
        mark, colour = MARKS[check.outcome]
        if not unicode:
            mark = ASCII_MARKS[mark]
        label = f"{mark} {check.name:<{width}}  {check.outcome.value:<10}"
        lines.append(f"  {click.style(label, fg=colour) if color else label}  {one_line(check.message)}")
        for label, said in explanations(check):
            lines.append(f"  {'':<{width + 14}}  {label}: {one_line(said)}")
    lines.append(f"Score: {report.score:g}/{report.max_score:g}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: on one line, only its code spans left as code, and
    every ``|`` escaped, in code spans too (a table splits its cells before it reads code spans)."""
    return re.sub(r"(?<!\\)\|", r"\\|", markdown_text(one_line(text.replace("\n", " "))))


def markdown(report: Report) -> str:
    """A student's report as Markdown (GitHub step summaries, ``check --format markdown``).

    Student text goes in code spans and fenced blocks that it cannot close, so it renders as text:
    no links, images or HTML of the student's making.
    """
    lines = [f"### gdgrade: {_cell(code_span(report.path))}: {report.score:g}/{report.max_score:g}", "",
             f"Status: **{report.status.value}**", ""]
    if report.student:
        lines += [f"Student: {_cell(code_span(report.student.describe()))}", ""]
    if report.selection:
        lines += [f"File: {_cell(report.selection)}", ""]
    if report.error is not None:
        lines += [f"{_error_heading(report)}:", "",
                  fenced(report.error.traceback), ""]
    lines += [f"- note: {_cell(warning)}" for warning in report.warnings]
    lines += ["| | variable | outcome | feedback |", "|---|---|---|---|"]
    for check in report.checks:
        mark = MARKS[check.outcome][0]
        feedback = _cell(check.message) + "".join(f" **{label.capitalize()}:** {_cell(said)}"
                                                  for label, said in explanations(check))
        lines.append(f"| {mark} | `{check.name}` | {check.outcome.value} | {feedback} |")
    return "\n".join(lines) + "\n"


def class_markdown(summary: Summary) -> str:
    """The class overview as Markdown (summary.md, GitHub step summaries of a batch)."""
    lines = [f"# gdgrade class overview: {summary.quiz}", "",
             f"{count(summary.submissions, 'submission')}, mean {summary.mean_score:.2f}/{summary.max_score:g}, "
             f"median {summary.median_score:g}, {summary.full_marks} with full marks.", ""]
    if summary.downloads:
        from grader.formats.summary import LmsImport

        lines += [f"Submissions: {LmsImport.downloads(summary.downloads, summary.submissions)}.", ""]
    if summary.lms_import:
        lines += [f"Import file: {_cell(summary.lms_import.describe())}.", ""]
    lines += ["## Score distribution", "", "| score | submissions | |", "|---:|---:|---|"]
    widest = max(summary.score_distribution.values(), default=0) or 1
    for score, number in summary.score_distribution.items():
        lines.append(f"| {score} | {number} | {'█' * round(20 * number / widest)} |")
    lines += ["", "## How the runs ended", "", "| status | submissions | meaning |", "|---|---:|---|"]
    lines += [f"| {status} | {number} | {STATUS_MEANING[Status(status)]} |"
              for status, number in summary.statuses.items()]
    lines += ["", "## Each variable", "", "| variable | pass rate | outcomes |", "|---|---:|---|"]
    for name, variable in summary.variables.items():
        outcomes = ", ".join(f"{outcome} {number}" for outcome, number in variable.outcomes.items())
        lines.append(f"| `{name}` | {variable.pass_rate:.0%} | {outcomes} |")
    lines += ["", "## Most frequent known mistakes", ""]
    if summary.mistakes:
        lines += ["| variable | mistake | submissions |", "|---|---|---:|"]
        lines += [f"| `{m.variable}` | {_cell(m.mistake)} | {m.count} |" for m in summary.mistakes[:10]]
    else:
        lines.append("None.")
    lines += ["", "## Submissions that did not complete", "",
              "Every submission whose status is not `completed`, with the status it ended in.", ""]
    if summary.failed_runs:
        lines += ["| submission | status |", "|---|---|"]
        lines += [f"| {_cell(code_span(run.submission))} | {run.status.value} |" for run in summary.failed_runs[:100]]
        if len(summary.failed_runs) > 100:
            lines.append(f"| … and {len(summary.failed_runs) - 100} more | |")
    else:
        lines.append("None.")
    empty = [run for run in summary.failed_runs if run.status is Status.NOTHING_GRADABLE]
    if empty:
        lines += ["", "## Students with nothing to grade", "", f"{count(len(empty), 'student')}: each got a report "
                  "with every variable missing.", "", "| submission | why |", "|---|---|"]
        lines += [f"| {_cell(code_span(run.submission))} | {_cell(run.reason or '')} |" for run in empty]
    if summary.notes:
        lines += ["", "## Not searched", ""] + [f"- {_cell(note)}" for note in summary.notes]
    if summary.stale_removed:
        lines += ["", f"Removed {count(summary.stale_removed, 'file')} that an earlier run wrote for submissions "
                  "no longer in the batch."]
    return "\n".join(lines) + "\n"
