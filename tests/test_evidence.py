"""What judging reads beside the reference (grader/evidence.py): formulas on the student's own values."""

from __future__ import annotations

import numpy as np

from grader.evidence import CaseRun, Context, Facts, Reference
from grader.quiz import apply
from tests.test_compare import chain, reference_values


def test_a_formula_on_the_references_own_values_is_computed_once_per_batch(quiz, cases):
    """Upstream values equal to the reference's, bit for bit, give the reference's result, shared by
    every submission; a value that differs in one bit is computed with."""
    reference = Reference(quiz, cases)
    step = quiz.steps[-1]
    first = Context(reference, [CaseRun(values) for values in reference_values(quiz, cases)], Facts())
    again = Context(reference, [CaseRun(values) for values in reference_values(quiz, cases)], Facts())
    for index in range(len(cases)):
        for formulation in step.formulations:
            shared = first.formula(formulation, index)
            assert again.formula(formulation, index) is shared
            assert np.array_equal(shared, apply(formulation, reference.upstream[index]))
    off = [name for name in step.upstream if name in quiz.variables][-1]  # a step's value, not a given
    nudged = chain(quiz, cases[0], **{off: lambda **_: np.nextafter(reference.arrays[0][off], np.inf)})
    mine = Context(reference, [CaseRun(nudged), *first.runs[1:]], Facts())
    value = mine.formula(step.formulations[0], 0)
    assert value is not reference.applied(step.formulations[0], 0)
    assert np.array_equal(value, apply(step.formulations[0], mine.own[0]))
