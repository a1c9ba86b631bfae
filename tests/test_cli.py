"""The command line end to end, as a user runs it: exit codes, files written, formats; the batch commands
(grader/cli.py), the self-check (grader/selfcheck.py) and the options they share (grader/options.py)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader import report_json

from .conftest import SEED, SUBMISSIONS

ROOT = Path(__file__).resolve().parent.parent


def gdgrade(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_check_full_marks_exits_zero():
    result = gdgrade("check", SUBMISSIONS / "correct_dot" / "gradient.py")
    assert result.returncode == 0, result.stderr
    assert "Score: 5/5" in result.stdout
    assert result.stdout.count("correct in all 5 cases") == 5


def test_check_explains_a_mistake_and_exits_one():
    result = gdgrade("check", SUBMISSIONS / "error_reversed" / "gradient.py")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    error_line = next(line for line in lines if " error " in line)
    assert "wrong" in error_line and "error sign reversed" in error_line
    assert any("hint: The error is target minus output" in line for line in lines)
    assert "Score: 4/5" in result.stdout


def test_check_json_is_a_valid_report():
    result = gdgrade("check", SUBMISSIONS / "two_input_h" / "gradient.py", "--json")
    assert result.returncode == 1
    report = report_json.load(result.stdout)
    assert report.submission == "two_input_h" and report.score == 4
    assert [c.outcome.value for c in report.checks][1:] == ["consistent"] * 4
    assert report.checks[0].line == 30


@pytest.mark.parametrize("args, needle", [
    (["check", "no/such/file.py"], "does not exist"),
    (["check", str(SUBMISSIONS)], "is a folder: check grades one file (gdgrade check "
                                  f"{SUBMISSIONS}/"),  # a file that is there (a newcomer was shown one that is not)
    (["check", str(SUBMISSIONS.parent / "backprop")], "(gdgrade check FILE, such as gradient.py)"),
    (["check", str(SUBMISSIONS / "correct_dot" / "gradient.py"), "--timeout", "soon"], "--timeout"),
    (["check", str(SUBMISSIONS / "correct_dot" / "gradient.py"), "--quiz", "nope"], "unknown quiz"),
    (["check", str(SUBMISSIONS / "correct_dot" / "gradient.py"), "--bogus"], "No such option"),
    (["grade", str(SUBMISSIONS)], "Missing option '--out'"),
    (["grade", "no/such/folder", "--out", "x"], "does not exist"),
    (["grade", str(SUBMISSIONS), "--out", "x", "--jobs", "0"], "--jobs"),
    (["grade", str(SUBMISSIONS), "--out", "/sys/kernel"], "cannot use --out folder /sys/kernel: Permission denied"),
    (["grade", str(SUBMISSIONS), "--out", "x", "--shard", "1/2"], "--shard needs --seed"),
    (["gradescope", "--submission-dir", str(SUBMISSIONS / "correct_dot"), "--results",
      str(SUBMISSIONS / "correct_dot" / "gradient.py" / "results.json")], "a folder on its path is a file"),
    (["frobnicate"], "No such command"),
    (["check", str(SUBMISSIONS / "correct_dot" / "gradient.py"), "--seed", "-1"], "--seed"),
    (["check", str(SUBMISSIONS / "correct_dot" / "gradient.py"), "--rtol", "nan"], "nan is not a finite number"),
    (["check", str(SUBMISSIONS / "correct_dot" / "gradient.py"), "--memory", "64"], "--memory"),
    (["check", str(SUBMISSIONS / "correct_dot" / "gradient.py"), "--json", "--format", "markdown"],
     "ask for two formats"),
    (["gradescope"], "this is not Gradescope's autograder"),
    (["grade", str(SUBMISSIONS), "--out", "x", "--points", "10"], "need --roster"),
    (["check", str(ROOT / "README.md")], f"{ROOT / 'README.md'} is not Python: give a .py file, a notebook "
     "(.ipynb) or a .zip of the work, such as gradient.py"),
    (["grade", str(ROOT / "README.md"), "--out", "x"], "README.md is not Python"),
    (["grade", str(SUBMISSIONS), "--out", "x", "--roster",
      str(ROOT / "examples" / "lms" / "canvas" / "submissions.zip")],
     "submissions.zip cannot be read: it is a zip archive (an LMS download, or an .xlsx workbook), not a CSV file"),
    (["grade", str(SUBMISSIONS), "--out", "x", "--seed", "1", "--shard", "3/2"],
     "'3/2' asks for shard 3 of 2: K must be from 1 to 2"),
    (["grade", str(SUBMISSIONS), "--out", "x", "--seed", "1", "--shard", "1/0"], "'1/0' asks for 0 shards"),
])
def test_usage_errors_are_one_line_and_exit_two(args, needle):
    result = gdgrade(*args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("gdgrade: error: ")
    assert needle in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_step_summary_that_cannot_be_written_is_a_note_not_a_failure():
    environment = dict(os.environ, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY="/nonexistent/folder/summary.md")
    result = subprocess.run([sys.executable, "-m", "grader", "check", str(SUBMISSIONS / "correct_dot" / "gradient.py")],
                            capture_output=True, text=True, env=environment, timeout=120)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert result.stderr == ("gdgrade: note: cannot write the step summary /nonexistent/folder/summary.md: "
                             "No such file or directory\n")


def test_unreadable_file_is_a_usage_error():
    """A file its user cannot read. Root reads every file, so as root the check runs as the owner of
    the checkout with no capability: whoever cloned it can reach it, wherever it lives (a home
    folder or a mktemp -d of mode 0700), and no capability lets them read a file of mode 0."""
    owner = ROOT.stat().st_uid
    folder = Path(tempfile.mkdtemp())  # in /tmp, which the owner can enter (pytest's tmp_path is root's alone)
    try:
        secret = folder / "gradient.py"
        secret.write_text("h = 1\n")
        if os.geteuid() == 0:
            for path in (folder, secret):
                os.chown(path, owner, -1)
        secret.chmod(0)
        drop = ["setpriv", f"--reuid={owner}", f"--regid={ROOT.stat().st_gid}", "--clear-groups",
                "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--"] if os.geteuid() == 0 else []
        result = subprocess.run([*drop, sys.executable, "-m", "grader", "check", str(secret)], capture_output=True,
                                text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    finally:
        shutil.rmtree(folder)
    assert result.returncode == 2 and "is not readable" in result.stderr, result.stderr


def test_grade_writes_every_report_summary_and_gradebook(tmp_path):
    out = tmp_path / "out"
    result = gdgrade("grade", SUBMISSIONS, "--out", out, "--jobs", "2", "--seed", SEED, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ids = sorted(p.parent.name for p in SUBMISSIONS.glob("*/gradient.py"))
    for identifier in ids:
        assert report_json.load((out / f"{identifier}.json").read_text()).submission == identifier
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [row["id"] for row in rows] == ids
    assert list(rows[0]) == ["id", "status", "score", "max_score", "h", "nn_output", "error", "error_term", "del_w"]
    syntax = next(row for row in rows if row["id"] == "syntax_error")
    assert (syntax["status"], syntax["score"], syntax["del_w"]) == ("syntax_error", "0", "0")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["submissions"] == len(ids) and summary["full_marks"] == 6
    assert summary["variables"]["h"]["pass_rate"] == pytest.approx(17 / 22)
    assert {"variable": "error", "mistake": "error sign reversed", "count": 1} in summary["mistakes"]
    assert {"submission": "syntax_error", "status": "syntax_error", "reason": None} in summary["failed_runs"]
    assert f"Graded {len(ids)} submissions" in result.stdout
    assert not list(out.glob(".*.tmp"))


def test_grade_names_nested_and_loose_submissions(tmp_path):
    root = tmp_path / "class"
    (root / "sec1" / "ana").mkdir(parents=True)
    shutil.copy(SUBMISSIONS / "correct_dot" / "gradient.py", root / "sec1" / "ana" / "gradient.py")
    shutil.copy(SUBMISSIONS / "error_reversed" / "gradient.py", root / "bob.py")
    (root / "sec1" / "ana" / "notes.py").write_text("print('not a submission')\n")
    out = tmp_path / "out"
    assert gdgrade("grade", root, "--out", out).returncode == 0
    assert sorted(p.name for p in out.glob("*.json")) == ["bob.json", "sec1__ana.json", "summary.json"]


def test_grade_with_no_submissions_is_a_usage_error(tmp_path):
    result = gdgrade("grade", tmp_path, "--out", tmp_path / "out")
    assert result.returncode == 2 and "no submissions found" in result.stderr


def test_schema_command_prints_the_report_schema():
    result = gdgrade("schema")
    schema = json.loads(result.stdout)
    assert result.returncode == 0
    assert {"schema_version", "status", "score", "checks", "stdout", "duration_s"} <= set(schema["properties"])
    assert set(schema["$defs"]["Outcome"]["enum"]) == {"correct", "consistent", "hardcoded", "wrong", "missing"}


def test_version():
    assert gdgrade("--version").stdout.strip() == "gdgrade, version 0.1.0"


def test_counts_of_one_are_singular(tmp_path):
    (tmp_path / "class" / "ana").mkdir(parents=True)
    shutil.copy(SUBMISSIONS / "forgot_learnrate" / "gradient.py", tmp_path / "class" / "ana" / "gradient.py")
    result = gdgrade("grade", tmp_path / "class", "--out", tmp_path / "out")
    assert result.stdout.startswith("Graded 1 submission: mean 4.00/5, 0 with full marks; 1 completed.")
    assert "1 submission, mean 4.00/5" in (tmp_path / "out" / "summary.md").read_text()
    no_hidden = gdgrade("check", SUBMISSIONS / "correct_dot" / "gradient.py", "--hidden-cases", "0")
    assert no_hidden.returncode == 2 and "0 is not in the range 1<=x<=50" in no_hidden.stderr  # hardcoding would pass
    assert gdgrade("check", SUBMISSIONS / "correct_dot" / "gradient.py", "--hidden-cases", "1").stdout.count(
        "correct in all 2 cases") == 5
    report = report_json.load(gdgrade("check", tmp_path / "class" / "ana" / "gradient.py", "--json").stdout)
    assert report.checks[-1].cases[0].problem.startswith("4 of 4 elements differ;")
    one_element = tmp_path / "one.py"
    one_element.write_text(quiz_solution().replace("del_w = learnrate * error_term * x",
                                                   "del_w = learnrate * error_term * x\ndel_w[0] = 1.0"))
    report = report_json.load(gdgrade("check", one_element, "--json").stdout)
    assert report.checks[-1].cases[0].problem.startswith("1 of 4 elements differs;")


def quiz_solution() -> str:
    from grader import quiz

    return quiz.load("gradient_descent").solution_source


def test_closing_line_and_overview_count_every_status(tmp_path):
    result = gdgrade("grade", SUBMISSIONS, "--out", tmp_path / "out", "--seed", SEED)
    out = tmp_path / "out"
    assert result.stdout == ("Graded 22 submissions: mean 3.68/5, 6 with full marks; 19 completed, 2 runtime error, "
                             f"1 syntax error. Open {out / 'index.html'} for the class overview.\n")
    markdown = (out / "summary.md").read_text()
    assert ("| status | submissions | meaning |\n|---|---:|---|\n| completed | 19 | ran to the end of the file |\n"
            "| runtime_error | 2 | the code raised an exception or exited with an error status |\n"
            "| syntax_error | 1 | not valid Python, so not run |\n") in markdown
    assert "| 1 | 0 |  |\n| 2 | 0 |  |" in markdown  # empty score bins are shown
    assert "## Submissions that did not complete" in markdown and "| `crash_halfway` | runtime_error |" in markdown


def test_help_says_how_submissions_are_found_and_what_is_written():
    top = gdgrade("--help").stdout
    commands = top[top.index("Commands:"):]
    assert "..." not in commands  # click's mark of a description cut off
    for command in ("check", "grade", "gradescope", "merge", "schema", "starter", "quizzes", "quiz"):
        assert f"  {command} " in top
    grade_help = " ".join(gdgrade("grade", "--help").stdout.split())
    assert "every file named as the quiz asks (gradient.py for the default quiz) at any depth is one submission" \
        in grade_help
    for written in ("<id>.json", "<id>.html", "grades.csv", "junit.xml", "summary.json", "summary.md", "index.html"):
        assert written in grade_help


def test_starter_prints_the_quizs_starter_file():
    from grader import quiz

    result = gdgrade("starter")
    assert result.returncode == 0
    assert result.stdout == quiz.load("gradient_descent").starter_source
    assert "h = None" in result.stdout and "w = np.array([0.5, -0.5, 0.3, 0.1])" in result.stdout
    wrong = gdgrade("starter", "--quiz", "nope")
    assert wrong.returncode == 2 and "unknown quiz 'nope'" in wrong.stderr


def test_a_class_with_odd_file_names_loses_nobody(tmp_path):
    root = tmp_path / "class"
    for relative, sample in (("alice/Gradient.py", "correct_dot"), ("bob/gradient (1).py", "correct_dot"),
                             ("carol/solution.py", "error_reversed"), ("dave/gradient.py", "correct_dot"),
                             ("erin/gradient.py.txt", "correct_dot")):
        (root / relative).parent.mkdir(parents=True)
        shutil.copy(SUBMISSIONS / sample / "gradient.py", root / relative)
    (root / "frank").mkdir()
    (root / "frank" / "essay.docx").write_text("not code")
    out = tmp_path / "out"
    result = gdgrade("grade", root, "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Graded 6 submissions: mean 4.00/5, 4 with full marks; 5 completed, "
                                    "1 nothing gradable. 1 student had nothing to grade: frank (see summary.md")
    rows = [line.split(",")[:3] for line in (out / "grades.csv").read_text().splitlines()[1:]]
    assert rows == [["alice", "completed", "5"], ["bob", "completed", "5"], ["carol", "completed", "4"],
                    ["dave", "completed", "5"], ["erin", "completed", "5"], ["frank", "nothing_gradable", "0"]]
    frank = report_json.load((out / "frank.json").read_text())
    assert frank.selection == "no Python file: `essay.docx`"
    assert "| `frank` | no Python file: `essay.docx` |" in (out / "summary.md").read_text()
    shown = gdgrade("check", root / "carol" / "solution.py").stdout
    assert "Score: 4/5" in shown


def test_files_of_another_quiz_are_refused_without_quiz_and_named_with_it(tmp_path):
    """A run that forgot --quiz, on files that are all another quiz's, is refused in one line (it
    would give everyone 0); with --quiz given, or when only some are, it is told; an --out folder
    inside the graded folder is skipped."""
    backprop = SUBMISSIONS.parent / "backprop"
    checked = gdgrade("check", backprop / "correct_dot" / "backprop.py", "--seed", SEED)
    assert checked.returncode == 2 and checked.stderr == (
        "gdgrade: error: the file is named backprop.py, which quiz backprop grades, and no --quiz was given: give "
        "--quiz backprop, or --quiz gradient_descent to grade it as gradient.py all the same\n")
    out = tmp_path / "out"
    graded = gdgrade("grade", backprop, "--out", out, "--seed", SEED)
    assert graded.returncode == 2 and not out.exists()
    assert graded.stderr == ("gdgrade: error: all 20 files are named backprop.py, which quiz backprop grades, and "
                             "no --quiz was given: give --quiz backprop, or --quiz gradient_descent to grade them as "
                             "gradient.py all the same\n")
    anyway = gdgrade("grade", backprop, "--out", out, "--seed", SEED, "--quiz", "gradient_descent")
    assert anyway.returncode == 0, anyway.stderr
    assert "note: 20 of the 20 files are named backprop.py, which quiz backprop grades" in anyway.stderr
    mixed = tmp_path / "mixed"
    for name in ("a", "b"):
        shutil.copytree(backprop / "correct_dot", mixed / name)
    shutil.copytree(SUBMISSIONS / "correct_dot", mixed / "c")
    noted = gdgrade("grade", mixed, "--out", tmp_path / "mixed-out", "--seed", SEED)
    assert noted.returncode == 0 and "note: 2 of the 3 files are named backprop.py" in noted.stderr
    assert "note: " not in gdgrade("check", SUBMISSIONS / "correct_dot" / "gradient.py", "--seed", SEED).stderr
    shutil.copytree(SUBMISSIONS, tmp_path / "class")
    for _ in range(2):
        inside = gdgrade("grade", tmp_path / "class", "--out", tmp_path / "class" / "out", "--seed", SEED)
        assert inside.returncode == 0 and inside.stdout.startswith("Graded 22 submissions:"), inside.stdout
    assert "`" + str(tmp_path / "class" / "out") + "` holds gdgrade's own reports (an --out folder): not " \
           "searched for submissions" in inside.stdout
