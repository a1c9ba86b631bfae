"""The quiz definition: reference values, printout, hidden cases, mistakes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from grader import quiz as quiz_module
from grader.quiz import apply, parameters

QUIZ_PRINTOUT = """Neural Network output:
0.6899744811276125
Amount of Error:
-0.1899744811276125
Change in Weights:
[-0.02031869 -0.04063738 -0.06095608 -0.08127477]
"""


def test_reference_values_match_the_quiz(quiz):
    values = quiz.solve(quiz.public_inputs)
    assert float(values["h"]) == pytest.approx(0.8, abs=1e-15)
    assert float(values["nn_output"]) == 0.6899744811276125
    assert float(values["error"]) == -0.1899744811276125
    assert float(values["error_term"]) == pytest.approx(-0.04063738360460799, rel=1e-15)
    np.testing.assert_allclose(
        values["del_w"],
        [-0.020318691802303994, -0.04063738360460799, -0.06095607540691198, -0.08127476720921598],
        rtol=1e-15,
    )


def test_reference_solution_reproduces_the_printout_exactly(quiz, tmp_path):
    script = tmp_path / "gradient.py"
    script.write_text(quiz.solution_source)
    printed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert printed.stdout == QUIZ_PRINTOUT


def test_both_error_term_formulations_agree(quiz):
    step = quiz.step("error_term")
    assert len(step.formulations) == 2
    for inputs in quiz.cases(None, 1):
        values = {**inputs, **quiz.solve(inputs)}
        first, second = (apply(f, values) for f in step.formulations)
        np.testing.assert_allclose(first, second, rtol=1e-12)


def test_hidden_cases_are_seeded_and_vary_in_length(quiz):
    first, again = quiz.cases(hidden=6, seed=7), quiz.cases(hidden=6, seed=7)
    other = quiz.cases(hidden=6, seed=8)
    assert len(first) == 7
    for a, b in zip(first, again):
        for name in a:
            np.testing.assert_array_equal(a[name], b[name])
    assert any(not np.array_equal(a["x"], b["x"]) for a, b in zip(first[1:], other[1:]))
    lengths = {len(case["x"]) for case in first[1:]}
    assert 4 not in lengths and len(lengths) > 1
    assert all(len(case["x"]) == len(case["w"]) for case in first)


def test_every_mistake_differs_from_the_reference_in_every_case(quiz):
    for inputs in quiz.cases(hidden=10, seed=2):
        reference = {**inputs, **quiz.solve(inputs)}
        for mistake in quiz.mistakes:
            wrong = apply(mistake.compute, reference)
            right = reference[mistake.variable]
            assert wrong.shape != right.shape or not np.allclose(wrong, right), mistake.name


def test_catalogue_covers_the_common_mistakes(quiz):
    names = {mistake.name for mistake in quiz.mistakes}
    assert {"error sign reversed", "no derivative", "sigmoid instead of its derivative",
            "derivative of the output instead of h", "learning rate forgotten", "w instead of x",
            "no activation", "del_w summed to a scalar"} <= names
    for mistake in quiz.mistakes:
        assert mistake.variable in quiz.variables
        assert set(parameters(mistake.compute)) <= set(quiz.input_names) | set(quiz.variables)


def test_step_dependencies_are_upstream(quiz):
    known = set(quiz.input_names)
    for step in quiz.steps:
        assert set(step.upstream) <= known, step.name
        known.add(step.name)


def test_loading(quiz):
    assert quiz_module.available() == ["gradient_descent"]
    assert quiz.variables == ("h", "nn_output", "error", "error_term", "del_w")
    with pytest.raises(LookupError, match="unknown quiz 'nope'"):
        quiz_module.load("nope")


def test_tolerance_override_applies_to_every_step(quiz):
    loose = quiz.with_tolerance(rtol=0.1, atol=None)
    assert {step.rtol for step in loose.steps} == {0.1}
    assert {step.atol for step in loose.steps} == {1e-6}
    assert {step.rtol for step in quiz.steps} == {1e-5}
