"""Every output format, written by the CLI and read back by a parser of that format."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from grader import report_json
from grader.sandbox.cleanup import empty_folder

from .conftest import SEED, SUBMISSIONS

GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
HIDDEN_ONLY_BUG = ("h = x[0]*w[0] + x[1]*w[1] + x[2]*w[2] + x[3]*w[3]", "h = np.dot(x, w)")


def gdgrade(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          timeout=180, env=env, cwd=cwd)


def assert_gradescope(results: dict) -> None:
    """Gradescope's field rules for results.json."""
    assert isinstance(results["score"], float | int)
    assert isinstance(results["execution_time"], float | int)
    assert isinstance(results["output"], str)
    assert results.get("visibility", "visible") in GRADESCOPE_VISIBILITY
    numbers = [test["number"] for test in results["tests"]]
    assert len(set(numbers)) == len(numbers)
    for test in results["tests"]:
        assert set(test) >= {"name", "number", "score", "max_score", "status", "output", "visibility"}
        assert isinstance(test["name"], str) and isinstance(test["number"], str)
        assert 0 <= test["score"] <= test["max_score"]
        assert test["status"] in {"passed", "failed"} and test["visibility"] in GRADESCOPE_VISIBILITY
    assert results["score"] == pytest.approx(sum(test["score"] for test in results["tests"]))


def assert_junit(root: ET.Element) -> list[ET.Element]:
    """The JUnit layout: counts on every element agree with the testcases inside it."""
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    assert int(root.get("tests")) == len(cases)
    assert int(root.get("failures")) == len(root.findall("./testsuite/testcase/failure"))
    assert root.get("errors") == "0" and root.get("skipped") == "0"
    for suite in root.findall("testsuite"):
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
    keys = [(case.get("classname"), case.get("name")) for case in cases]
    assert len(set(keys)) == len(keys)
    for case in cases:
        assert float(case.get("time")) >= 0
        failure = case.find("failure")
        if failure is not None:
            assert failure.get("message") and failure.get("type") in {"wrong", "hardcoded", "missing"}
    return cases


def test_check_prints_each_format():
    path = SUBMISSIONS / "error_reversed" / "gradient.py"
    results = json.loads(gdgrade("check", path, "--format", "gradescope").stdout)
    assert_gradescope(results)
    assert results["score"] == 4 and [t["status"] for t in results["tests"]].count("failed") == 1
    cases = assert_junit(ET.fromstring(gdgrade("check", path, "--format", "junit").stdout))
    assert len(cases) == 5
    markdown = gdgrade("check", path, "--format", "markdown").stdout
    assert "| ✗ | `error` | wrong |" in markdown and "**Hint:**" in markdown
    assert report_json.load(gdgrade("check", path, "--format", "json").stdout).score == 4
    short, long = (report_json.load(gdgrade("check", path, "--seed", "3", *flags).stdout)
                   for flags in (["--json"], ["--format", "json"]))
    assert replace(short, duration_s=0.0) == replace(long, duration_s=0.0)
    seeds = {report_json.load(gdgrade("check", path, "--json").stdout).grading.seed for _ in range(3)}
    assert len(seeds) == 3  # no --seed: fresh hidden cases every time, so no table of answers can hold them
    wrong = gdgrade("check", path, "--format", "xml")
    assert wrong.returncode == 2 and "'xml' is not one of" in wrong.stderr


def test_batch_junit_csv_and_summaries(graded_samples):
    cases = assert_junit(ET.parse(graded_samples / "junit.xml").getroot())
    assert len(cases) == 22 * 5
    rows = list(csv.DictReader((graded_samples / "grades.csv").open(newline="")))
    assert len(rows) == 22
    broken = next(row for row in rows if row["id"] == "syntax_error")
    assert (broken["score"], broken["h"], broken["del_w"]) == ("0", "0", "0")
    summary = json.loads((graded_samples / "summary.json").read_text())
    assert summary["statuses"] == {"completed": 19, "runtime_error": 2, "syntax_error": 1}
    markdown = (graded_samples / "summary.md").read_text()
    assert "| `del_w` | 59% |" in markdown and "| `syntax_error` | syntax_error |" in markdown


def test_junit_strips_control_characters_and_ansi(tmp_path):
    path = tmp_path / "gradient.py"
    path.write_text((SUBMISSIONS / "error_reversed" / "gradient.py").read_text()
                    + "print('\\x1b[31mred\\x1b[0m and a bell\\x07 and \\x01')\n")
    document = gdgrade("check", path, "--format", "junit").stdout
    root = ET.fromstring(document)
    output = root.find("./testsuite/system-out").text
    assert "red and a bell and " in output and "\x1b" not in document and "\x07" not in document


def test_gradescope_command_always_writes_results(tmp_path):
    upload = tmp_path / "submission" / "nested"
    upload.mkdir(parents=True)
    shutil.copy(SUBMISSIONS / "two_input_h" / "gradient.py", upload / "gradient.py")
    results_path = tmp_path / "results" / "results.json"
    result = gdgrade("gradescope", "--submission-dir", tmp_path / "submission", "--results", results_path)
    assert result.returncode == 0, result.stderr
    results = json.loads(results_path.read_text())
    assert_gradescope(results)
    assert results["score"] == 4

    crashing = tmp_path / "crash"
    crashing.mkdir()
    (crashing / "my_answer.py").write_text("import os\nos._exit(3)\n")
    assert gdgrade("gradescope", "--submission-dir", crashing, "--results", results_path).returncode == 0
    assert_gradescope(json.loads(results_path.read_text()))
    assert json.loads(results_path.read_text())["score"] == 0

    empty = tmp_path / "empty"
    empty.mkdir()
    assert gdgrade("gradescope", "--submission-dir", empty, "--results", results_path).returncode == 0
    results = json.loads(results_path.read_text())
    assert_gradescope(results)
    assert results["score"] == 0 and len(results["tests"]) == 5
    assert results["output"] == "Nothing in the submission could be graded: it is empty."
    deep = tmp_path / "deep"
    (deep / "Gradient (2).py").parent.mkdir(parents=True)
    shutil.copy(SUBMISSIONS / "correct_dot" / "gradient.py", deep / "Gradient (2).py")
    (deep / "d").mkdir()
    fd = os.open(deep / "d", os.O_RDONLY)
    for _ in range(1100):  # a deep tree beside the file: the search is iterative and bounded
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(fd)
    assert gdgrade("gradescope", "--submission-dir", deep, "--results", results_path).returncode == 0
    assert json.loads(results_path.read_text())["score"] == 5
    empty_folder(str(deep / "d"))


def test_hidden_cases_are_described_not_shown(tmp_path):
    path = tmp_path / "gradient.py"
    path.write_text((SUBMISSIONS / "correct_dot" / "gradient.py").read_text().replace(*reversed(HIDDEN_ONLY_BUG)))
    full = report_json.load(gdgrade("check", path, "--json", "--seed", SEED).stdout)
    hidden_case = next(c for c in full.checks[0].cases if c.case == "hidden 1")
    secret = f"{hidden_case.expected:.10g}"
    assert full.checks[0].failed_case.startswith("hidden") and hidden_case.expected is not None
    for output_format in ("text", "gradescope", "markdown"):
        shown = gdgrade("check", path, "--format", output_format, "--hide-hidden-cases", "--seed", SEED).stdout
        assert "hidden case 1" in shown and secret not in shown, output_format
    text = gdgrade("check", path, "--hide-hidden-cases", "--seed", SEED).stdout
    assert ("`h` is wrong: your code stopped at line 30 with `IndexError` while computing it in hidden case 1: "
            "it seems to assume 4 elements, as in the public case") in text  # x has 3 there: not said to students
    assert "where `x` has 3 elements" in " ".join(full.checks[0].message.split())  # but to the instructor
    out = tmp_path / "out"
    assert gdgrade("grade", path, "--out", out, "--hide-hidden-cases", "--seed", SEED).returncode == 0
    assert secret not in (out / f"{tmp_path.name}.html").read_text()  # a named gradient.py takes its folder's name
    instructor = report_json.load((out / f"{tmp_path.name}.json").read_text())
    assert instructor.checks[0].cases[1].expected == hidden_case.expected


def test_github_actions_annotations_and_step_summary(tmp_path):
    summary = tmp_path / "step-summary.md"
    env = dict(os.environ, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    path = SUBMISSIONS / "forgot_learnrate" / "gradient.py"
    result = gdgrade("check", path, env=env)
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert annotations == [f"::error file={path},line=49,title=gdgrade%3A del_w wrong::"
                           + annotations[0].split("::", 2)[2]]
    assert "learning rate forgotten" in annotations[0]
    assert "| ✗ | `del_w` | wrong |" in summary.read_text()
    summary.write_text("")
    out = tmp_path / "out"
    batch = gdgrade("grade", SUBMISSIONS, "--out", out, "--seed", SEED, env=env)
    assert batch.returncode == 0
    assert summary.read_text().startswith("# gdgrade class overview: gradient_descent")
    assert summary.read_text() == (out / "summary.md").read_text() + "\n"  # nothing per submission
    annotations = [line for line in batch.stdout.splitlines() if line.startswith("::error ")]
    assert len(annotations) == 29  # one per failing variable of the samples


def test_every_format_carries_the_notes(tmp_path):
    """A note (here: givens the student changed) is part of the feedback wherever it is shown."""
    sample = SUBMISSIONS / "edited_givens" / "gradient.py"
    said = "sets `learnrate` to 0.1 where the quiz gives 0.5"
    junit_out = ET.fromstring(gdgrade("check", sample, "--format", "junit").stdout).find("./testsuite/system-out").text
    assert f"note: your file {said}" in junit_out
    assert said in gdgrade("check", sample, "--format", "markdown").stdout
    assert said in gdgrade("check", sample).stdout
    (tmp_path / "class" / "ana").mkdir(parents=True)
    shutil.copy(sample, tmp_path / "class" / "ana" / "gradient.py")
    assert gdgrade("grade", tmp_path / "class", "--out", tmp_path / "out").returncode == 0
    page = (tmp_path / "out" / "ana.html").read_text()
    assert "sets <code>learnrate</code> to 0.1 where the quiz gives 0.5" in page
