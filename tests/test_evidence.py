"""What judging reads beside the reference (grader/evidence.py): formulas on the student's own values."""

from __future__ import annotations

import numpy as np

from grader.compare import check_all
from grader.evidence import NUMBERS_KEPT, CaseRun, Context, Facts, Reference, Shared
from grader.protocol import Numeric
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


def _value(count: int, start: float = 0.0) -> Numeric:
    return Numeric(type="ndarray", shape=[count], values=[start + index for index in range(count)])


def test_shared_results_are_kept_for_the_same_objects_and_never_hold_many_numbers():
    """A result is found again only for the very objects it was computed from; a value too large to be
    any run's shared one is not kept; and the kept values never hold more than NUMBERS_KEPT numbers,
    however many a batch meets (a class printing large arrays would otherwise grow the batch's memory)."""
    shared: Shared[int] = Shared(limit=1000)
    calls = []
    small = _value(4)

    def compute(answer: int) -> int:
        calls.append(answer)
        return answer

    assert shared.get("kind", (small,), lambda: compute(1)) == 1
    assert shared.get("kind", (small,), lambda: compute(2)) == 1  # the same object: kept
    assert shared.get("kind", (_value(4),), lambda: compute(3)) == 3  # equal, but another object
    assert shared.get("other", (small,), lambda: compute(4)) == 4
    large = _value(NUMBERS_KEPT // 64)
    assert [shared.get("kind", (large,), lambda: compute(5)) for _ in range(2)] == [5, 5]
    assert calls == [1, 3, 4, 5, 5] and len(shared) == 3
    for start in range(2 * NUMBERS_KEPT // 100):
        shared.get("kind", (_value(99, start),), lambda: 0)
    assert 0 < len(shared) <= NUMBERS_KEPT // 100


def test_a_batch_of_large_values_keeps_none_of_them(quiz):
    """Lines too long to keep make new value objects in every run: judging them keeps nothing."""
    reference = Reference(quiz, quiz.cases(2, 1))
    for number in range(3):
        runs = [CaseRun({name: _value(10_000, number) for name in quiz.variables}) for _ in reference.cases]
        check_all(reference, runs, Facts())
    assert (len(reference.compared), len(reference.carried), len(reference.explaining)) == (0, 0, 0)
