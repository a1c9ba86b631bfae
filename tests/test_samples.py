"""Every sample in submissions/gradient_descent/ gets the verdict it was written to show."""

from __future__ import annotations

import pytest

from grader import intake
from grader.report import Outcome, Status

from .conftest import SUBMISSIONS

C, K, H, W, M = (Outcome.CORRECT, Outcome.CONSISTENT, Outcome.HARDCODED, Outcome.WRONG, Outcome.MISSING)

EXPECTED = {
    # id: (status, outcomes of h, nn_output, error, error_term, del_w, known mistake or None)
    "correct_dot": (Status.COMPLETED, [C, C, C, C, C], None),
    "correct_loop": (Status.COMPLETED, [C, C, C, C, C], None),
    "correct_output_derivative": (Status.COMPLETED, [C, C, C, C, C], None),
    "correct_float32": (Status.COMPLETED, [C, C, C, C, C], None),
    "error_reversed": (Status.COMPLETED, [C, C, W, K, K], "error sign reversed"),
    "no_derivative": (Status.COMPLETED, [C, C, C, W, K], "no derivative"),
    "sigmoid_not_derivative": (Status.COMPLETED, [C, C, C, W, K], "sigmoid instead of its derivative"),
    "derivative_of_output": (Status.COMPLETED, [C, C, C, W, K], "derivative of the output instead of h"),
    "forgot_learnrate": (Status.COMPLETED, [C, C, C, C, W], "learning rate forgotten"),
    "w_instead_of_x": (Status.COMPLETED, [C, C, C, C, W], "w instead of x"),
    "no_activation": (Status.COMPLETED, [C, W, K, K, K], "no activation"),
    "summed_del_w": (Status.COMPLETED, [C, C, C, C, W], "del_w summed to a scalar"),
    "two_input_h": (Status.COMPLETED, [W, K, K, K, K], "only two inputs"),
    "hardcoded": (Status.COMPLETED, [H, H, H, H, H], None),
    "hardcoded_disguised": (Status.COMPLETED, [C, H, K, K, H], None),
    "crash_halfway": (Status.RUNTIME_ERROR, [C, C, C, C, W], None),  # the step whose line raised is wrong
    "syntax_error": (Status.SYNTAX_ERROR, [M, M, M, M, M], None),
    "starter": (Status.COMPLETED, [M, M, M, M, M], None),
    "four_term_sum": (Status.RUNTIME_ERROR, [W, K, K, K, K], None),  # IndexError where x has 3 elements
    "in_main": (Status.COMPLETED, [C, C, C, C, C], None),  # computed inside main(): found there
    "edited_givens": (Status.COMPLETED, [C, C, C, C, C], None),  # graded on the quiz's givens
    "integer_zeros": (Status.COMPLETED, [C, C, C, C, W], None),  # np.zeros_like of an integer x
}


@pytest.fixture(scope="module")
def reports(grader):
    return {report.submission: report for report in grader.grade(intake.find([SUBMISSIONS]).submissions)}


def test_every_sample_is_listed(reports):
    assert set(reports) == set(EXPECTED)
    assert len(EXPECTED) >= 12


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_sample_verdict(reports, sample):
    status, outcomes, mistake = EXPECTED[sample]
    report = reports[sample]
    assert report.status is status
    assert [check.outcome for check in report.checks] == outcomes
    assert report.score == sum(outcome in (C, K) for outcome in outcomes)
    assert report.max_score == 5
    mistakes = {check.mistake for check in report.checks} - {None}
    assert mistakes == ({mistake} if mistake else set())


def test_hardcoded_printout_does_not_get_full_marks(reports):
    assert reports["hardcoded"].score == 0
    assert reports["hardcoded"].stdout.endswith("[-0.02031869 -0.04063738 -0.06095608 -0.08127477]\n")


def test_wrong_h_alone_makes_every_later_step_consistent(reports):
    checks = reports["two_input_h"].checks
    assert [c.outcome for c in checks[1:]] == [K] * 4
    assert "because `h` is wrong" in checks[1].message
