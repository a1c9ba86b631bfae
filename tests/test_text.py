"""Student text in every output (grader/text.py), and odd folder names through sharding and merging.

A student controls their folder's name, their output, their exception messages and the names of
their types. None of it may act on a terminal, a CI runner, a spreadsheet or a Markdown page, and
with --hide-hidden-cases none of it may carry a hidden case's inputs to the student.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from grader import report_json
from tests.conftest import SUBMISSIONS

HOSTILE_TEXT = (
    "print('\\x1b]0;PWNED-title\\x07\\x1b[2J::add-mask::Score')\n"
    "print('    ::stop-commands::anything')\n"
    "class Sneaky(Exception):\n    pass\n"
    "raise Sneaky('\\n    ::stop-commands::x\\n::error::PWNED-annotation\\n```\\n# PWNED-heading\\n"
    "\\x1b]52;c;cHduZWQ=\\x07 [PWNED-link](http://127.0.0.1/x)')\n"
)


def gdgrade(*args, env=None):
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          timeout=180, env=env)


def test_terminal_and_ci_runner_act_on_nothing_a_student_wrote(tmp_path):
    file = tmp_path / "gradient.py"
    file.write_text(HOSTILE_TEXT)
    summary = tmp_path / "summary.md"
    environment = dict(os.environ, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    for output_format in ("text", "markdown", "junit", "gradescope", "json"):
        result = gdgrade("check", file, "--format", output_format, env=environment)
        assert result.returncode == 1 and "\x1b" not in result.stdout and "\x07" not in result.stdout
        lines = result.stdout.splitlines()
        token = re.fullmatch(r"::stop-commands::([0-9a-f]{32})", lines[0]).group(1)
        resume = lines.index(f"::{token}::")
        for line in lines[resume + 1:]:  # after the runner resumes: only gdgrade's own annotations
            assert line.startswith("::error file="), line
        assert "PWNED" not in "".join(lines[resume + 1:])
    markdown = summary.read_text()
    fence = None
    for line in markdown.splitlines():  # every line of the student's text stays inside a code block
        opening = re.match(r"^(`{3,})", line)
        if fence is None and opening:
            fence = opening.group(1)
        elif fence is not None and line.startswith(fence) and set(line.strip()) == {"`"}:
            fence = None
        elif fence is None:
            assert "PWNED" not in line, line


def test_hidden_cases_stay_hidden_from_the_student(tmp_path):
    file = tmp_path / "gradient.py"
    file.write_text((SUBMISSIONS / "correct_dot" / "gradient.py").read_text().replace(
        "h = np.dot(x, w)",
        "if len(x) != 4:\n    raise ValueError('LE' + f'AK {list(x)} {list(w)} {learnrate}')\nh = np.dot(x, w)"))
    instructor = report_json.load(gdgrade("check", file, "--json").stdout)
    assert "LEAK" in instructor.error.message  # the instructor's report keeps everything
    hidden_values = [f"{value:g}" for case in instructor.checks[-1].cases[1:] if case.expected
                     for value in case.expected]
    for output_format in ("text", "markdown", "gradescope", "junit"):
        shown = gdgrade("check", file, "--hide-hidden-cases", "--format", output_format).stdout
        assert "LEAK" not in shown and "ValueError (in a hidden case its message" in shown
        assert not [value for value in hidden_values if len(value) > 3 and value in shown]
    exits = tmp_path / "exits.py"
    exits.write_text("import sys\nx = [1, 2, 3, 4]\nif len(x) != 4:\n    sys.exit(int(x[0] * 1000) % 250 + 3)\n")
    shown = gdgrade("check", exits, "--hide-hidden-cases").stdout
    assert "sys.exit with an error status in a hidden case" in shown and "sys.exit(" not in shown


def test_odd_folder_names_survive_sharding_and_merging(tmp_path):
    folder, solution = tmp_path / "class", (SUBMISSIONS / "correct_dot" / "gradient.py").read_bytes()
    names = [b"caf\xe9", b"summary", b"index", b"shard", b"=1+1", b"a__b", b"new\nline"]
    os.makedirs(os.path.join(os.fsencode(folder), b"a", b"b"))
    for name in [*names, os.path.join(b"a", b"b")]:
        path = os.path.join(os.fsencode(folder), name)
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, b"gradient.py"), "wb") as stream:
            stream.write(solution)
    shards = [tmp_path / f"shard{k}" for k in (1, 2)]
    for k, out in enumerate(shards, start=1):
        result = gdgrade("grade", folder, "--out", out, "--shard", f"{k}/2", "--seed", "11")
        assert result.returncode == 0, result.stderr
    merged = gdgrade("merge", *shards, "--out", tmp_path / "merged")
    assert merged.returncode == 0, merged.stderr
    reports = [report_json.load(path.read_text()) for path in (tmp_path / "merged").glob("*.json")
               if path.name != "summary.json"]
    assert sorted(r.submission for r in reports) == sorted(
        ["caf\\xe9", "summary", "index", "shard", "=1+1", "a__b", "a__b-2", "new\\x0aline"])
    assert all(r.score == 5 for r in reports)
    summary = json.loads((tmp_path / "merged" / "summary.json").read_text())
    assert summary["submissions"] == 8 and summary["full_marks"] == 8


LEAKS = {
    "frames": ("import sys\nframe, seen = sys._getframe(), []\nwhile frame is not None:\n"
               "    seen += [repr(v) for v in list(frame.f_locals.values()) if isinstance(v, (list, dict))]\n"
               "    frame = frame.f_back\nraise RuntimeError('SEEN ' + ' '.join(seen)[:20000])\n"),
    "saved_stdout": ("import builtins, os\nif not hasattr(builtins, 'saved'):\n    builtins.saved = os.dup(1)\n"
                     "x = [1, 2, 3, 4]\nos.write(builtins.saved, ('x=' + repr(list(x)) + '\\n').encode())\n"),
}


def test_a_submission_cannot_carry_hidden_inputs_into_what_the_student_sees(tmp_path, quiz):
    """The hidden inputs are not in the child while its public case runs (no frame or memory holds
    them), and after it, only the result pipe is left open: no saved copy of stdout reaches the page."""
    folder = tmp_path / "class"
    for name, code in LEAKS.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "gradient.py").write_text(code)
    out = tmp_path / "out"
    assert gdgrade("grade", folder, "--out", out, "--hide-hidden-cases", "--seed", "7").returncode == 0
    hidden = quiz.cases(None, 7)[1:]
    fingerprints = [f"{inputs['x'][0]:g}, {inputs['x'][1]:g}" for inputs in hidden]  # as repr(list) writes them
    for name in LEAKS:
        report = report_json.load((out / f"{name}.json").read_text())
        shown = (out / f"{name}.html").read_text() + report.stdout + report_json.dump(report)
        for fingerprint in fingerprints:
            assert fingerprint not in shown, (name, fingerprint)
    assert "SEEN" in report_json.load((out / "frames.json").read_text()).error.message  # it did look
    assert (out / "saved_stdout.html").read_text().count("x=[") == 1  # the public case's write only


def _outside_code(markdown: str) -> str:
    """Markdown with its code spans and code blocks taken out: what renders as Markdown."""
    markdown = re.sub(r"(?ms)^(`{3,}).*?^\1$", "", markdown)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", markdown)


def test_no_link_image_or_html_of_a_students_making_renders(tmp_path):
    """Names a student chooses (an exception's class, a file in a folder with nothing to grade) are
    code in every Markdown output, whatever characters they hold."""
    file = tmp_path / "gradient.py"
    file.write_text("raise type('[PWNED-link](https://evil.example) <img src=x> **PWNED-bold**', (Exception,), {})()\n")
    shown = gdgrade("check", file, "--format", "markdown").stdout
    assert "PWNED-link" in shown and "PWNED" not in _outside_code(shown)
    folder = tmp_path / "class" / "eve"
    folder.mkdir(parents=True)
    (folder / "[PWNED-file](https:evil.example) <b>x<b>.txt").write_text("essay")
    assert gdgrade("grade", tmp_path / "class", "--out", tmp_path / "out").returncode == 0
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "PWNED-file" in summary and "PWNED" not in _outside_code(summary)


def test_a_pipe_in_a_name_or_a_message_never_splits_a_table_cell(tmp_path):
    """Markdown tables split cells at ``|`` before they read code spans: every table row of every
    Markdown output has as many cells as its header, whatever the folder names and messages hold."""
    folder = tmp_path / "class"
    for name, source in {"a | b": "raise RuntimeError('x | y || z')\n", "c|`d`": "h = 'not|a|number'\n",
                         "e": "import numpy as np\nh = np.array([1, 2])\n"}.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "gradient.py").write_text(source)
    out = tmp_path / "out"
    assert gdgrade("grade", folder, "--out", out, "--seed", "11").returncode == 0
    checks = [gdgrade("check", folder / name / "gradient.py", "--format", "markdown", "--seed", "11").stdout
              for name in ("a | b", "c|`d`")]
    texts = [(out / "summary.md").read_text(), *checks]
    rows = 0
    for text in texts:
        width = None
        for line in text.splitlines():
            if not line.startswith("|"):
                width = None
                continue
            cells = len(re.findall(r"(?<!\\)\|", line))
            width = width or cells
            assert cells == width, line
            rows += 1
    assert rows >= 8 and "a \\| b" in texts[0]
