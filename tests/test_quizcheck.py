"""``gdgrade quiz check``: both shipped quizzes pass, and each check catches a quiz broken on purpose.

Every broken quiz is the linear-unit quiz (tests/linear_unit) in a folder of its own, with one
thing changed; each problem must name the case and the value concerned."""

from __future__ import annotations

import subprocess
import sys

import pytest

from grader import catalog, quizcheck

from .conftest import quiz_with

SEED, DRAWS = 11, 20

BROKEN = {
    "solution computes a step wrong": ("""
        QUIZ = dataclasses.replace(QUIZ, solution_source=QUIZ.solution_source.replace("learnrate * error", "error"))
    """, "solution"),
    "starter computes a step": ("""
        QUIZ = dataclasses.replace(QUIZ, starter_source=QUIZ.solution_source.replace("error = target",
                                                                                      "error = None #"))
    """, "starter"),
    "two mistakes alike": ("""
        def sign_flipped(target, prediction):
            return -(target - prediction)

        QUIZ = dataclasses.replace(QUIZ, mistakes=(*QUIZ.mistakes, Mistake("error", "sign flipped", sign_flipped,
                                                                            "Subtract the prediction.")))
    """, "mistakes"),
    "mistake the solution cannot hold": ("""
        def relu(v):
            return np.maximum(v, 0)

        def rectified(x, w, b):
            return relu(np.dot(x, w) + b) - 1

        QUIZ = dataclasses.replace(QUIZ, mistakes=(*QUIZ.mistakes, Mistake("prediction", "rectified", rectified,
                                                                            "No rectifier here.")))
    """, "mistakes"),
    "learning rate of 1": ("""
        _draw = QUIZ.hidden_inputs
        QUIZ = dataclasses.replace(QUIZ, hidden_inputs=lambda rng, index: {**_draw(rng, index), "learnrate": 1.0},
                                   varies={"x": "shape", "w": "shape", "b": "values", "target": "values"})
    """, "distinct"),
    "hidden cases that keep the public sizes": ("""
        QUIZ = dataclasses.replace(QUIZ, hidden_inputs=lambda rng, index: {
            **QUIZ.public_inputs, "target": round(float(rng.uniform(-2.0, 2.0)), 2)})
    """, "hidden"),
    "hidden cases not drawn from the seed": ("""
        _draw = QUIZ.hidden_inputs
        QUIZ = dataclasses.replace(QUIZ, hidden_inputs=lambda rng, index: _draw(np.random.default_rng(), index))
    """, "hidden"),
    "hidden cases without an input": ("""
        _draw = QUIZ.hidden_inputs
        QUIZ = dataclasses.replace(QUIZ, hidden_inputs=lambda rng, index: {
            name: value for name, value in _draw(rng, index).items() if name != "b"})
    """, "hidden"),
    "tolerances too tight for float32": ("""
        QUIZ = dataclasses.replace(QUIZ, steps=tuple(dataclasses.replace(step, rtol=1e-12, atol=1e-15)
                                                     for step in QUIZ.steps))
    """, "float32"),
}

CAUGHT = {
    "solution computes a step wrong": [
        "`delta_w` is wrong: `delta_w` is wrong in the public case: 3 of 3 elements differ; largest difference 0.9, "
        "100.00% at index 1 (expected -0.9, got -1.8). This matches a known mistake: learning rate forgotten"],
    "starter computes a step": [
        "`prediction` is correct, where a starter leaves it as None: `prediction` is correct in all 5 cases",
        "`delta_w` is wrong, where a starter leaves it as None: `delta_w` is wrong: your code stopped at line 11 with "
        "`TypeError` while computing it in the public case"],
    "two mistakes alike": [
        "mistake 'sign flipped' of `error` (`error = -(target - prediction)`): `error` is wrong and names the mistake "
        "'error reversed': `error` is wrong in the public case: expected 0.9, got -0.9 (off by 1.8, 200.00%). This "
        "matches a known mistake: error reversed"],
    "mistake the solution cannot hold": [
        "mistake 'rectified' of `prediction` cannot be written as a student's file: its formula "
        "`relu(np.dot(x, w) + b) - 1` reads relu, which the solution file does not define"],
    "learning rate of 1": [
        "mistake 'learning rate forgotten' gives the right `delta_w` in hidden case 1 of seed 11: [ 0.24164 , "
        "-0.200216] (and in 79 more of the 81 cases); a case where they are equal cannot tell them apart"],
    "hidden cases that keep the public sizes": [
        "`x` is said to change shape, but has the public case's shape (3,) in all 80 hidden cases drawn",
        "`x` is said to change, but is [ 1. , -2. ,  0.5] in all 80 hidden cases drawn (from hidden case 1 of seed 11 "
        "on)",
        "`w` is said to change shape, but has the public case's shape (3,) in all 80 hidden cases drawn",
        "`w` is said to change, but is [ 0.3,  0.1, -0.4] in all 80 hidden cases drawn (from hidden case 1 of seed 11 "
        "on)",
        "`b` is said to change, but is 0.2 in all 80 hidden cases drawn (from hidden case 1 of seed 11 on)",
        "`learnrate` is said to change, but is 0.5 in all 80 hidden cases drawn (from hidden case 1 of seed 11 on)"],
    "hidden cases not drawn from the seed": [
        "hidden case 1 of seed 11 is not the same when drawn again (`x`: "],
    "hidden cases without an input": [
        "quiz linear_unit: its hidden_inputs gives learnrate, target, w, x in hidden case 1 of seed 11, where the "
        "public case has x, w, b, target, learnrate (and 19 more of the kind in the 20 seeds drawn)"],
    "tolerances too tight for float32": [
        "`prediction` computed in float32 is 2.36280012 in hidden case 3 of seed 23, where the reference is 2.3628: "
        "its tolerance (rtol 1e-12, atol 1e-15) rejects it; atol 1.2e-07 would accept every case drawn",
        "`error` computed in float32 is -3.1420002 in hidden case 4 of seed 25, where the reference is -3.142: its "
        "tolerance (rtol 1e-12, atol 1e-15) rejects it; atol 2e-07 would accept every case drawn",
        "`delta_w` computed in float32 is [-0.29436183, -0.77053535, -0.73590457, -0.65798521] in hidden case 3 of "
        "seed 12, where the reference is [-0.2943618, -0.7705353, -0.7359045, -0.6579852]: its tolerance (rtol "
        "1e-12, atol 1e-15) rejects it; atol 7.4e-08 would accept every case drawn"],
}


def verdicts_of(folder) -> dict[str, quizcheck.Verdict]:
    return {verdict.check: verdict for verdict in quizcheck.check(catalog.load(str(folder)), SEED, DRAWS, 2)}


def test_the_quiz_they_are_broken_from_passes_every_check(tmp_path):
    verdicts = verdicts_of(quiz_with(tmp_path / "linear_unit"))
    assert list(verdicts) == ["solution", "starter", "mistakes", "distinct", "hidden", "float32"]
    assert {name: verdict.problems for name, verdict in verdicts.items()} == dict.fromkeys(verdicts, ())


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_each_check_catches_a_quiz_broken_on_purpose(broken, tmp_path):
    snippet, check = BROKEN[broken]
    verdict = verdicts_of(quiz_with(tmp_path / "broken", snippet))[check]
    assert not verdict.passed
    if broken == "hidden cases not drawn from the seed":  # the values differ at every run: that is the problem
        assert verdict.problems[0].startswith(CAUGHT[broken][0])
        assert verdict.problems[0].endswith("draw only from the rng that hidden_inputs is given, never from np.random "
                                            "or random")
    else:
        assert list(verdict.problems) == CAUGHT[broken]


def test_every_check_is_caught_by_some_broken_quiz():
    assert {check for _, check in BROKEN.values()} == {"solution", "starter", "mistakes", "distinct", "hidden",
                                                      "float32"}


def test_a_quiz_the_grader_cannot_solve_is_not_graded_but_said_why(tmp_path):
    verdicts = verdicts_of(quiz_with(tmp_path / "broken", BROKEN["hidden cases without an input"][0]))
    assert verdicts["solution"].problems == ("not graded: the quiz fails on the hidden cases of seed 11 (see the "
                                             "hidden cases' check)",)


def gdgrade(*args):
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("name", ["gradient_descent", "backprop"])
def test_both_shipped_quizzes_pass(name):
    result = gdgrade("quiz", "check", name, "--seed", "7")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"Checking quiz {name} ({name}) on 200 draws of its hidden cases, seeds 7 to 206:"
    assert len(lines) == 8 and all(line.startswith("  ok    ") for line in lines[1:7])
    assert lines[-1] == "All 6 checks pass."


def test_quiz_check_says_each_problem_and_exits_one(tmp_path):
    folder = quiz_with(tmp_path / "broken", BROKEN["tolerances too tight for float32"][0])
    result = gdgrade("quiz", "check", folder, "--seed", str(SEED), "--draws", str(DRAWS))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "  FAIL  the tolerances accept float32 work in each of 81 cases" in lines
    assert f"          - {CAUGHT['tolerances too tight for float32'][0]}" in lines
    assert lines[-1] == "1 check of 6 found problems: float32."


def test_quiz_check_of_a_folder_that_is_no_quiz_is_a_usage_error(tmp_path):
    result = gdgrade("quiz", "check", tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (f"gdgrade: error: Invalid value for 'NAME|PATH': {tmp_path} is not a quiz folder: it has "
                             "no __init__.py, which must define QUIZ (see docs/writing-a-quiz.md)\n")
