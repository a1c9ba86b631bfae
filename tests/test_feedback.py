"""``--feedback full|hints|outcomes``: how much each student-facing output gives away (grader/feedback.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from grader import entry, intake, report_json
from grader.feedback import at_level
from grader.formats import gradescope, html, junit, render

from .conftest import SEED, quiz_with
from .snippets import GIVENS

WRONG = GIVENS + """
h = np.dot(x, w)
nn_output = sigmoid(h)
error = nn_output - y
error_term = error * nn_output * 1 - nn_output
del_w = None
"""
"""Three failing steps: a known mistake (error), a dropped bracket (error_term), a step not begun (del_w)."""
UNEARNED = ("y - nn_output", "learnrate * error_term * x", "the change in weights", "error * sigmoid_prime(h)",
            "error * nn_output * (1 - nn_output)")
"""The formulas and descriptions of the three unearned steps: what full feedback quotes and hints must not."""


def gdgrade(*args):
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          timeout=180)


@pytest.fixture(scope="module")
def graded(fork_grader, tmp_path_factory):
    path = tmp_path_factory.mktemp("wrong") / "gradient.py"
    path.write_text(WRONG)
    return path, next(iter(fork_grader.grade(intake.find([path]).submissions)))


def outputs(report) -> dict[str, str]:
    """Every student-facing rendering of one report."""
    return {"text": render.text(report), "markdown": render.markdown(report).replace("\\", ""),  # unescaped
            "json": report_json.dump(report),
            "gradescope": json.dumps(gradescope.results(report)), "junit": junit.document([report]),
            "html": html.student(report, None)}


def test_full_quotes_the_formulas(graded):
    _, report = graded
    for name, shown in outputs(at_level(report, "full")).items():
        assert "y - nn_output" in shown, name
    assert report.checks[2].hint == "The error is target minus output: y - nn_output, not nn_output - y."


def test_hints_name_the_mistake_and_where_never_an_unearned_formula(graded):
    _, report = graded
    hinted = at_level(report, "hints")
    checks = {check.name: check for check in hinted.checks}
    assert checks["error"].message == ("`error` is wrong in the public case at line 14: this is a known mistake: "
                                       "error sign reversed")
    assert checks["error_term"].message == (
        "`error_term` is wrong in the public case at line 15: `error_term` equals `error * nn_output * 1 - nn_output` "
        "in every case: the brackets around `(1 - nn_output)` are missing")
    assert checks["del_w"].message == "`del_w` is missing at line 16: still None"
    assert checks["h"].message == report.checks[0].message  # an earned step keeps its message
    assert all(check.hint is None for check in hinted.checks)
    for name, shown in outputs(hinted).items():
        for formula in UNEARNED:
            assert formula not in shown, (name, formula)


def test_outcomes_say_only_which_steps_are_right(graded):
    _, report = graded
    plain = at_level(report, "outcomes")
    assert [check.message for check in plain.checks] == [
        "`h` is correct", "`nn_output` is correct", "`error` is wrong", "`error_term` is wrong", "`del_w` is missing"]
    assert all(check.diagnosis is None and check.hint is None and check.mistake is None for check in plain.checks)
    assert all(case.expected is None and case.actual is None for check in plain.checks for case in check.cases)
    assert [check.passed for check in plain.checks] == [True, True, False, False, False]
    for name, shown in outputs(plain).items():
        assert "error sign reversed" not in shown and "brackets" not in shown, name
        assert "-0.1899744811" not in shown, name  # no expected value either


@pytest.mark.parametrize("level", ["full", "hints", "outcomes"])
@pytest.mark.parametrize("output_format", ["text", "json", "markdown", "gradescope", "junit"])
def test_check_applies_the_level_to_every_format(graded, level, output_format):
    path, _ = graded
    result = gdgrade("check", path, "--seed", SEED, "--feedback", level, "--format", output_format)
    assert result.returncode == 1, result.stderr
    shown = result.stdout.replace("\\", "")  # Markdown's escapes
    assert ("error sign reversed" in shown) == (level != "outcomes")
    assert ("y - nn_output" in shown) == (level == "full")
    assert ("learnrate * error_term * x" in shown) == (level == "full")


def test_gradescope_writes_results_at_the_level(graded, tmp_path):
    path, _ = graded
    upload = tmp_path / "submission"
    upload.mkdir()
    (upload / "gradient.py").write_text(path.read_text())
    results = tmp_path / "results.json"
    for level, quoted, named in (("full", True, True), ("hints", False, True), ("outcomes", False, False)):
        done = gdgrade("gradescope", "--submission-dir", upload, "--results", results, "--seed", SEED,
                       "--feedback", level)
        assert done.returncode == 0, done.stderr
        shown = results.read_text()
        assert json.loads(shown)["score"] == 2
        assert ("y - nn_output" in shown, "error sign reversed" in shown) == (quoted, named), level


def test_grade_pages_follow_the_level_and_the_json_keeps_everything(graded, tmp_path):
    path, _ = graded
    folder = tmp_path / "class" / "ana"
    folder.mkdir(parents=True)
    (folder / "gradient.py").write_text(path.read_text())
    done = gdgrade("grade", tmp_path / "class", "--out", tmp_path / "out", "--seed", SEED, "--feedback", "hints")
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "out" / "ana.html").read_text()
    assert "error sign reversed" in page and "y - nn_output" not in page
    assert "learnrate * error_term * x" not in page
    kept = json.loads((tmp_path / "out" / "ana.json").read_text())
    assert kept["checks"][2]["hint"] == "The error is target minus output: y - nn_output, not nn_output - y."


def test_a_quiz_sets_the_default_and_the_option_overrides_it(tmp_path):
    folder = quiz_with(tmp_path / "linear_unit", 'QUIZ = dataclasses.replace(QUIZ, feedback="outcomes")\n')
    student = tmp_path / "work.py"
    student.write_text((folder / "solution.py").read_text().replace("target - prediction", "prediction - target"))
    quiet = gdgrade("check", student, "--quiz", folder, "--seed", SEED)
    assert "`error` is wrong" in quiet.stdout and "error reversed" not in quiet.stdout
    assert re.search(r"error\s+wrong\s+`error` is wrong\n", quiet.stdout), quiet.stdout
    full = gdgrade("check", student, "--quiz", folder, "--seed", SEED, "--feedback", "full")
    assert "error reversed" in full.stdout and "The error is target - prediction." in full.stdout


def test_serve_passes_the_level_to_the_page(monkeypatch):
    pytest.importorskip("uvicorn")  # the serve extra is part of the test extra
    from grader.serve import app, listen

    seen = {}

    def capture(quizzes, settings, options):
        seen["options"] = options
        return object()

    monkeypatch.setattr(app, "create_app", capture)
    monkeypatch.setattr(listen, "serve", lambda *args, **kwargs: None)  # started, never run
    result = CliRunner().invoke(entry.cli, ["serve", "--port", "0", "--db", "none", "--feedback", "hints"])
    assert result.exit_code == 0, result.output
    assert seen["options"].feedback == "hints"
    CliRunner().invoke(entry.cli, ["serve", "--port", "0", "--db", "none"])
    assert seen["options"].feedback is None  # each quiz's own default, applied per answer


def test_the_page_answers_at_the_level_set(quiz):
    """The page's answers at --feedback hints: the mistake named, never the step's formula."""
    from tests.serve.test_app import FORGOT, serving

    with serving(quiz, feedback="hints") as client:
        report = client.post("/api/check", json={"source": FORGOT}).json()
        del_w = next(check for check in report["checks"] if check["name"] == "del_w")
        assert del_w["outcome"] == "wrong" and "learnrate * error_term * x" not in json.dumps(report)
    with serving(quiz) as client:
        report = client.post("/api/check", json={"source": FORGOT}).json()
        assert "learnrate * error_term * x" in json.dumps(report)  # full, the quiz's default
