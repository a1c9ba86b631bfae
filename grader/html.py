"""Self-contained HTML pages: the class overview (index.html) and one feedback page per student.

No network, no external assets: styles and the table-sorting script are
inline, so the folder can be opened from disk, zipped or served anywhere.
"""

from __future__ import annotations

import csv
import re
from html import escape
from pathlib import Path
from urllib.parse import quote

from grader.outdir import GENERATOR, student_files
from grader.report import STATUS_MEANING, Report, Status, explanations
from grader.summary import Summary
from grader.text import count

CODE = re.compile(r"`([^`]+)`")

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;width:100%}th,td{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left}
th{background:#f4f4f4}th[data-sort]{cursor:pointer}th[data-sort]:after{content:" \\2195";color:#999}
.bar{background:#4a7fd4;height:1em;display:inline-block;vertical-align:middle}
.chart{display:flex;align-items:flex-end;gap:.5em;height:10em;border-bottom:1px solid #999;padding:0 .5em}
.chart div{flex:1;text-align:center;font-size:.85em}.chart span{display:block;background:#4a7fd4}
.correct,.consistent{color:#17702b}.wrong,.hardcoded{color:#b3261e}.missing{color:#8a6d00}
pre{background:#f7f7f7;padding:.6em;overflow:auto}
.code td{border:0;padding:0 .6em;font:13px/1.4 ui-monospace,monospace;white-space:pre}
.code .no{color:#999;text-align:right;user-select:none}.code tr.fail{background:#fde2e0}
code{background:#f1f1f1;padding:0 .2em;border-radius:3px}
"""

SORT_SCRIPT = """
document.querySelectorAll('th[data-sort]').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0], column = th.cellIndex;
    var numeric = th.dataset.sort === 'number', ascending = th.dataset.order !== 'asc';
    th.dataset.order = ascending ? 'asc' : 'desc';
    Array.from(body.rows).sort(function (a, b) {
      var x = a.cells[column].dataset.value || a.cells[column].textContent;
      var y = b.cells[column].dataset.value || b.cells[column].textContent;
      var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      return ascending ? order : -order;
    }).forEach(function (row) { body.appendChild(row); });
  });
});
"""


def _page(title: str, body: str, script: str = "") -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">{GENERATOR}"
            f"<title>{escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>\n{body}\n"
            + (f"<script>{script}</script>" if script else "") + "</body></html>\n")


def prose(text: str) -> str:
    """A message as HTML: escaped, with its `backticked` names set as code."""
    return CODE.sub(r"<code>\1</code>", escape(text))


def student_link(submission: str) -> str:
    return quote(student_files(submission)[1])


def index(summary: Summary, gradebook_csv: Path) -> str:
    """The class overview, with a sortable table of every student read back from grades.csv."""
    widest = max(summary.score_distribution.values(), default=0) or 1
    bars = "".join(f"<div><span style=\"height:{8 * number / widest:.2f}em\" title=\"{number}\"></span>"
                   f"{escape(score)}<br>{number}</div>" for score, number in summary.score_distribution.items())
    statuses = "".join(f"<tr><td>{escape(status)}</td><td>{number}</td><td>{escape(STATUS_MEANING[Status(status)])}"
                       f"</td></tr>" for status, number in summary.statuses.items())
    variables = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td><span class=\"bar\" style=\"width:{10 * v.pass_rate:.2f}em\">"
        f"</span> {v.pass_rate:.0%}</td><td>{escape(', '.join(f'{o} {n}' for o, n in v.outcomes.items()))}</td></tr>"
        for name, v in summary.variables.items())
    mistakes = "".join(f"<tr><td><code>{escape(m.variable)}</code></td><td>{escape(m.mistake)}</td>"
                       f"<td>{m.count}</td></tr>" for m in summary.mistakes[:10]) or "<tr><td colspan=3>None</td></tr>"
    with gradebook_csv.open(newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        rows = "".join(
            f"<tr><td data-value=\"{escape(row[0])}\"><a href=\"{student_link(row[0])}\">{escape(row[0])}</a></td>"
            f"<td>{escape(row[1])}</td><td data-value=\"{escape(row[2])}\">{escape(row[2])}/{escape(row[3])}</td>"
            + "".join(f"<td data-value=\"{escape(cell)}\">{escape(cell)}</td>" for cell in row[4:]) + "</tr>"
            for row in reader)
    columns = "".join(f"<th data-sort=\"number\">{escape(name)}</th>" for name in header[4:])
    body = (
        f"<h1>gdgrade class overview: {escape(summary.quiz)}</h1>"
        f"<p>{count(summary.submissions, 'submission')}, mean {summary.mean_score:.2f}/{summary.max_score:g}, "
        f"median {summary.median_score:g}, {summary.full_marks} with full marks.</p>"
        f"<h2>Score distribution</h2><div class=\"chart\" id=\"histogram\">{bars}</div>"
        f"<h2>How the runs ended</h2><table id=\"statuses\"><tr><th>status</th><th>submissions</th>"
        f"<th>meaning</th></tr>{statuses}</table>"
        f"<h2>Pass rate per variable</h2><table id=\"variables\"><tr><th>variable</th><th>pass rate</th>"
        f"<th>outcomes</th></tr>{variables}</table>"
        f"<h2>Most frequent known mistakes</h2><table id=\"mistakes\"><tr><th>variable</th><th>mistake</th>"
        f"<th>submissions</th></tr>{mistakes}</table>"
        f"<h2>Students</h2><table id=\"students\"><thead><tr><th data-sort=\"text\">submission</th>"
        f"<th data-sort=\"text\">status</th><th data-sort=\"number\">score</th>{columns}</tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    return _page(f"gdgrade: {summary.quiz}", body, SORT_SCRIPT)


def student(report: Report, source: str | None) -> str:
    """One student's feedback: each variable's outcome and message, and their code with failing lines marked."""
    failing = {check.line for check in report.checks if not check.passed and check.line}
    checks = "".join(
        f"<tr><td class=\"{check.outcome.value}\">{escape(check.outcome.value)}</td><td><code>{escape(check.name)}"
        f"</code></td><td>{prose(check.message)}"
        + "".join(f"<br><b>{label.capitalize()}:</b> {prose(said)}" for label, said in explanations(check))
        + (f" <a href=\"#L{check.line}\">line {check.line}</a>" if check.line else "") + "</td></tr>"
        for check in report.checks)
    error = (f"<h2>Error</h2><pre>{escape(report.error.traceback)}</pre>" if report.error else "")
    output = f"<h2>Output</h2><pre>{escape(report.stdout)}</pre>" if report.stdout else ""
    code = ""
    if source is not None:
        marked = ' class="fail"'
        code = "<h2>Your code</h2><table class=\"code\">" + "".join(
            f"<tr id=\"L{number}\"{marked if number in failing else ''}><td class=\"no\">{number}</td>"
            f"<td>{escape(line)}</td></tr>" for number, line in enumerate(source.splitlines(), start=1)) + "</table>"
    body = (f"<p><a href=\"index.html\">← class overview</a></p><h1>{escape(report.submission)}: "
            f"{report.score:g}/{report.max_score:g}</h1><p>Status: <b>{escape(report.status.value)}</b></p>"
            f"<table id=\"checks\"><tr><th>outcome</th><th>variable</th><th>feedback</th></tr>{checks}</table>"
            f"{error}{output}{code}")
    return _page(f"{report.submission}: gdgrade", body)

