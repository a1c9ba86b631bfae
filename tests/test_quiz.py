"""The quiz definitions: reference values, printouts, hidden cases, mistakes; what every quiz must be."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from grader import quiz as quiz_module
from grader.quiz import apply, parameters

from .conftest import QUIZZES

PRINTOUTS = {
    "gradient_descent": """Neural Network output:
0.6899744811276125
Amount of Error:
-0.1899744811276125
Change in Weights:
[-0.02031869 -0.04063738 -0.06095608 -0.08127477]
""",
    "backprop": """Update of the hidden-to-output weights:
[0.00804047 0.00555918]
Update of the input-to-hidden weights:
[[ 1.77005547e-04 -5.11178506e-04]
 [ 3.54011093e-05 -1.02235701e-04]
 [-7.08022187e-05  2.04471402e-04]]
""",
}


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


def test_backprop_reference_values():
    backprop = quiz_module.load("backprop")
    values = backprop.solve(backprop.public_inputs)
    np.testing.assert_allclose(values["hidden_layer_input"], [0.24, -0.46], rtol=1e-15)
    assert float(values["output"]) == pytest.approx(0.48497343084992534, rel=1e-15)
    assert float(values["output_error_term"]) == pytest.approx(0.028730669543515018, rel=1e-15)
    np.testing.assert_allclose(values["hidden_error_term"], [0.0007080221865494136, -0.002044714023950862],
                               rtol=1e-14)
    np.testing.assert_allclose(values["delta_w_h_o"], [0.008040473948045293, 0.005559180911682831], rtol=1e-14)
    assert values["delta_w_i_h"].shape == (3, 2)  # one row per input, one column per hidden unit
    np.testing.assert_allclose(values["delta_w_i_h"], [[1.770055466373534e-04, -5.111785059877155e-04],
                                                        [3.540110932747068e-05, -1.0223570119754312e-04],
                                                        [-7.080221865494137e-05, 2.0447140239508623e-04]], rtol=1e-14)


@pytest.mark.parametrize("name", QUIZZES)
def test_reference_solution_reproduces_the_printout_exactly(name, tmp_path):
    chosen = quiz_module.load(name)
    script = tmp_path / chosen.filename
    script.write_text(chosen.solution_source)
    printed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert printed.stdout == PRINTOUTS[name]


def test_every_formulation_of_a_step_agrees(each_quiz):
    several = [step for step in each_quiz.steps if len(step.formulations) > 1]
    assert several  # each quiz accepts two ways of writing a sigmoid's slope
    for inputs in each_quiz.cases(None, 1):
        values = {**inputs, **each_quiz.solve(inputs)}
        for step in several:
            first, *others = (apply(f, values) for f in step.formulations)
            for other in others:
                np.testing.assert_allclose(first, other, rtol=1e-12)


def test_hidden_cases_are_seeded_and_vary_what_the_quiz_says(each_quiz):
    first, again = each_quiz.cases(hidden=6, seed=7), each_quiz.cases(hidden=6, seed=7)
    other = each_quiz.cases(hidden=6, seed=8)
    assert len(first) == 7
    for a, b in zip(first, again):
        for name in a:
            np.testing.assert_array_equal(a[name], b[name])
    for name, how in each_quiz.varies.items():
        assert any(not np.array_equal(a[name], b[name]) for a, b in zip(first[1:], other[1:])), name
        if how == "shape":  # never the public case's size, and not always one size
            public = np.shape(each_quiz.public_inputs[name])
            shapes = {np.shape(case[name]) for case in first[1:]}
            assert len(shapes) > 1 and public not in shapes, (name, shapes)


def test_gradient_descent_hidden_cases_are_shorter_and_longer(quiz):
    for seed in range(20):
        cases = quiz.cases(None, seed)
        assert len(cases[1]["x"]) == 3 and len(cases[2]["x"]) in (5, 6, 7)
        assert all(len(case["x"]) == len(case["w"]) for case in cases)


def test_backprop_hidden_cases_change_the_layer_sizes():
    backprop = quiz_module.load("backprop")
    for seed in range(20):
        cases = backprop.cases(None, seed)
        sizes = [case["weights_input_hidden"].shape for case in cases]
        assert sizes[0] == (3, 2) and sizes[1] == (2, 3)  # fewer inputs, more hidden units
        assert sizes[2][0] == sizes[2][1] in (4, 5)  # as many of each: a missing x[:, None] still runs
        assert all(inputs != 3 and hidden != 2 for inputs, hidden in sizes[1:])
        for case in cases:
            inputs, hidden = case["weights_input_hidden"].shape
            assert case["x"].shape == (inputs,) and case["weights_hidden_output"].shape == (hidden,)


def test_every_mistake_differs_from_the_reference_in_every_case(each_quiz):
    for inputs in each_quiz.cases(hidden=10, seed=2):
        reference = {**inputs, **each_quiz.solve(inputs)}
        for mistake in each_quiz.mistakes:
            try:
                wrong = apply(mistake.compute, reference)
            except ValueError:  # a shape error: it differs (no column axis, transposed weights)
                continue
            right = reference[mistake.variable]
            assert wrong.shape != right.shape or not np.allclose(wrong, right), mistake.name


def test_a_hidden_case_where_a_mistake_is_right_is_drawn_again(quiz):
    """Gradient descent, seed 1009: its first hidden case drawn first had x[2] * w[2] == 0, where
    summing only two inputs gives the right `h`; it is drawn again, so that mistake shows there."""
    raw = quiz.hidden_inputs(np.random.default_rng(1009), 0)
    assert [mistake.name for mistake in quiz.alike(raw)] == ["only two inputs"]
    drawn = quiz.cases(None, 1009)[1]
    assert not np.array_equal(drawn["x"], raw["x"]) and quiz.alike(drawn) == []


def test_catalogue_covers_the_common_mistakes(quiz):
    names = {mistake.name for mistake in quiz.mistakes}
    assert {"error sign reversed", "no derivative", "sigmoid instead of its derivative",
            "derivative of the output instead of h", "learning rate forgotten", "w instead of x",
            "no activation", "del_w summed to a scalar"} <= names


def test_backprop_catalogue_has_the_lessons_mistakes():
    names = {(mistake.variable, mistake.name) for mistake in quiz_module.load("backprop").mistakes}
    assert {("delta_w_i_h", "no column axis on x"), ("hidden_layer_input", "weights transposed"),
            ("delta_w_i_h", "update transposed"), ("hidden_error_term", "derivative taken at the output layer"),
            ("delta_w_i_h", "output error term for the hidden layer"), ("delta_w_h_o", "learning rate forgotten"),
            ("delta_w_i_h", "learning rate forgotten")} <= names


def test_mistakes_and_steps_read_only_what_is_upstream(each_quiz):
    known = set(each_quiz.input_names)
    for step in each_quiz.steps:
        assert set(step.upstream) <= known, step.name
        for mistake in each_quiz.mistakes:
            if mistake.variable == step.name:
                assert set(parameters(mistake.compute)) <= known, mistake.name
        known.add(step.name)


def test_loading():
    from grader import catalog

    assert sorted({entry.name for entry in catalog.entries()}) == ["backprop", "gradient_descent"]
    assert quiz_module.load("gradient_descent").variables == ("h", "nn_output", "error", "error_term", "del_w")
    assert quiz_module.load("backprop").filename == "backprop.py"
    with pytest.raises(quiz_module.QuizError, match="unknown quiz 'nope'"):
        quiz_module.load("nope")


def test_tolerance_override_applies_to_every_step(each_quiz):
    loose = each_quiz.with_tolerance(rtol=0.1, atol=None)
    assert {step.rtol for step in loose.steps} == {0.1}
    assert {step.atol for step in loose.steps} == {step.atol for step in each_quiz.steps}
    assert {step.rtol for step in each_quiz.steps} == {1e-5}
