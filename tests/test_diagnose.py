"""Explaining a wrong value (grader.diagnose), apart from judging it (grader.compare): the facts it reads
(grader.evidence), the formula search (grader.explain) and the one-change search (grader.nearby)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader import diagnose, explain
from grader.evidence import CaseRun, Context, Facts, Reference

from .test_compare import chain


def context_of(quiz, cases, **overrides) -> Context:
    """A submission whose steps follow the reference except ``overrides``, against ``cases``."""
    runs = [CaseRun(chain(quiz, inputs, **overrides)) for inputs in cases]
    return Context(Reference(quiz, cases), runs, Facts())


def test_diagnose_names_a_known_mistake_without_judging(quiz, cases):
    context = context_of(quiz, cases, error=lambda y, nn_output: nn_output - y)
    step = quiz.step("error")
    judged = list(range(len(cases)))
    mistake = diagnose.matching_mistake(context, step, judged, raised=False)
    assert mistake is not None and mistake.name == "error sign reversed"
    found = diagnose.diagnose(context, step, judged, mistake, True)
    assert found is not None
    assert (found.kind, found.expression) == ("known_mistake", "nn_output - y")
    assert found.hint == "The error is target minus output: y - nn_output, not nn_output - y."


def test_diagnose_finds_the_formula_of_an_unknown_mistake(quiz, cases):
    context = context_of(quiz, cases, del_w=lambda learnrate, error_term, x: error_term * x / learnrate)
    found = diagnose.diagnose(context, quiz.step("del_w"), list(range(len(cases))), None, True)
    assert found is not None and found.kind == "expression"
    assert found.expression == "x * error_term / learnrate"


def diagnosis_of(quiz, cases, step, function):
    """The diagnosis of ``step`` when the student computes it with ``function``, every other step right."""
    context = context_of(quiz, cases, **{step: function})
    return diagnose.diagnose(context, quiz.step(step), list(range(len(cases))), None, True)


NEAR = {
    # step: (the student's formula, the formula shown, what changed)
    "brackets": ("error_term", lambda error, nn_output: error * nn_output * 1 - nn_output,
                 "error * nn_output * 1 - nn_output", "the brackets around `(1 - nn_output)` are missing"),
    "factor": ("error_term", lambda error, nn_output: error * (1 - nn_output),
               "error * (1 - nn_output)", "the factor `nn_output` is missing"),
    "sigmoid sign": ("nn_output", lambda h: 1 / (1 + np.exp(h)), "1 / (1 + np.exp(h))",
                     "your `sigmoid` uses `np.exp(h)` where it needs `np.exp(-h)`"),
    "slope on h": ("error_term", lambda error, h: error * h * (1 - h), "error * h * (1 - h)",
                   "it uses `h` where the step needs `nn_output`"),
    "swapped difference": ("error_term", lambda error, nn_output: error * nn_output * (nn_output - 1),
                           "error * nn_output * (nn_output - 1)",
                           "it uses `nn_output - 1` where it needs `1 - nn_output`: the order is reversed"),
    "loss": ("error", lambda y, nn_output: 0.5 * (y - nn_output) ** 2, "0.5 * (y - nn_output) ** 2",
             "it is half the square of `y - nn_output`, a loss, where the step needs `y - nn_output` itself"),
    "mean": ("h", lambda x, w: np.mean(x * w), "np.dot(x, w) / len(x)",
             "it is divided by `len(x)`: a mean where the step needs a sum"),
    "bias": ("h", lambda x, w: np.dot(x, w) + 0.1, "np.dot(x, w) + 0.1",
             "0.1 is added to `np.dot(x, w)`, a term the step does not have"),
    "negative bias": ("h", lambda x, w: np.dot(x, w) - 1.5, "np.dot(x, w) - 1.5",
                      "-1.5 is added to `np.dot(x, w)`, a term the step does not have"),
    "extra term": ("error", lambda y, nn_output, h: y - nn_output + h, "y - nn_output + h",
                   "it has an extra term `+ h`"),
}


@pytest.mark.parametrize("name", NEAR)
def test_the_nearest_formula_is_said_in_the_steps_terms(quiz, cases, name):
    step, function, shown, change = NEAR[name]
    found = diagnosis_of(quiz, cases, step, function)
    assert found is not None and found.kind == "formula"
    assert found.expression == shown
    assert found.explanation == f"`{step}` equals `{shown}` in every case: {change}"
    assert found.hint


def test_a_dropped_bracket_hint_names_the_bracket(quiz, cases):
    found = diagnosis_of(quiz, cases, "error_term", lambda error, nn_output: error * nn_output * 1 - nn_output)
    assert found.hint == "`*` and `/` are done before `+` and `-`: keep `(1 - nn_output)` in brackets."


def test_a_found_product_keeps_the_brackets_of_its_differences():
    assert explain.ordered_like("error * (1 - nn_output)", "error * sigmoid_prime(h)") == "error * (1 - nn_output)"
    assert explain.ordered_like("h * error * (1 - h)", "error * sigmoid_prime(h)") == "error * h * (1 - h)"
    assert explain.substituted("learnrate ** 2 * x", "learnrate", -0.5) == "(-0.5) ** 2 * x"
    assert eval(explain.substituted("-learnrate * x ** learnrate", "learnrate", -0.5), {"x": 4.0}) == 0.25


STEPS = {"nn_output": ["h", "x", "w"], "error": ["y", "h", "nn_output"],
         "error_term": ["y", "h", "nn_output", "error"], "del_w": ["learnrate", "x", "error", "error_term"]}
"""Steps of the gradient-descent quiz, each with the quantities a student's formula for it draws on."""


def formulas(names):
    """Formula texts over ``names``, the quiz's functions of them and a few numbers, bracketed as written."""
    atoms = st.sampled_from([*names, *(f"{f}({n})" for f in ("sigmoid", "sigmoid_prime") for n in names),
                             "1", "0.5", "2"])
    return st.recursive(atoms, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda a: f"(-{a})"), inner.map(lambda a: f"(1 - {a})"), inner.map(lambda a: f"({a}) ** 2")),
        max_leaves=4)


def evaluated(formula, values, quiz):
    with np.errstate(all="ignore"):
        return np.asarray(eval(formula, {"np": np, **quiz.functions, **values}), dtype=np.float64)  # noqa: S307


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_printed_formula_gives_the_students_value_back(quiz, cases, data):
    """Whatever formula a student used, the formula a diagnosis prints, parsed and evaluated on
    each case's values, is the student's value: no bracket is lost or added."""
    step = data.draw(st.sampled_from(sorted(STEPS)))
    formula = data.draw(formulas(STEPS[step]))
    parameters = sorted(set(STEPS[step]))
    function = eval(f"lambda {', '.join(parameters)}: {formula}", {"np": np, **quiz.functions})  # noqa: S307
    function.__code__ = function.__code__.replace(co_varnames=tuple(parameters))
    try:
        with np.errstate(all="ignore"):  # a division by a zero array gives inf, which is left out below
            student = [chain(quiz, inputs, **{step: function}) for inputs in cases]
    except (ZeroDivisionError, OverflowError, ValueError):  # a formula of plain numbers that Python refuses
        return
    runs = [CaseRun(values) for values in student]
    context = Context(Reference(quiz, cases), runs, Facts())
    own = [{**inputs, **{name: np.asarray(value.values, dtype=np.float64).reshape(value.shape)
                         for name, value in values.items()}} for inputs, values in zip(cases, student)]
    if not all(np.all(np.isfinite(case[step])) for case in own):
        return
    shows_work = any(not np.all(np.isclose(np.abs(case[step]), 1) | np.isclose(case[step], 0)) for case in own)
    found = diagnose.diagnose(context, quiz.step(step), list(range(len(cases))), None, shows_work)
    if found is None or found.expression is None:
        return
    for values in own:
        printed = evaluated(found.expression, values, quiz)
        wanted = values[step]
        # a formula of scalars may stand for a vector of one repeated number: compared as numpy broadcasts it
        assert np.broadcast_shapes(printed.shape, wanted.shape) == wanted.shape, (found, formula)
        assert np.allclose(np.broadcast_to(printed, wanted.shape), wanted, rtol=1e-5, atol=1e-6), \
            (found.expression, formula)


def test_one_operator_for_another_is_named(quiz, cases):
    found = diagnosis_of(quiz, cases, "error_term", lambda error, nn_output: error * (nn_output - (1 - nn_output)))
    assert found.kind == "formula" and found.expression == "error * (sigmoid(h) - (1 - sigmoid(h)))"
    assert found.explanation.endswith("your `sigmoid_prime` uses `-` where it needs `*`")
    found = diagnosis_of(quiz, cases, "del_w", lambda learnrate, error_term, x: learnrate * error_term / x)
    assert found.explanation.endswith("it uses `/` where it needs `*`")


def test_a_wrong_value_is_explained_once_on_a_batchs_cases(quiz, cases, monkeypatch):
    reference = Reference(quiz, cases)
    searched = []
    real = diagnose.diagnose
    monkeypatch.setattr(diagnose, "diagnose", lambda *args: searched.append(args[1].name) or real(*args))

    def explained(**overrides):
        runs = [CaseRun(chain(quiz, inputs, **overrides)) for inputs in cases]
        context = Context(reference, runs, Facts())
        return diagnose.explained(context, quiz.step("del_w"), list(range(len(cases))), True)

    def wrong_del_w(learnrate, error_term, x):
        return error_term * x / learnrate

    first = explained(del_w=wrong_del_w)
    again = explained(del_w=wrong_del_w)
    assert searched == ["del_w"]  # the second student's same value was not searched again
    assert again == first and first[1] is not None and first[1].expression == "x * error_term / learnrate"
    explained(del_w=wrong_del_w, error_term=lambda error, nn_output: error * nn_output)
    assert searched == ["del_w", "del_w"]  # another upstream value, which the search reads: searched again


def test_the_explanations_kept_are_bounded(quiz, cases, monkeypatch):
    monkeypatch.setattr(diagnose, "EXPLAINED_KEPT", 3)
    reference = Reference(quiz, cases)
    def times(factor):
        return lambda learnrate, error_term, x: factor * error_term * x

    for factor in range(2, 8):
        runs = [CaseRun(chain(quiz, inputs, del_w=times(factor))) for inputs in cases]
        diagnose.explained(Context(reference, runs, Facts()), quiz.step("del_w"), list(range(len(cases))), True)
    assert len(reference.explained) == 3
