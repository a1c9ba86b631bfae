"""How well wrong values are explained, measured on files written as classes write them.

tests/collected/<quiz>/ holds wrong files of both quizzes, rewritten from the mistakes found in
students' public course repositories (the facts kept, never a file copied): one mistake class per
file. Each wrong value is counted as (a) given a formula, (b) said in the student's terms (what
changed against the step, not only an equation), (c) given a hint. ``python -m tests.test_collected``
prints the table; the test holds every count to every wrong value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader import intake
from grader import quiz as quiz_module
from grader.grade import Grader, Settings
from grader.report import Check, Outcome, Report

from .conftest import SEED

COLLECTED = Path(__file__).with_name("collected")
IN_TERMS = frozenset({"known_mistake", "formula", "public_value", "fixed_size", "transpose_1d", "dtype", "list",
                      "partial"})
"""Diagnoses that say what changed against the step; an ``expression`` does when it names the difference."""
DIFFERENCE = (": you used", "is missing", "an extra factor")
"""How an ``expression`` diagnosis names its one difference from the step (``explain.difference``)."""


@dataclass(frozen=True)
class Tally:
    """Wrong values, and how many of them got a formula, words in the student's terms, a hint."""

    wrong: int
    formula: int
    in_terms: int
    hint: int


def in_terms(check: Check) -> bool:
    diagnosis = check.diagnosis
    return diagnosis is not None and (diagnosis.kind in IN_TERMS or (
        diagnosis.kind == "expression" and any(words in diagnosis.explanation for words in DIFFERENCE)))


def tally(checks: Iterable[Check]) -> Tally:
    wrong = [check for check in checks if check.outcome is Outcome.WRONG]
    return Tally(len(wrong), sum(bool(c.diagnosis and c.diagnosis.expression) for c in wrong),
                 sum(in_terms(c) for c in wrong), sum(bool(c.hint) for c in wrong))


def graded(name: str) -> dict[str, Report]:
    chosen = quiz_module.load(name)
    found = intake.find([COLLECTED / name], chosen.filename).submissions
    with Grader(chosen, Settings(seed=SEED)) as grader:
        return {report.submission: report for report in grader.grade(found)}


@pytest.fixture(scope="module")
def reports() -> Mapping[str, dict[str, Report]]:
    return {name: graded(name) for name in ("gradient_descent", "backprop")}


EXPECTED = {
    # (quiz, file): {step: (diagnosis kind, words in its explanation or hint)}
    ("gradient_descent", "slope_brackets"): {"error_term": (
        "formula", "the brackets around `(1 - nn_output)` are missing")},
    ("gradient_descent", "slope_factor_dropped"): {"error_term": ("formula", "the factor `nn_output` is missing")},
    ("gradient_descent", "bias_in_h"): {"h": ("formula", "0.1 is added to `np.dot(x, w)`")},
    ("gradient_descent", "half_squared_error"): {"error": ("known_mistake", "is the loss")},
    ("gradient_descent", "mean_for_h"): {"h": ("known_mistake", "a mean divides that sum by len(x)")},
    ("gradient_descent", "slope_of_h"): {"error_term": ("known_mistake", "give it nn_output, not h")},
    ("gradient_descent", "sigmoid_sign"): {"nn_output": (
        "formula", "your `sigmoid` uses `np.exp(h)` where it needs `np.exp(-h)`")},
    ("gradient_descent", "averaged_step"): {"del_w": ("known_mistake", "do not divide by len(x)")},
    ("gradient_descent", "slope_minus"): {"error_term": ("formula", "uses `-` where it needs `*`")},
    ("gradient_descent", "error_sign_and_rate"): {"error": ("known_mistake", "y - nn_output"),
                                                  "del_w": ("known_mistake", "scaled by the learning rate")},
    ("gradient_descent", "lesson_two_inputs"): {"del_w": ("partial", "holds only the first 2 of its entries")},
    ("gradient_descent", "step_times_two"): {"del_w": ("formula", "it is 2 times `learnrate * error_term * x`")},
    ("gradient_descent", "output_plus_error"): {"error_term": ("formula", "it has an extra term `+ error`")},
    ("backprop", "slope_of_the_error_share"): {"hidden_error_term": ("known_mistake", "is what that slope multiplies")},
    ("backprop", "no_learning_rate"): {"delta_w_h_o": ("known_mistake", "scaled by the learning rate"),
                                       "delta_w_i_h": ("known_mistake", "scaled by the learning rate")},
    ("backprop", "reshape_to_three"): {"delta_w_i_h": ("fixed_size", "`x.reshape(-1, 1)`")},
    ("backprop", "transpose_of_a_vector"): {"delta_w_i_h": ("transpose_1d", "`x.T` (line 30) is `x` unchanged")},
    ("backprop", "squared_error"): {"error": ("known_mistake", "is the loss")},
    ("backprop", "output_slope_of_input"): {"output_error_term": ("known_mistake", "give it output, not")},
    ("backprop", "error_sent_back"): {"hidden_error_term": ("known_mistake", "output_error_term, not error")},
    ("backprop", "hidden_slope_brackets"): {"hidden_error_term": (
        "formula", "the brackets around `(1 - hidden_layer_output)` are missing")},
    ("backprop", "bias_on_output_unit"): {"output_layer_in": ("formula", "1 is added to")},
    ("backprop", "outer_product_transposed"): {"delta_w_i_h": ("known_mistake", "one row per input")},
    ("backprop", "hidden_slope_of_input"): {"hidden_error_term": ("known_mistake", "not hidden_layer_input")},
    ("backprop", "mean_output_input"): {"output_layer_in": ("formula", "a mean where the step needs a sum")},
}


@pytest.mark.parametrize(("quiz", "name"), sorted(EXPECTED))
def test_each_collected_mistake_is_named(reports, quiz, name):
    checks = {check.name: check for check in reports[quiz][name].checks}
    for step, (kind, words) in EXPECTED[quiz, name].items():
        check = checks[step]
        assert check.outcome is Outcome.WRONG and check.diagnosis is not None, check
        assert check.diagnosis.kind == kind, check.diagnosis
        said = f"{check.diagnosis.explanation} {check.hint or ''}"
        assert words in said, said


def test_every_wrong_value_is_explained_in_the_students_terms_with_a_hint(reports):
    every = [check for graded_quiz in reports.values() for report in graded_quiz.values() for check in report.checks]
    counted = tally(every)
    assert counted == Tally(wrong=28, formula=25, in_terms=28, hint=28)
    # no formula: a reshape to fixed sizes, a .T of a 1-D array, a vector of only its first entries


if __name__ == "__main__":
    for quiz_name in ("gradient_descent", "backprop"):
        result = tally(check for report in graded(quiz_name).values() for check in report.checks)
        print(f"{quiz_name}: {result.wrong} wrong values; {result.formula} with a formula, "
              f"{result.in_terms} in the student's terms, {result.hint} with a hint")
