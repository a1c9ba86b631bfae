"""Human-readable feedback for a student's self-check."""

from __future__ import annotations

import click

from grader.report import Outcome, Report

MARKS = {
    Outcome.CORRECT: ("✓", "green"),
    Outcome.CONSISTENT: ("≈", "green"),
    Outcome.HARDCODED: ("!", "red"),
    Outcome.WRONG: ("✗", "red"),
    Outcome.MISSING: ("?", "yellow"),
}
ASCII_MARKS = {"✓": "+", "≈": "~", "!": "!", "✗": "x", "?": "?"}


def text(report: Report, color: bool = False, unicode: bool = True) -> str:
    """One line per variable with a mark, the message and any hint, then the score."""
    width = max(len(check.name) for check in report.checks) if report.checks else 0
    lines = [f"{report.path}: {report.status.value}"]
    if report.error is not None:
        lines.append(f"  Your code raised an error in the {report.error.case} case:")
        lines.extend(f"    {line}" for line in report.error.traceback.splitlines())
    lines.extend(f"  note: {warning}" for warning in report.warnings)
    for check in report.checks:
        mark, colour = MARKS[check.outcome]
        if not unicode:
            mark = ASCII_MARKS[mark]
        label = f"{mark} {check.name:<{width}}  {check.outcome.value:<10}"
        lines.append(f"  {click.style(label, fg=colour) if color else label}  {check.message}")
        if check.hint:
            lines.append(f"  {'':<{width + 14}}  hint: {check.hint}")
    lines.append(f"Score: {report.score:g}/{report.max_score:g}")
    return "\n".join(lines)
