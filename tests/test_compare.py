"""The comparison engine, on validated values built by hand, with property tests."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.compare import CaseRun, Facts, Reference, Stop, check_all, close
from grader.protocol import Missing, Numeric, Other
from grader.report import Outcome, Status


def numeric(value) -> Numeric:
    array = np.asarray(value, dtype=np.float64)
    return Numeric(kind="numeric", type="ndarray", shape=list(array.shape), values=array.ravel().tolist())


def reference_values(quiz, cases):
    return [{name: numeric(value) for name, value in quiz.solve(inputs).items()} for inputs in cases]


def judge(quiz, cases, student, stopped="the run stopped", **facts):
    """check_all on plain per-case value dicts (None: the case never ran)."""
    runs = [None if values is None else CaseRun(values) for values in student]
    return check_all(Reference(quiz, cases), runs, Facts(**facts), stopped)


def outcomes(checks):
    return {check.name: check.outcome for check in checks}


def chain(quiz, inputs, **overrides):
    """Student values computed by the reference formulas, with some steps replaced by functions."""
    values = dict(inputs)
    for step in quiz.steps:
        function = overrides.get(step.name, step.formulations[0])
        values[step.name] = np.asarray(function(**{p: values[p] for p in function.__code__.co_varnames[
            :function.__code__.co_argcount]}), dtype=np.float64)
    return {step.name: numeric(values[step.name]) for step in quiz.steps}


def test_reference_is_correct_everywhere(quiz, cases):
    checks = judge(quiz, cases, reference_values(quiz, cases))
    assert set(outcomes(checks).values()) == {Outcome.CORRECT}
    assert sum(c.score for c in checks) == 5 and all(c.passed for c in checks)
    assert checks[0].cases[0].expected == pytest.approx(0.8)
    assert checks[0].cases[0].abs_error == pytest.approx(0.0, abs=1e-15)


def test_missing_none_and_not_a_number(quiz, cases):
    student = reference_values(quiz, cases)
    for values in student:
        values["h"] = Missing(kind="missing")
        values["error"] = Missing(kind="none")
        values["del_w"] = Other(kind="other", type="str")
    checks = {c.name: c for c in judge(quiz, cases, student)}
    assert checks["h"].outcome is Outcome.MISSING and "not defined" in checks["h"].message
    assert checks["error"].outcome is Outcome.MISSING and "still None" in checks["error"].message
    assert checks["del_w"].outcome is Outcome.WRONG
    assert "not a number: got `str`" in checks["del_w"].message
    assert checks["nn_output"].outcome is Outcome.CORRECT


def test_wrong_h_carries_forward(quiz, cases):
    student = [chain(quiz, inputs, h=lambda x, w: np.dot(x, w) + 0.25) for inputs in cases]
    result = outcomes(judge(quiz, cases, student))
    assert result == {"h": Outcome.WRONG, "nn_output": Outcome.CONSISTENT, "error": Outcome.CONSISTENT,
                      "error_term": Outcome.CONSISTENT, "del_w": Outcome.CONSISTENT}


def test_consistent_message_names_the_wrong_upstream(quiz, cases):
    student = [chain(quiz, inputs, error=lambda y, nn_output: nn_output - y) for inputs in cases]
    checks = {c.name: c for c in judge(quiz, cases, student)}
    assert checks["error"].mistake == "error sign reversed"
    assert "y - nn_output" in checks["error"].hint
    assert checks["error_term"].outcome is Outcome.CONSISTENT
    assert "because `error` does:" in checks["error_term"].message
    assert "because `error_term` does:" in checks["del_w"].message


def test_shape_mismatch_names_both_shapes(quiz, cases):
    student = reference_values(quiz, cases)
    student[0]["del_w"] = numeric([[1.0, 2.0]])
    check = next(c for c in judge(quiz, cases, student) if c.name == "del_w")
    assert check.outcome is Outcome.WRONG
    assert "expected shape (4,), got shape (1, 2)" in check.message


def test_off_by_message_gives_the_numbers(quiz, cases):
    student = reference_values(quiz, cases)
    student[0]["h"] = numeric(0.9)
    check = judge(quiz, cases, student)[0]
    assert check.message == ("`h` is wrong in the public case: expected 0.8, got 0.9 (off by 0.1, 12.50%)")
    assert check.cases[0].abs_error == pytest.approx(0.1)
    assert check.cases[0].rel_error == pytest.approx(0.125)


def test_literal_wins_over_consistent(quiz, cases):
    student = [chain(quiz, inputs, h=lambda x, w: 0.8) for inputs in cases]
    checks = outcomes(judge(quiz, cases, student, literals=frozenset({"h"})))
    assert checks["h"] is Outcome.HARDCODED
    # sigmoid(0.8) is the same in every case, so it cannot be told from a typed-in answer: no credit;
    # the steps that take the changing y on from it are computed, and earn theirs
    assert checks["nn_output"] is Outcome.WRONG
    assert [checks[name] for name in ("error", "error_term", "del_w")] == [Outcome.CONSISTENT] * 3


def test_copied_public_answers_earn_nothing(quiz, cases):
    """A hardcoded h and the public answers typed where formulas belong (``float("0.6899...")``, not
    a literal to the syntax tree): each agrees with the step before it, and none changes."""
    public = quiz.solve(cases[0])
    student = [{**chain(quiz, inputs, h=lambda x, w: public["h"]),
                **{name: numeric(public[name]) for name in ("nn_output", "error", "error_term")}} for inputs in cases]
    checks = outcomes(judge(quiz, cases, student, literals=frozenset({"h"})))
    assert Outcome.CONSISTENT not in checks.values() and Outcome.CORRECT not in checks.values()


def test_values_within_tolerance_of_saturation_earn_nothing(quiz, cases):
    """h = 1000 saturates the sigmoid: 0.9999999 and 1e-7 agree with it to within the tolerance, and
    anyone can type them."""
    student = [{**chain(quiz, inputs, h=lambda x, w: 1000.0), "nn_output": numeric(0.9999999),
                "error_term": numeric(1e-7), "del_w": numeric(np.full(len(inputs["x"]), 1e-7))} for inputs in cases]
    for inputs, values in zip(cases, student):
        values["error"] = numeric(inputs["y"] - 1)
    checks = outcomes(judge(quiz, cases, student, literals=frozenset({"h"})))
    assert [checks[name] for name in ("nn_output", "error_term", "del_w")] == [Outcome.WRONG] * 3
    assert checks["error"] is Outcome.CONSISTENT  # y - 1 does follow from their 0.9999999, and changes with y


def test_constant_across_cases_is_hardcoded(quiz, cases):
    public = quiz.solve(cases[0])
    student = [chain(quiz, inputs, del_w=lambda learnrate, error_term, x: public["del_w"]) for inputs in cases]
    check = {c.name: c for c in judge(quiz, cases, student)}["del_w"]
    assert check.outcome is Outcome.HARDCODED
    assert "same value in every case" in check.message


def test_known_mistake_is_reported_with_hint(quiz, cases):
    student = [chain(quiz, inputs, del_w=lambda learnrate, error_term, x: np.sum(learnrate * error_term * x))
               for inputs in cases]
    check = {c.name: c for c in judge(quiz, cases, student)}["del_w"]
    assert (check.outcome, check.mistake) == (Outcome.WRONG, "del_w summed to a scalar")
    assert "got a scalar" in check.message


def test_run_that_stopped_early(quiz, cases):
    student = [reference_values(quiz, cases)[0], None, None, None, None]
    checks = judge(quiz, cases, student)
    assert all(c.outcome is Outcome.WRONG for c in checks)
    assert "hidden case 1: not computed" in checks[0].message
    nothing = judge(quiz, cases, [None] * 5, stopped="the run timed out")
    assert nothing[0].message == "`h` was not computed: the run timed out"


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expected=finite, fraction=st.floats(min_value=0, max_value=0.999))
def test_within_tolerance_always_matches(expected, fraction):
    rtol, atol = 1e-5, 1e-8
    allowed = atol + rtol * abs(expected)
    assert close(np.array(expected + fraction * allowed), np.array(expected), rtol, atol)
    assert close(np.array(expected - fraction * allowed), np.array(expected), rtol, atol)


@settings(max_examples=300)
@given(expected=finite, factor=st.floats(min_value=1.01, max_value=1e3))
def test_beyond_tolerance_never_matches(expected, factor):
    rtol, atol = 1e-5, 1e-8
    allowed = atol + rtol * abs(expected)
    assert not close(np.array(expected + factor * allowed), np.array(expected), rtol, atol)


@settings(max_examples=200)
@given(expected=st.lists(finite, min_size=1, max_size=6),
       bad=st.sampled_from([np.nan, np.inf, -np.inf]), where=st.integers(0, 5))
def test_non_finite_never_matches(expected, bad, where):
    actual = np.array(expected)
    actual[where % len(expected)] = bad
    assert not close(actual, np.array(expected), 1.0, 1e9)


@settings(max_examples=200)
@given(shape=st.lists(st.integers(1, 3), max_size=3), other=st.lists(st.integers(1, 3), max_size=3))
def test_shapes_must_agree(shape, other):
    if shape == other:
        return
    assert not close(np.zeros(shape), np.zeros(other), 1.0, 1.0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shift=st.floats(min_value=0.01, max_value=3.0) | st.floats(min_value=-3.0, max_value=-0.01))
def test_any_wrong_h_makes_the_rest_consistent(quiz, cases, shift):
    student = [chain(quiz, inputs, h=lambda x, w: np.dot(x, w) + shift) for inputs in cases]
    checks = judge(quiz, cases, student)
    assert checks[0].outcome is Outcome.WRONG
    assert [c.outcome for c in checks[1:]] == [Outcome.CONSISTENT] * 4
    assert sum(c.score for c in checks) == 4


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scale=st.floats(min_value=0.9999, max_value=1.0001))
def test_score_is_the_weight_of_passed_checks(quiz, cases, scale):
    student = [chain(quiz, inputs, del_w=lambda learnrate, error_term, x: scale * learnrate * error_term * x)
               for inputs in cases]
    checks = judge(quiz, cases, student)
    assert sum(c.score for c in checks) == sum(c.max_score for c in checks if c.passed)
    assert all(c.passed == (c.outcome in (Outcome.CORRECT, Outcome.CONSISTENT)) for c in checks)


# --- matrices: the backpropagation quiz, whose layer sizes change between cases -------------------


@pytest.fixture(scope="module")
def backprop():
    from grader.quiz import load

    return load("backprop")


@pytest.fixture(scope="module")
def backprop_cases(backprop):
    return backprop.cases(None, 20261126)


def test_consistent_credit_flows_into_a_matrix(backprop, backprop_cases):
    student = [chain(backprop, inputs, hidden_error_term=lambda output_error_term, weights_hidden_output,
                     hidden_layer_output: output_error_term * weights_hidden_output * hidden_layer_output)
               for inputs in backprop_cases]
    checks = {c.name: c for c in judge(backprop, backprop_cases, student)}
    assert checks["hidden_error_term"].outcome is Outcome.WRONG
    assert checks["delta_w_i_h"].outcome is Outcome.CONSISTENT
    assert "because `hidden_error_term` does:" in checks["delta_w_i_h"].message
    assert checks["delta_w_h_o"].outcome is Outcome.CORRECT


def test_a_transposed_matrix_is_a_known_mistake_and_its_shape_is_named(backprop, backprop_cases):
    student = [chain(backprop, inputs, delta_w_i_h=lambda learnrate, hidden_error_term, x:
                     learnrate * hidden_error_term[:, None] * x) for inputs in backprop_cases]
    check = judge(backprop, backprop_cases, student)[-1]
    assert check.mistake == "update transposed"
    assert "wrong shape: expected shape (3, 2), got shape (2, 3)" in check.message


def raising(quiz, cases, variable, wrong, names_used):
    """Runs of a student whose statement for ``variable`` (line 36) computes ``wrong``: a value where
    it can, and where it raises, a stop there with the variable (and every later one) not assigned."""
    runs = []
    for inputs in cases:
        values = {**inputs, **quiz.solve(inputs)}
        try:
            values[variable] = wrong(**{name: values[name] for name in ("learnrate", "hidden_error_term", "x")})
            stop = None
        except ValueError:
            stop = Stop((36,), "ValueError")
        student = {name: numeric(values[name]) for name in quiz.variables}
        if stop is not None:
            student[variable] = Missing(kind="missing")
        runs.append(CaseRun(student, stop))
    facts = Facts(lines={variable: 36}, spans={name: [(20 + i, 20 + i)] if name != variable else [(36, 36)]
                                                for i, name in enumerate(quiz.variables)},
                  names_used={variable: frozenset(names_used)})
    return check_all(Reference(quiz, cases), runs, facts)


def test_a_shape_error_is_named_by_the_known_mistake_that_raises_it_too(backprop, backprop_cases):
    """`hidden_error_term * x` raises where the layers differ in size, and in the case with as many
    hidden units as inputs runs into a vector of the wrong shape: the mistake matches both."""
    check = raising(backprop, backprop_cases, "delta_w_i_h", lambda learnrate, hidden_error_term, x:
                    learnrate * hidden_error_term * x, {"learnrate", "hidden_error_term", "x"})[-1]
    assert (check.outcome, check.mistake) == (Outcome.WRONG, "no column axis on x")
    assert check.diagnosis.kind == "known_mistake" and check.hint.startswith("hidden_error_term has one entry")
    assert check.cases[2].actual_shape == [backprop_cases[2]["x"].size]  # the square case ran: a vector
    assert check.message.endswith("in the public case. This matches a known mistake: no column axis on x")


def test_an_exception_alone_names_no_mistake_the_statement_does_not_read(backprop, backprop_cases):
    check = raising(backprop, backprop_cases, "delta_w_i_h", lambda learnrate, hidden_error_term, x:
                    learnrate * hidden_error_term * x, {"hidden_error_term", "x", "np"})[-1]
    assert check.mistake is None and check.diagnosis.kind == "exception"


def test_a_matrix_that_changes_only_its_columns_is_described_by_its_shape(backprop):
    """A hidden case with the public case's 3 inputs and 4 hidden units: the first length of the
    matrix alone (3) would say nothing changed."""
    from grader.audience import hide_hidden
    from grader.report import Report

    public = backprop.public_inputs
    wider = {**public, "weights_input_hidden": np.full((3, 4), 0.3), "weights_hidden_output": np.full(4, -0.2)}
    cases = [public, wider]
    values = [backprop.solve(inputs) for inputs in cases]
    runs = [CaseRun({name: numeric(value) for name, value in values[0].items()}),
            CaseRun({name: numeric(values[1][name]) if name == "hidden_layer_input" else Missing(kind="missing")
                     for name in backprop.variables}, Stop((23,), "IndexError"))]
    facts = Facts(spans={name: [(22 + i, 22 + i)] for i, name in enumerate(backprop.variables)})
    check = check_all(Reference(backprop, cases), runs, facts)[1]
    assert check.message.endswith("in hidden case 1, where `weights_input_hidden` has shape (3, 4) ((3, 2) in the "
                                  "public case): it seems to assume shape (3, 2), as in the public case")
    report = Report(quiz="backprop", submission="s", path="s/backprop.py", status=Status.RUNTIME_ERROR, score=0,
                    max_score=9, checks=[check], duration_s=0.0)
    assert "(3, 4)" not in hide_hidden(report).checks[0].message  # a student is not told the hidden sizes


def test_a_shape_wrong_only_in_hidden_cases_does_not_tell_their_sizes(backprop, backprop_cases):
    student = reference_values(backprop, backprop_cases)
    for values, inputs in zip(student, backprop_cases):  # the public case's two hidden units, always
        values["hidden_layer_input"] = numeric(np.resize(np.dot(inputs["x"], inputs["weights_input_hidden"]), 2))
    check = judge(backprop, backprop_cases, student)[0]
    assert check.outcome is Outcome.WRONG and check.diagnosis.kind == "shape"
    assert check.diagnosis.explanation == ("`hidden_layer_input` has the wrong shape in hidden case 1, whose inputs "
                                           "have other sizes than the public case's: it seems to be computed for the "
                                           "public case's sizes")


def test_a_student_reads_where_a_hidden_case_stopped_whatever_the_diagnosis(backprop, backprop_cases):
    """A crash in a hidden case that matches a known mistake: the student reads where and how the
    code stopped, without that case's sizes, never a bare "not defined"."""
    from grader.audience import hide_hidden
    from grader.report import Report

    square = [c for c in backprop_cases[1:] if np.shape(c["weights_input_hidden"])[0] == np.shape(
        c["weights_input_hidden"])[1]][0]
    odd = [c for c in backprop_cases[1:] if np.shape(c["weights_input_hidden"])[0] != np.shape(
        c["weights_input_hidden"])[1]][0]
    check = raising(backprop, [square, odd], "delta_w_i_h", lambda learnrate, hidden_error_term, x:
                    learnrate * hidden_error_term * x, {"learnrate", "hidden_error_term", "x"})[-1]
    assert check.diagnosis.kind == "known_mistake" and ", where `x` has" in check.message
    report = Report(quiz="backprop", submission="s", path="s/backprop.py", status=Status.RUNTIME_ERROR, score=0,
                    max_score=9, checks=[check], duration_s=0.0)
    assert hide_hidden(report).checks[0].message == (
        "`delta_w_i_h` is wrong: your code stopped at line 36 with `ValueError` while computing it in hidden "
        "case 1. This matches a known mistake: no column axis on x")


def test_right_numbers_with_extra_length_one_axes_pass_with_a_note(quiz, cases):
    student = [chain(quiz, inputs, h=lambda x, w: np.sum(x * w, keepdims=True),
                     del_w=lambda learnrate, error_term, x: (learnrate * error_term * x)[None, :]) for inputs in cases]
    checks = {c.name: c for c in judge(quiz, cases, student)}
    assert all(check.outcome is Outcome.CORRECT for check in checks.values())
    assert checks["h"].message == ("`h` is correct in all 5 cases, as shape (1,) where a scalar is asked: the numbers "
                                   "are right and the extra length-one axes are accepted (`np.squeeze` removes them)")
    assert "as shape (1, 4) where shape (4,) is asked" in checks["del_w"].message
    assert checks["error"].cases[0].actual_shape == [1]


def test_a_strict_step_asks_for_its_shape_exactly(quiz, cases):
    import dataclasses

    strict = dataclasses.replace(quiz, steps=tuple(dataclasses.replace(step, strict_shape=step.name == "h")
                                                   for step in quiz.steps))
    student = [chain(strict, inputs, h=lambda x, w: np.sum(x * w, keepdims=True)) for inputs in cases]
    checks = {c.name: c for c in judge(strict, cases, student)}
    assert checks["h"].outcome is Outcome.WRONG
    assert checks["h"].diagnosis.kind == "shape"
    assert checks["h"].diagnosis.explanation == ("`h` has every number right, as shape (1,) where a scalar is needed: "
                                                 "this quiz asks for that shape exactly")
    assert checks["h"].hint.startswith("Drop the extra length-one axes: `np.squeeze(h)`")
    assert checks["nn_output"].outcome is Outcome.CORRECT  # not strict: the same extra axis passes there
    assert checks["nn_output"].cases[0].actual_shape == [1]


def test_a_shape_that_differs_in_more_than_length_one_axes_still_fails(quiz, cases):
    student = [chain(quiz, inputs, del_w=lambda learnrate, error_term, x: np.tile(learnrate * error_term * x, (2, 1)))
               for inputs in cases]
    checks = {c.name: c for c in judge(quiz, cases, student)}
    assert checks["del_w"].outcome is Outcome.WRONG and checks["del_w"].cases[0].failure == "shape"


@pytest.mark.parametrize("expected", [np.array([0.5, -2.0, 0.0]), np.array([0.0, 0.0]), np.array(3.25), np.zeros(0)])
def test_a_value_equal_to_the_reference_has_the_errors_a_near_one_has(expected):
    from grader.compare import _detail
    from grader.evidence import Expected
    from grader.quiz import Step

    step = Step("v", lambda x: x, "the value")
    reference = Expected.of(expected)
    equal = _detail(0, Numeric(kind="numeric", type="ndarray", shape=list(expected.shape),
                               values=expected.ravel().tolist()), reference, step)
    nudged = [float(np.nextafter(v, np.inf)) if v else 0.0 for v in expected.ravel()]  # compared the long way
    near = _detail(0, Numeric(kind="numeric", type="ndarray", shape=list(expected.shape), values=nudged),
                   reference, step)
    assert equal.passed and near.passed
    assert equal.abs_error == 0.0 and (equal.rel_error is None) == (near.rel_error is None)
    assert replace(equal, actual=None, abs_error=None, rel_error=None) == replace(
        near, actual=None, abs_error=None, rel_error=None)


def _numeric(array):
    from grader.protocol import Numeric

    array = np.asarray(array, dtype=np.float64)
    return Numeric(type="ndarray", shape=list(array.shape), values=array.ravel().tolist())


def test_values_runs_share_are_judged_once_and_alike(quiz):
    """Runs that sent the same lines share their value objects: the batch compares each value and looks
    for the formulation that carries an error forward once, and every report gets what its own
    values would have had."""
    from grader.compare import CaseRun, Facts, Reference, check_all
    from grader.quiz import apply

    reference = Reference(quiz, quiz.cases(2, 1))
    runs = []
    for inputs, solved in zip(reference.cases, reference.arrays):
        own = {**inputs, "h": solved["h"] * 1.5}  # a wrong h, and every later step right from it
        for step in quiz.steps[1:]:
            own[step.name] = apply(step.formulations[0], own)
        runs.append(CaseRun({name: _numeric(own[name]) for name in quiz.variables}))
    first = check_all(reference, runs, Facts())
    again = check_all(reference, [CaseRun(dict(run.values)) for run in runs], Facts())
    alone = check_all(Reference(quiz, quiz.cases(2, 1)), runs, Facts())
    assert [check.outcome.value for check in first] == ["wrong"] + ["consistent"] * (len(quiz.steps) - 1)
    assert first == again == alone
    assert first[0].cases[0] is again[0].cases[0]
    assert len(reference.compared) == 3 * len(quiz.steps) and len(reference.carried) == len(quiz.steps)
    assert len(reference.explaining) == 1  # the wrong h, explained once for both runs
