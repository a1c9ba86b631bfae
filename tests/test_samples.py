"""Every sample in submissions/<quiz>/ gets the verdict it was written to show, for every shipped quiz."""

from __future__ import annotations

import pytest

from grader import intake
from grader import quiz as quiz_module
from grader.grade import Settings
from grader.report import Outcome, Status

from .conftest import QUIZZES, ROOT, SEED

C, K, H, W, M = (Outcome.CORRECT, Outcome.CONSISTENT, Outcome.HARDCODED, Outcome.WRONG, Outcome.MISSING)
DONE, RAISED = Status.COMPLETED, Status.RUNTIME_ERROR

EXPECTED = {
    "gradient_descent": {
        # id: (status, outcomes of h, nn_output, error, error_term, del_w, known mistake or None)
        "correct_dot": (DONE, [C, C, C, C, C], None),
        "correct_loop": (DONE, [C, C, C, C, C], None),
        "correct_output_derivative": (DONE, [C, C, C, C, C], None),
        "correct_float32": (DONE, [C, C, C, C, C], None),
        "error_reversed": (DONE, [C, C, W, K, K], "error sign reversed"),
        "no_derivative": (DONE, [C, C, C, W, K], "no derivative"),
        "sigmoid_not_derivative": (DONE, [C, C, C, W, K], "sigmoid instead of its derivative"),
        "derivative_of_output": (DONE, [C, C, C, W, K], "derivative of the output instead of h"),
        "forgot_learnrate": (DONE, [C, C, C, C, W], "learning rate forgotten"),
        "w_instead_of_x": (DONE, [C, C, C, C, W], "w instead of x"),
        "no_activation": (DONE, [C, W, K, K, K], "no activation"),
        "summed_del_w": (DONE, [C, C, C, C, W], "del_w summed to a scalar"),
        "two_input_h": (DONE, [W, K, K, K, K], "only two inputs"),
        "hardcoded": (DONE, [H, H, H, H, H], None),
        "hardcoded_disguised": (DONE, [C, H, K, K, H], None),
        "crash_halfway": (RAISED, [C, C, C, C, W], None),  # the step whose line raised is wrong
        "syntax_error": (Status.SYNTAX_ERROR, [M, M, M, M, M], None),
        "starter": (DONE, [M, M, M, M, M], None),
        "four_term_sum": (RAISED, [W, K, K, K, K], None),  # IndexError where x has 3 elements
        "in_main": (DONE, [C, C, C, C, C], None),  # computed inside main(): found there
        "edited_givens": (DONE, [C, C, C, C, C], None),  # graded on the quiz's givens
        "integer_zeros": (DONE, [C, C, C, C, W], None),  # np.zeros_like of an integer x
    },
    "backprop": {
        # id: (status, outcomes of hidden_layer_input, hidden_layer_output, output_layer_in, output, error,
        #      output_error_term, hidden_error_term, delta_w_h_o, delta_w_i_h; known mistake or None)
        "correct_dot": (DONE, [C] * 9, None),
        "correct_outer": (DONE, [C] * 9, None),  # np.outer, and the slope as sigmoid_prime(hidden_layer_input)
        "correct_loops": (DONE, [C] * 9, None),  # loops over the sizes of the weights, whatever they are
        "correct_float32": (DONE, [C] * 9, None),
        "starter": (DONE, [M] * 9, None),
        "hardcoded": (DONE, [H] * 9, None),
        # a ValueError in the public case: named by the known mistake that raises it too
        "weights_transposed": (RAISED, [W, M, M, M, M, M, M, M, M], "weights transposed"),
        "no_column_axis": (RAISED, [C, C, C, C, C, C, C, C, W], "no column axis on x"),
        "update_transposed": (DONE, [C, C, C, C, C, C, C, C, W], "update transposed"),
        "derivative_at_output_layer": (DONE, [C, C, C, C, C, C, W, C, K], "derivative taken at the output layer"),
        "weights_left_out": (DONE, [C, C, C, C, C, C, W, C, K], "weights left out of the hidden error term"),
        "output_term_for_hidden_layer": (DONE, [C, C, C, C, C, C, C, C, W], "output error term for the hidden layer"),
        "forgot_learnrate": (DONE, [C, C, C, C, C, C, C, W, W], "learning rate forgotten"),  # in both updates
        "inputs_for_hidden_outputs": (DONE, [C, C, C, C, C, C, C, W, C], "inputs instead of the hidden outputs"),
        "error_reversed": (DONE, [C, C, C, C, W, K, K, K, K], "error sign reversed"),  # carried through a matrix
        "no_hidden_activation": (DONE, [C, W, K, K, K, K, K, K, K], "no activation in the hidden layer"),
        # not in the catalogue: explained by the formula search (see test_backprop_diagnoses)
        "public_learnrate": (DONE, [C, C, C, C, C, C, C, C, W], None),
        "weights_for_inputs": (DONE, [C, C, C, C, C, C, C, C, W], None),
        "sigmoid_not_slope": (DONE, [C, C, C, C, C, C, W, C, K], None),
        # loops over the public case's sizes: an IndexError in hidden case 1 (2 inputs), a ValueError where
        # there are not 2 hidden units; every later step reached by the public case alone
        "fixed_sizes": (RAISED, [W, K, W, W, W, W, W, W, W], None),
    },
}
SAMPLES = [(name, sample) for name, samples in EXPECTED.items() for sample in sorted(samples)]


@pytest.fixture(scope="module")
def reports(graders, path):
    """Every quiz's samples, graded on both start paths."""
    graded = {}
    for name in QUIZZES:
        chosen = quiz_module.load(name)
        grader = graders(Settings(spawn=path == "spawn", seed=SEED), chosen)
        found = intake.find([ROOT / "submissions" / name], chosen.filename).submissions
        graded[name] = {report.submission: report for report in grader.grade(found)}
    return graded


@pytest.mark.parametrize("name", QUIZZES)
def test_every_sample_is_listed(reports, name):
    assert set(reports[name]) == set(EXPECTED[name])
    assert len(EXPECTED[name]) >= 12


@pytest.mark.parametrize("name, sample", SAMPLES, ids=[f"{name}/{sample}" for name, sample in SAMPLES])
def test_sample_verdict(reports, name, sample):
    status, outcomes, mistake = EXPECTED[name][sample]
    report = reports[name][sample]
    assert report.status is status
    assert [check.outcome for check in report.checks] == outcomes
    assert report.score == sum(outcome in (C, K) for outcome in outcomes)
    assert report.max_score == len(outcomes)
    mistakes = {check.mistake for check in report.checks} - {None}
    assert mistakes == ({mistake} if mistake else set())


def test_hardcoded_printout_does_not_get_full_marks(reports):
    assert reports["gradient_descent"]["hardcoded"].score == 0
    assert reports["gradient_descent"]["hardcoded"].stdout.endswith(
        "[-0.02031869 -0.04063738 -0.06095608 -0.08127477]\n")


def test_wrong_h_alone_makes_every_later_step_consistent(reports):
    checks = reports["gradient_descent"]["two_input_h"].checks
    assert [c.outcome for c in checks[1:]] == [K] * 4
    assert "because `h` does:" in checks[1].message


def test_backprop_diagnoses(reports):
    """The formula search explains wrong vectors and matrices that no known mistake does."""
    graded = reports["backprop"]
    fixed = graded["public_learnrate"].checks[-1].diagnosis
    assert fixed.kind == "public_value" and fixed.expression == "0.5 * hidden_error_term * x[:, None]"
    weights = graded["weights_for_inputs"].checks[-1].diagnosis
    assert weights.kind == "expression"
    assert weights.explanation == ("`delta_w_i_h` equals `learnrate * hidden_error_term * weights_input_hidden` in "
                                   "every case: you used `weights_input_hidden` where the step needs `x[:, None]` "
                                   "(`learnrate * hidden_error_term * x[:, None]`)")
    slope = graded["sigmoid_not_slope"].checks[6].diagnosis
    assert slope.kind == "formula" and slope.explanation == (
        "`hidden_error_term` equals `output_error_term * weights_hidden_output * sigmoid(hidden_layer_input)` in "
        "every case: it uses `sigmoid(hidden_layer_input)` where it needs `sigmoid_prime(hidden_layer_input)`")


def test_backprop_errors_name_the_sizes_of_the_hidden_case(reports):
    no_axis = graded_check(reports, "no_column_axis", "delta_w_i_h")
    assert no_axis.diagnosis.kind == "known_mistake" and "x[:, None]" in no_axis.hint
    assert no_axis.message.startswith("`delta_w_i_h` is wrong: your code stopped at line 36 with `ValueError` "
                                      "while computing it in the public case")
    fixed = graded_check(reports, "fixed_sizes", "hidden_layer_input")
    assert fixed.failed_case == "hidden 1" and fixed.message.endswith(
        "in hidden case 1, where `x` has 2 elements (3 in the public case): it seems to assume 3 elements, as in "
        "the public case")


def graded_check(reports, sample, variable):
    return next(check for check in reports["backprop"][sample].checks if check.name == variable)
