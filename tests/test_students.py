"""Realistic student files, written as students write: each verdict, diagnosis and note asserted.
Those in tests/students/, and four that are also samples (submissions/). Graded with the suite's
seed, whose first hidden case has 3 inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import intake
from grader.report import Outcome, Status

from .conftest import SUBMISSIONS

C, K, H, W, M = (Outcome.CORRECT, Outcome.CONSISTENT, Outcome.HARDCODED, Outcome.WRONG, Outcome.MISSING)
STUDENTS = Path(__file__).with_name("students")
ALSO_SAMPLES = ("four_term_sum", "in_main", "edited_givens", "integer_zeros")

EXPECTED = {
    # file: (status, outcomes of h, nn_output, error, error_term, del_w, {variable: (diagnosis kind, words)},
    #        words in the notes)
    "four_term_sum": (Status.RUNTIME_ERROR, [W, K, K, K, K], {"h": (
        "exception", "stopped at line 26 with `IndexError` while computing it in hidden case 1, where `x` has "
                     "3 elements (4 in the public case): it seems to assume 4 elements")}, None),
    "loop_range_four": (Status.RUNTIME_ERROR, [W, K, K, K, K], {"h": (
        "exception", "stopped at line 27 with `IndexError` while computing it in hidden case 1")}, None),
    "loop_over_inputs": (Status.COMPLETED, [C, C, C, C, C], {}, None),
    "in_main": (Status.COMPLETED, [C, C, C, C, C], {},
                "`h`, `nn_output`, `error`, `error_term` and `del_w` were found inside `main()`"),
    "main_never_called": (Status.COMPLETED, [M, M, M, M, M], {"h": (
        "inside_function", "`h` is assigned only inside `main()`, and no call of it returned: call `main()`")}, None),
    "edited_givens": (Status.COMPLETED, [C, C, C, C, C], {},
                      "your file sets `learnrate` to 0.1 where the quiz gives 0.5"),
    "input_at_the_end": (Status.RUNTIME_ERROR, [C, C, C, C, C], {},
                         "raised `EOFError` at line 38, after computing every checked value: the values were "
                         "graded and the error costs nothing"),
    "integer_zeros": (Status.COMPLETED, [C, C, C, C, W], {"del_w": (
        "dtype", "`del_w` holds integers (int64): the right values with their fractions cut off")}, None),
    "error_for_error_term": (Status.COMPLETED, [C, C, C, C, W], {"del_w": (
        "known_mistake", "error_term already includes the sigmoid's derivative")}, None),
    "plus_instead_of_minus": (Status.COMPLETED, [C, C, W, K, K], {"error": (
        "formula", "`error` equals `y + nn_output` in every case: it uses `+` where it needs `-`")},
        None),
    "output_for_derivative": (Status.COMPLETED, [C, C, C, W, K], {"error_term": (
        "known_mistake", "The sigmoid's derivative at h is nn_output * (1 - nn_output), not nn_output")}, None),
    "error_against_h": (Status.COMPLETED, [C, C, W, K, K], {"error": (
        "known_mistake", "not with h")}, None),
    "divides_by_x": (Status.COMPLETED, [C, C, C, C, W], {"del_w": (
        "formula", "`del_w` equals `learnrate * error_term / x` in every case: it uses `/` where it needs `*`")},
        None),
    "list_of_steps": (Status.COMPLETED, [C, C, C, C, C], {}, None),  # a list: it does not matter here
    "assumes_four_inputs": (Status.RUNTIME_ERROR, [W, W, W, W, W], {
        "h": ("exception", "stopped at line 25 with `AssertionError` before computing `h`"),
        "del_w": ("not_reached", "could not be judged: only the public case, whose answer is known, reached it")},
        None),
    "summed_in_a_loop": (Status.COMPLETED, [C, C, C, C, W], {"del_w": (
        "known_mistake", "del_w has one entry per weight")}, None),
    "typed_learnrate": (Status.COMPLETED, [C, C, C, C, W], {"del_w": (
        "public_value", "`del_w` uses 0.5, the public case's `learnrate`, as a fixed number")}, None),
}


@pytest.fixture(scope="module")
def reports(grader):
    paths = [STUDENTS, *(SUBMISSIONS / name / "gradient.py" for name in ALSO_SAMPLES)]
    return {report.submission: report for report in grader.grade(intake.find(paths).submissions)}


def test_every_student_file_is_listed(reports):
    assert set(reports) == set(EXPECTED) and len(EXPECTED) >= 15


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_verdict_and_diagnosis(reports, student):
    status, outcomes, diagnoses, note = EXPECTED[student]
    report = reports[student]
    assert report.status is status
    assert [check.outcome for check in report.checks] == outcomes
    assert report.score == sum(outcome in (C, K) for outcome in outcomes)
    checks = {check.name: check for check in report.checks}
    for name, (kind, words) in diagnoses.items():
        diagnosis = checks[name].diagnosis
        assert diagnosis is not None and diagnosis.kind == kind, (name, diagnosis)
        said = " ".join([checks[name].message, diagnosis.explanation, diagnosis.hint or ""])
        assert words in said, said
    undiagnosed = [check.name for check in report.checks if not check.passed and check.name not in diagnoses]
    assert all(checks[name].diagnosis is not None for name in undiagnosed)  # every failing check is explained
    if note:
        assert any(note in warning for warning in report.warnings), report.warnings
