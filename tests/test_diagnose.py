"""Explaining a wrong value (grader.diagnose), apart from judging it (grader.compare)."""

from __future__ import annotations

import numpy as np

from grader import diagnose
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
    context = context_of(quiz, cases, del_w=lambda learnrate, error_term, x: learnrate * error_term / x)
    found = diagnose.diagnose(context, quiz.step("del_w"), list(range(len(cases))), None, True)
    assert found is not None and found.kind == "expression"
    assert found.expression == "learnrate * error_term / x"
