"""Self-contained HTML pages: the class overview (index.html) and one feedback page per student.

No network, no external assets: styles and the table-sorting script are
inline, so the folder can be opened from disk, zipped or served anywhere.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from urllib.parse import quote

from grader import atomic
from grader.audience import Audience, View
from grader.formats.summary import Summary
from grader.formats.writer import Writer
from grader.outdir import GENERATOR, student_files
from grader.report import PASSING, STATUS_MEANING, Outcome, Report, Status, explanations
from grader.text import count

CODE = re.compile(r"`([^`]+)`")

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;width:100%}th,td{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left}
th{background:#f4f4f4}th button{font:inherit;font-weight:bold;color:inherit;background:none;border:0;padding:0;
cursor:pointer}th button:after{content:" \\2195";color:#595959}th[aria-sort=ascending] button:after{content:" \\2191"}
th[aria-sort=descending] button:after{content:" \\2193"}th button:focus-visible{outline:2px solid #1a55b8}
.bar{background:#4a7fd4;height:1em;display:inline-block;vertical-align:middle}
.chart{display:flex;align-items:flex-end;gap:.5em;height:10em;border-bottom:1px solid #999;padding:0 .5em}
.chart div{flex:1;text-align:center;font-size:.85em}.chart span{display:block;background:#4a7fd4}
.correct,.consistent{color:#17702b}.wrong,.hardcoded{color:#b3261e}.missing{color:#8a6d00}
pre{background:#f7f7f7;padding:.6em;overflow:auto}
.code td{border:0;padding:0 .6em;font:13px/1.4 ui-monospace,monospace;white-space:pre}
.code .no{color:#595959;text-align:right;user-select:none}.code tr.fail{background:#fde2e0}
code{background:#f1f1f1;padding:0 .2em;border-radius:3px}
.oC,.oF,.oW,.oH,.oM{font-weight:bold;text-align:center}.oC{color:#17702b}.oF{color:#0f6b66}.oW{color:#b3261e}
.oH{color:#7b1fa2}.oM{color:#805f00}abbr{text-decoration:none}.unmatched,.late{color:#b3261e;font-weight:bold}
.legend span{margin-right:1.2em}.filters label{margin-right:1em}
"""

TABLE_SCRIPT = """
(function () {
  var rows = window.gdgradeStudents || [], shown = rows, page = 0, pageSize = 200;
  var table = document.getElementById('students'), body = table.tBodies[0];
  var headers = table.querySelectorAll('th[data-column]');
  var columns = Array.prototype.map.call(headers, function (th) { return th.dataset.column; });
  var outcomes = {C: 'correct', F: 'consistent', W: 'wrong', H: 'hardcoded', M: 'missing'}, rank = 'CFWHM';
  var filter = document.getElementById('filter'), byOutcome = document.getElementById('by-outcome');
  var byMistake = document.getElementById('by-mistake'), byImport = document.getElementById('by-import');
  function key(row, column) {
    if (column.charAt(0) === 'v') { return rank.indexOf(row[8].charAt(Number(column.slice(1)))); }
    var value = row[Number(column)];
    return value === null ? -1 : typeof value === 'boolean' ? Number(value) : value;
  }
  function add(tr, text, value) {
    var td = document.createElement('td');
    td.textContent = text;
    if (value !== undefined) { td.dataset.value = value; }
    tr.appendChild(td);
    return td;
  }
  function cell(tr, row, column) {
    if (column === '0') {
      var link = document.createElement('a');
      link.href = row[1];
      link.textContent = row[0];
      add(tr, '', row[0]).appendChild(link);
    } else if (column === '3') {
      add(tr, row[3] + '/' + row[4], row[3]);
    } else if (column === '6') {
      add(tr, row[6] === null ? '' : row[6] ? 'late' : 'on time').className = row[6] ? 'late' : '';
    } else if (column === '7') {
      var mark = add(tr, row[7]);
      mark.className = row[7];
      if (row[7] === 'unmatched') { mark.title = 'not in the import file: unmatched.csv says why'; }
    } else if (column.charAt(0) === 'v') {
      var letter = row[8].charAt(Number(column.slice(1))), abbr = document.createElement('abbr');
      abbr.textContent = letter;
      abbr.title = outcomes[letter] || '';
      var td = add(tr, '', letter);
      td.className = 'o' + letter;
      td.appendChild(abbr);
    } else {
      add(tr, String(row[Number(column)]));
    }
  }
  function render() {
    var start = page * pageSize, fragment = document.createDocumentFragment();
    shown.slice(start, start + pageSize).forEach(function (row) {
      var tr = document.createElement('tr');
      columns.forEach(function (column) { cell(tr, row, column); });
      fragment.appendChild(tr);
    });
    body.replaceChildren(fragment);
    var last = Math.min(start + pageSize, shown.length);
    document.getElementById('shown').textContent = shown.length ?
      (start + 1) + '-' + last + ' of ' + shown.length + (shown.length < rows.length ? ' (filtered)' : '') : 'none';
    document.getElementById('previous').disabled = page === 0;
    document.getElementById('next').disabled = last >= shown.length;
  }
  headers.forEach(function (th) {
    th.querySelector('button').addEventListener('click', function () {
      var column = th.dataset.column, ascending = th.getAttribute('aria-sort') !== 'ascending';
      headers.forEach(function (other) { other.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      shown = shown.slice().sort(function (a, b) {
        var x = key(a, column), y = key(b, column);
        var order = typeof x === 'number' ? x - y : String(x).localeCompare(String(y));
        return ascending ? order : -order;
      });
      page = 0;
      render();
    });
  });
  function select() {
    var text = filter.value.toLowerCase(), outcome = byOutcome.value, mistake = byMistake.value;
    var marked = byImport ? byImport.value : '';
    shown = rows.filter(function (row) {
      return (row[0] + ' ' + row[5] + ' ' + row[2]).toLowerCase().indexOf(text) >= 0 &&
        (!outcome || row[8].charAt(Number(outcome.split(':')[0])) === outcome.split(':')[1]) &&
        (!mistake || row[9].indexOf(mistake) >= 0) && (!marked || row[7] === marked);
    });
    headers.forEach(function (other) { other.removeAttribute('aria-sort'); });
    page = 0;
    render();
  }
  [filter, byOutcome, byMistake, byImport].forEach(function (control) {
    if (control) { control.addEventListener(control === filter ? 'input' : 'change', select); }
  });
  document.getElementById('previous').addEventListener('click', function () { page -= 1; render(); });
  document.getElementById('next').addEventListener('click', function () { page += 1; render(); });
  render();
})();
"""
"""Renders the students' table from students.js beside the page: sorted, filtered (by name, outcome,
known mistake and import) and paged in the browser, so the page stays small and fast for a class of
any size (and works opened from disk)."""

LETTERS = {Outcome.CORRECT: "C", Outcome.CONSISTENT: "F", Outcome.WRONG: "W", Outcome.HARDCODED: "H",
           Outcome.MISSING: "M"}
"""Each outcome's letter in the students' table (F: error carried forward); its colour is in STYLE."""
LEGEND = {Outcome.CORRECT: "correct", Outcome.CONSISTENT: "consistent, an error carried forward",
          Outcome.WRONG: "wrong", Outcome.HARDCODED: "hardcoded", Outcome.MISSING: "missing"}


_HEAD = f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">{GENERATOR}<title>"
_STYLED = f"</title><style>{STYLE}</style></head><body><main>\n"
"""Every page's opening, around its title: written once, not per page."""


def _page(title: str, body: str, script: str = "") -> str:
    return (_HEAD + escape(title) + _STYLED + body + "\n</main>"
            + (f"<script>{script}</script>" if script else "") + "</body></html>\n")


def prose(text: str) -> str:
    """A message as HTML: escaped, with its `backticked` names set as code."""
    return CODE.sub(r"<code>\1</code>", escape(text))


def student_link(submission: str) -> str:
    return quote(student_files(submission)[1])


def _sortable(column: str, title: str) -> str:
    """A header of the students' table: a button sorts by its column (from the keyboard too), and
    ``aria-sort`` tells a screen reader which column sorts the table and which way."""
    return f"<th scope=\"col\" data-column=\"{column}\"><button type=\"button\">{escape(title)}</button></th>"


def _filters(summary: Summary, variables: list[str], roster: bool) -> str:
    """The controls above the students' table: find by name, id or status; show one outcome of one
    variable, one known mistake, or (with a roster) who went into the import file; and the legend of
    the outcome letters."""
    def options(pairs: list[tuple[str, str]], anything: str) -> str:
        return f"<option value=\"\">{anything}</option>" + "".join(
            f"<option value=\"{escape(value)}\">{escape(label)}</option>" for value, label in pairs)

    by_outcome = [(f"{i}:{letter}", f"{name} {outcome.value}") for i, name in enumerate(variables)
                  for outcome, letter in LETTERS.items()]
    by_mistake = [(f"{m.variable}: {m.mistake}", f"{m.variable}: {m.mistake} ({m.count})") for m in summary.mistakes]
    imported = ("<label>Import <select id=\"by-import\">" + options(
        [("imported", "imported"), ("unmatched", "in unmatched.csv")], "everyone") + "</select></label>"
                if roster else "")
    legend = "".join(f"<span><b class=\"o{letter}\">{letter}</b> {escape(LEGEND[outcome])}"
                     f"{' (passes)' if outcome in PASSING else ''}</span>" for outcome, letter in LETTERS.items())
    return (f"<p class=\"filters\"><label>Find <input id=\"filter\" type=\"search\" "
            f"placeholder=\"name, id or status\"></label><label>Outcome <select id=\"by-outcome\">"
            f"{options(by_outcome, 'any')}</select></label><label>Known mistake <select id=\"by-mistake\">"
            f"{options(by_mistake, 'any')}</select></label>{imported}</p>"
            f"<p class=\"legend\" id=\"legend\">{legend}</p>")


def index(summary: Summary, variables: list[str], students: bool = False, roster: bool = False) -> str:
    """The class overview; its table of every student is filled from ``students.js`` beside it.
    ``students``: the batch came from an LMS download, so the table names each student and says who
    was late; ``roster``: it was matched to a roster, so the table names students as the roster does
    and says whose grade went into the import file."""
    widest = max(summary.score_distribution.values(), default=0) or 1
    bars = "".join(f"<div><span style=\"height:{8 * number / widest:.2f}em\" title=\"{number}\"></span>"
                   f"{escape(score)}<br>{number}</div>" for score, number in summary.score_distribution.items())
    statuses = "".join(f"<tr><td>{escape(status)}</td><td>{number}</td><td>{escape(STATUS_MEANING[Status(status)])}"
                       f"</td></tr>" for status, number in summary.statuses.items())
    passing = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td><span class=\"bar\" style=\"width:{10 * v.pass_rate:.2f}em\">"
        f"</span> {v.pass_rate:.0%}</td><td>{escape(', '.join(f'{o} {n}' for o, n in v.outcomes.items()))}</td></tr>"
        for name, v in summary.variables.items())
    mistakes = "".join(f"<tr><td><code>{escape(m.variable)}</code></td><td>{escape(m.mistake)}</td>"
                       f"<td>{m.count}</td></tr>" for m in summary.mistakes[:10]) or "<tr><td colspan=3>None</td></tr>"
    columns = "".join(_sortable(f"v{i}", name) for i, name in enumerate(variables))
    identity = (_sortable("5", "student") + _sortable("6", "late")) if students else ""
    imported = _sortable("7", "import") if roster else ""
    body = (
        f"<h1>gdgrade class overview: {escape(summary.quiz)}</h1>"
        f"<p>{count(summary.submissions, 'submission')}, mean {summary.mean_score:.2f}/{summary.max_score:g}, "
        f"median {summary.median_score:g}, {summary.full_marks} with full marks.</p>"
        f"<h2>Score distribution</h2><div class=\"chart\" id=\"histogram\">{bars}</div>"
        f"<h2>How the runs ended</h2><table id=\"statuses\"><tr><th>status</th><th>submissions</th>"
        f"<th>meaning</th></tr>{statuses}</table>"
        f"<h2>Pass rate per variable</h2><table id=\"variables\"><tr><th>variable</th><th>pass rate</th>"
        f"<th>outcomes</th></tr>{passing}</table>"
        f"<h2>Most frequent known mistakes</h2><table id=\"mistakes\"><tr><th>variable</th><th>mistake</th>"
        f"<th>submissions</th></tr>{mistakes}</table>"
        f"<h2>Students</h2>{_filters(summary, variables, roster)}"
        "<p><button id=\"previous\">previous</button> <span id=\"shown\"></span> "
        "<button id=\"next\">next</button></p>"
        f"<table id=\"students\"><thead><tr>{_sortable('0', 'submission')}{identity}{imported}"
        f"{_sortable('2', 'status')}{_sortable('3', 'score')}{columns}</tr></thead><tbody></tbody></table>"
        "<script src=\"students.js\"></script>"
    )
    return _page(f"gdgrade: {summary.quiz}", body, TABLE_SCRIPT)


def student_row(report: Report, variables: list[str]) -> list[object]:
    """One student's row of ``students.js``: id, page, status, score, maximum, name, late, import mark
    (filled in by ``Gradebook.finish`` with a roster), each variable's outcome letter, its known mistakes."""
    outcomes = {check.name: check.outcome for check in report.checks}
    student = report.student
    return [report.submission, student_link(report.submission), report.status.value, report.score, report.max_score,
            (student.name or "") if student else "", student.late if student else None, "",
            "".join(LETTERS[outcomes.get(name, Outcome.MISSING)] for name in variables),
            [f"{check.name}: {check.mistake}" for check in report.checks if check.mistake]]


def _about(report: Report) -> str:
    """Who handed it in, which file was graded and why, and the notes: what a student should know first."""
    lines = []
    student = report.student
    if student is not None:
        lines.append(f"Handed in by {escape(student.describe())}.")
    if report.selection:
        lines.append(prose(report.selection[0].upper() + report.selection[1:]) + ".")
    lines += [prose(warning[0].upper() + warning[1:]) + "." for warning in report.warnings]
    lines += [prose(change.reason[0].upper() + change.reason[1:]) + "." for change in report.adjustments]
    if report.adjustments:
        lines.append(f"The grader gave {report.graded_score:g}/{report.max_score:g}; "
                     f"your score is {report.score:g}/{report.max_score:g}.")
    return "".join(f"<p class=\"note\">{line}</p>" for line in lines)


_OUTCOME_CELLS = {outcome: f"<tr><td class=\"{outcome.value}\">{escape(outcome.value)}</td>" for outcome in Outcome}
"""Each outcome's cell opening a row of the checks table, written once."""


def checks_table(report: Report, links: bool = True) -> str:
    """Each variable's outcome and feedback, a table (a student's page, and a notebook's output);
    ``links``: each place links to its line of the code listed below it."""
    rows = "".join(
        f"{_OUTCOME_CELLS[check.outcome]}<td><code>{escape(check.name)}</code></td><td>{prose(check.predicate)}"
        + "".join(f"<br><b>{label.capitalize()}:</b> {prose(said)}" for label, said in explanations(check))
        + ((f" <a href=\"#L{check.line}\">{escape(check.place or f'line {check.line}')}</a>" if links else "")
           if check.line else "")
        + "</td></tr>"
        for check in report.checks)
    return f"<table id=\"checks\"><tr><th>outcome</th><th>variable</th><th>feedback</th></tr>{rows}</table>"


def student(report: Report, source: str | None, overview: bool = True) -> str:
    """One student's feedback: each variable's outcome and message, and their code with failing lines marked.
    ``overview``: link back to the class overview beside it (not in a page sent to a student alone)."""
    failing = {check.line for check in report.checks if check.marks_line}
    if report.error is not None and report.error.line is not None:  # the line that raised, a step's or not
        failing.add(report.error.line)
    error = (f"<h2>Error</h2><pre tabindex=\"0\">{escape(report.error.traceback)}</pre>" if report.error else "")
    output = f"<h2>Output</h2><pre tabindex=\"0\">{escape(report.stdout)}</pre>" if report.stdout else ""
    code = ""
    if source is not None:
        marked = ' class="fail"'
        code = "<h2>Your code</h2><table class=\"code\">" + "".join(
            f"<tr id=\"L{number}\"{marked if number in failing else ''}><td class=\"no\">{number}</td>"
            f"<td>{line}</td></tr>" for number, line in enumerate(escape(source).splitlines(), start=1)) + "</table>"
    back = "<p><a href=\"index.html\">← class overview</a></p>" if overview else ""
    body = (f"{back}<h1>{escape(report.submission)}: "
            f"{report.score:g}/{report.max_score:g}</h1><p>Status: <b>{escape(report.status.value)}</b></p>"
            f"{_about(report)}"
            f"{checks_table(report)}"
            f"{error}{output}{code}")
    return _page(f"{report.submission}: gdgrade", body)


class Pages(Writer):
    """Each submission's ``<id>.html`` feedback page, for ``audience``."""

    def __init__(self, folder: Path, audience: Audience) -> None:
        super().__init__(audience)
        self.folder = folder

    def add(self, view: View) -> None:
        atomic.write(self.folder / student_files(view.submission)[1], student(view, view.source_text))
