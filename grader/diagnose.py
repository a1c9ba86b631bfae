"""Explaining a wrong value: why it is wrong, in the student's terms.

``diagnose`` tries, in order: a known mistake of the quiz's catalogue, integers that cut fractions,
a list's operators, a given's public value typed in, the formula one change away from the step's
own (``grader.nearby``), the formula over the quiz's quantities that gives the value
(``grader.explain``), and the shape. A new class of mistake is added here, or in the quiz's
catalogue; judging (``grader.compare``) does not change.
"""

from __future__ import annotations

import array
import dataclasses
import functools
import hashlib
import math
from collections.abc import Callable, Sequence

import numpy as np

from grader import explain, nearby
from grader.evidence import Context, as_array, extra_axes
from grader.protocol import Numeric, StudentValue
from grader.quiz import Mistake, Step, TooLarge, Values, apply, close, expression, parameters
from grader.report import Diagnosis, DiagnosisKind, case_name, case_phrase
from grader.text import describe_shape, names

EXPLAINED_KEPT = 4096
"""Distinct wrong values whose explanation a batch keeps (each a digest and a small result)."""


def explained(context: Context, step: Step, judged: Sequence[int],
              shows_work: bool) -> tuple[Mistake | None, Diagnosis | None]:
    """The known mistake a wrong value matches and why it is wrong (``matching_mistake`` and
    ``diagnose``), searched for once per distinct wrong value on the batch's cases: a class's
    students make the same mistakes, and the search is most of the cost of grading a wrong step.

    Found again by a digest of everything the search reads: the step's values in the judged cases,
    the student's own values upstream of it, the givens they changed, the names their statement reads.
    Runs that sent the same lines share their value objects: for them, the digest is not made again
    (``Reference.explaining``)."""
    upstream = context.quiz.variables[:context.quiz.variables.index(step.name) + 1]
    runs = [context.runs[index] for index in judged]
    given = sorted(context.facts.given)
    kind = (step.name, shows_work, context.facts.names_used.get(step.name), tuple(judged),
            tuple(run is None for run in runs), tuple(given))
    values = (*(run.values[name] for run in runs if run is not None for name in upstream),
              *(context.facts.given[name] for name in given))
    return context.reference.explaining.get(kind, values, lambda: _searched(context, step, judged, shows_work))


def _searched(context: Context, step: Step, judged: Sequence[int],
              shows_work: bool) -> tuple[Mistake | None, Diagnosis | None]:
    """``explained`` for values it has not seen as objects: found by their digest, or searched for."""
    key = _wrong_value(context, step, judged, shows_work)
    reference = context.reference
    with reference.explained_lock:
        found = reference.explained.pop(key, None)
    if found is None:
        mistake = matching_mistake(context, step, judged, raised=False) if shows_work else None
        found = (mistake, diagnose(context, step, judged, mistake, shows_work))
    with reference.explained_lock:
        reference.explained[key] = found
        while len(reference.explained) > EXPLAINED_KEPT:
            reference.explained.popitem(last=False)
    return found


def _wrong_value(context: Context, step: Step, judged: Sequence[int], shows_work: bool) -> bytes:
    """A digest of what explaining ``step``'s wrong value reads, from the run's own validated values:
    the step's and those upstream of it in each judged case, and the givens' (every part delimited)."""
    digest = hashlib.blake2b(digest_size=16)
    upstream = context.quiz.variables[:context.quiz.variables.index(step.name) + 1]
    _feed(digest, (step.name, shows_work, sorted(context.facts.names_used.get(step.name, ())), list(judged)))
    for index in judged:
        run = context.runs[index]
        if run is not None:
            for name in upstream:
                _feed_value(digest, run.values[name])
        _feed(digest, run is None)
    for name in sorted(context.facts.given):
        _feed(digest, name)
        _feed_value(digest, context.facts.given[name])
    return digest.digest()


def _feed(digest: hashlib.blake2b, part: object) -> None:
    text = repr(part).encode()
    digest.update(len(text).to_bytes(8, "little") + text)


def _feed_value(digest: hashlib.blake2b, value: StudentValue) -> None:
    if not isinstance(value, Numeric):
        _feed(digest, (value.kind, getattr(value, "type", None)))
        return
    numbers = value.values
    _feed(digest, (value.kind, value.type, value.dtype, value.shape, None if numbers is None else len(numbers)))
    if numbers:
        digest.update(array.array("d", numbers).tobytes())


def matching_mistake(context: Context, step: Step, judged: Sequence[int], raised: bool) -> Mistake | None:
    """The known mistake that gives the student's value in every judged case that has one (and,
    where their code raised at this step, raises alike); of several (two formulas that agree
    while an upstream value is right), the one that reads the names the student's own statement
    reads. When the code ``raised`` at this step, only a mistake whose every name the statement
    reads can match: an exception alone says little about how it was computed."""
    used = context.facts.names_used.get(step.name, frozenset())
    matching = [mistake for mistake in context.quiz.mistakes if _mistake_matches(context, step, judged, mistake)
                and (not raised or set(parameters(mistake.compute)) <= used)]
    return max(matching, key=lambda mistake: len(set(parameters(mistake.compute)) & used), default=None)


def _mistake_matches(context: Context, step: Step, judged: Sequence[int], mistake: Mistake) -> bool:
    if mistake.variable != step.name:
        return False
    compared = 0
    for index in judged:
        if context.charged[index] == step.name:  # the student's statement raised here: so must the mistake
            run = context.runs[index]
            stop = run.stop if run is not None else None
            if stop is None or stop.timeout or _raised(mistake.compute, context.own[index]) != stop.error:
                return False
            compared += 1
            continue
        actual = as_array(context.value(step.name, index))
        if actual is None:
            continue
        if not any(close(actual, out, step.rtol, step.atol) for out in context.outputs(mistake.compute, index)):
            return False
        compared += 1
    return compared > 0


def _raised(function: Callable[..., object], values: Values | None) -> str | None:
    """The name of the exception ``function`` raises on ``values`` (a numpy shape error, say); None
    when it gives a value, or when the values it needs are not there."""
    if values is None:
        return None
    try:
        apply(function, values)
    except (KeyError, TooLarge):
        return None
    except Exception as problem:  # noqa: BLE001 - what the mistake raises is what is compared
        return type(problem).__name__
    return None


def diagnose(context: Context, step: Step, judged: Sequence[int], mistake: Mistake | None,
              shows_work: bool) -> Diagnosis | None:
    """Why a wrong value is wrong: a known mistake, integers, a list, or the formula that gives it."""
    if mistake is not None:
        return Diagnosis(kind="known_mistake", explanation=f"this is a known mistake: {mistake.name}",
                         expression=expression(mistake.compute), hint=mistake.hint)
    ran = [index for index in judged if context.runs[index] is not None]
    values = [context.value(step.name, index) for index in ran]
    targets = [as_array(value) for value in values]
    arrays = [target for target in targets if target is not None]
    complete = len(arrays) == len(targets)  # every value is numbers: then ``arrays`` is ``targets``
    expected = [context.reference.arrays[index][step.name] for index in ran]
    numeric = [value for value in values if isinstance(value, Numeric)]
    needed = expression(step.formulations[0])
    wrong = [(value, target, want) for value, target, want in zip(values, targets, expected)
             if isinstance(value, Numeric) and target is not None and not close(target, want, step.rtol, step.atol)]
    if wrong and all(value.dtype.startswith(("int", "uint")) for value, _, _ in wrong) and any(
            not np.all(np.equal(np.mod(want, 1), 0)) for _, _, want in wrong):
        truncated = all(t.shape == e.shape and np.array_equal(t, np.trunc(e)) for _, t, e in wrong)
        what = ("the right values with their fractions cut off" if truncated
                else "whole numbers where fractions are needed")
        return Diagnosis(kind="dtype", explanation=f"`{step.name}` holds integers ({wrong[0][0].dtype}): {what}",
                         hint="An array made from an integer array (np.zeros_like(x) when x holds whole numbers) "
                              "keeps integers and cuts every fraction. Make it with floats: np.zeros(len(x)), "
                              f"np.zeros_like(x, dtype=float), or compute it directly: {needed}.")
    if numeric and numeric[0].type in ("list", "tuple") and complete and any(
            t.size != e.size and t.size % max(e.size, 1) == 0 and np.allclose(t.reshape(-1, e.size), e.ravel())
            for t, e in zip(arrays, expected) if e.size):
        return Diagnosis(kind="list", explanation=f"`{step.name}` is a Python list, repeated rather than multiplied",
                         hint="`*` repeats a list and `+` joins two: make it a numpy array (np.array(...)) so "
                              "that operators work element by element.")
    if complete and len(ran) > 1:  # one case is too few to tell a formula from a coincidence
        found = _public_value(context, step, ran, arrays) or (
            (_nearby(context, step, ran, arrays) or _search(context, step, ran, arrays)) if shows_work else None)
        if found is not None:
            return found
    if targets and complete and all(t.ndim == e.ndim == 1 and 0 < t.size < e.size
                                    and close(t, e[:t.size], step.rtol, step.atol) for t, e in zip(arrays, expected)):
        sizes = {t.size for t in arrays}
        first = f"the first {sizes.pop()}" if len(sizes) == 1 else "the first few"
        return Diagnosis(kind="partial", explanation=(
            f"`{step.name}` holds only {first} of its entries, each of them right: it is computed for that many "
            "inputs alone, not for every one"), hint=f"Compute every entry at once, from the whole arrays: {needed}.")
    reshaped = [(t.shape, e.shape) for t, e in zip(targets, expected) if t is not None and t.shape != e.shape]
    if reshaped and complete and all((t.shape == e.shape or extra_axes(t.shape, e.shape))
                                     and close(t.reshape(e.shape), e, step.rtol, step.atol)
                                     for t, e in zip(arrays, expected)):
        shape, wanted = reshaped[0]
        return Diagnosis(kind="shape", explanation=(
            f"`{step.name}` has every number right, as {describe_shape(shape)} where {describe_shape(wanted)} is "
            "needed: this quiz asks for that shape exactly"), hint=f"Drop the extra length-one axes: "
            f"`np.squeeze({step.name})`, or compute it without `keepdims=True` or a reshape.")
    if complete and any(t.shape != e.shape for t, e in zip(arrays, expected)):
        return Diagnosis(kind="shape", explanation=_shape_story(step.name, ran, arrays, expected),
                         expression=None, hint=f"The step is {needed}." if needed else None)
    return None


def _shape_story(name: str, ran: Sequence[int], targets: Sequence[np.ndarray], expected: Sequence[np.ndarray]) -> str:
    """Where a value's shape first differs: with both shapes when that is the public case; when only
    a hidden case's differs (its inputs have other sizes), without them, which would tell its sizes."""
    index, target, wanted = next((i, t, e) for i, t, e in zip(ran, targets, expected) if t.shape != e.shape)
    if index == 0:
        return (f"`{name}` has the wrong shape: {describe_shape(target.shape)} where {describe_shape(wanted.shape)} "
                "is needed")
    return (f"`{name}` has the wrong shape in {case_phrase(case_name(index))}, whose inputs have other sizes than "
            "the public case's: it seems to be computed for the public case's sizes")


def _public_value(context: Context, step: Step, ran: Sequence[int],
                  targets: Sequence[np.ndarray]) -> Diagnosis | None:
    """The right formula with one given fixed at its public value (``0.5 * term * inputs``): right
    in the public case, wrong wherever the hidden cases change that given."""
    public = context.reference.cases[0]
    for formulation in step.formulations:
        for name in parameters(formulation):
            fixed = np.asarray(public.get(name), dtype=np.float64) if name in public else None
            if fixed is None or fixed.ndim != 0:
                continue
            changes = False
            for index, target in zip(ran, targets):
                own = context.own[index]
                try:
                    value = apply(formulation, {**(own or {}), name: fixed})
                except Exception:  # noqa: BLE001 - a formula that cannot take these values does not give them
                    break
                if own is None or not close(target, value, step.rtol, step.atol):
                    break
                changes = changes or not close(np.asarray(context.reference.cases[index][name], np.float64), fixed,
                                               1e-12, 1e-12)
            else:
                if changes:
                    shown = f"{float(fixed):g}"
                    return Diagnosis(
                        kind="public_value",
                        explanation=(f"`{step.name}` uses {shown}, the public case's `{name}`, as a fixed number: "
                                     f"it is right there, and wrong in every case with another `{name}`"),
                        expression=explain.substituted(expression(formulation) or "", name, float(fixed)),
                        hint=f"Write `{name}`, not its value {shown}: the hidden cases give `{name}` other values.")
    return None


@functools.lru_cache(maxsize=256)
def _variants(formulation: Callable[..., object], quantities: tuple[str, ...], vectors: tuple[str, ...],
              functions: tuple[tuple[str, Callable[..., object]], ...]) -> list[nearby.Variant]:
    """The step's formulas one change away, made once per batch (the same for every submission)."""
    return nearby.variants(formulation, quantities, vectors, dict(functions))


def _nearby(context: Context, step: Step, ran: Sequence[int], targets: Sequence[np.ndarray]) -> Diagnosis | None:
    """The step's own formula with one change that gives the value in every case (the nearest such
    change, by ``nearby.rank``); else the step's formula plus or times a constant."""
    quiz = context.quiz
    quantities = (*quiz.input_names, *quiz.variables[:quiz.variables.index(step.name)])
    public = context.reference.cases[0]
    vectors = tuple(name for name in quiz.input_names if np.ndim(public[name]) == 1)
    cases = [context.own[index] for index in ran]
    found = []
    for formulation in step.formulations:
        for variant in _variants(formulation, quantities, vectors, tuple(quiz.functions.items())):
            if all(own is not None and _gives(variant, own, target, step) for own, target in zip(cases, targets)):
                found.append(variant)
                break
    if found:
        best = min(found, key=nearby.rank)
        return Diagnosis(kind="formula", explanation=f"`{step.name}` equals `{best.text}` in every case: {best.change}",
                         located=f"`{step.name}` equals `{best.text}` in every case: {best.located}",
                         expression=best.text, hint=best.hint)
    return _constant_change(context, step, ran, targets)


def _gives(variant: nearby.Variant, values: Values, target: np.ndarray, step: Step) -> bool:
    try:
        return close(target, nearby.evaluate(variant, values), step.rtol, step.atol)
    except Exception:  # noqa: BLE001 - a formula that cannot take these values does not give them
        return False


def _constant_change(context: Context, step: Step, ran: Sequence[int],
                     targets: Sequence[np.ndarray]) -> Diagnosis | None:
    """The step's formula with one number added (a bias nobody asked for) or multiplied in, the
    same number in every case."""
    for formulation in step.formulations:
        rights = _outputs(context, formulation, ran)
        if rights is None or any(r.shape != t.shape for r, t in zip(rights, targets)):
            continue
        needed = expression(formulation) or step.description
        with np.errstate(all="ignore"):
            added = [t - r for r, t in zip(rights, targets)]
            times = [t / r for r, t in zip(rights, targets)]
        for operator, differences in (("+", added), ("*", times)):
            number = float(np.ravel(differences[0])[0]) if differences[0].size else math.nan
            if not math.isfinite(number) or number == (0.0 if operator == "+" else 1.0):
                continue
            if not all(np.allclose(d, number, rtol=1e-7, atol=step.atol) for d in differences):
                continue
            shown = f"{number:.6g}"
            if operator == "+":
                formula = explain.printed(f"({needed}) {'-' if number < 0 else '+'} {abs(number):.6g}")
                text = f"{shown} is added to `{needed}`, a term the step does not have"
                located = f"{shown} is added, a term the step does not have"
                hint = f"This step is `{needed}` with nothing added: leave out the {shown}."
            else:
                formula = explain.printed(f"{shown} * ({needed})")
                text = f"it is {shown} times `{needed}`"
                located = f"it is {shown} times what the step needs"
                hint = f"This step is `{needed}` itself: leave out the factor {shown}."
            return Diagnosis(kind="formula", explanation=f"`{step.name}` equals `{formula}` in every case: {text}",
                             located=f"`{step.name}` equals `{formula}` in every case: {located}", expression=formula,
                             hint=hint)
    return None


def _outputs(context: Context, formulation: Callable[..., object],
                    ran: Sequence[int]) -> list[np.ndarray] | None:
    """The formulation applied to the student's own upstream values in each case; None when it
    cannot be applied in one."""
    outputs = []
    for index in ran:
        own = context.own[index]
        try:
            outputs.append(apply(formulation, own or {}))
        except Exception:  # noqa: BLE001 - a formula that cannot take these values does not give them
            return None
    return outputs


def _search(context: Context, step: Step, ran: Sequence[int], targets: Sequence[np.ndarray]) -> Diagnosis | None:
    """The formula over the quiz's quantities at this step that gives the value in every case."""
    position = context.quiz.variables.index(step.name)
    upstream = [*context.quiz.input_names, *context.quiz.variables[:position]]
    cases = [context.own[index] or {} for index in ran]
    own = {name: [np.asarray(case[name], dtype=np.float64) for case in cases]
           for name in upstream if all(name in case for case in cases)}
    references = {name: [context.reference.arrays[index][name] for index in ran] for name in
                  context.quiz.variables[:position]
                  if name in own and any(not close(o, r, 1e-9, 1e-12) for o, r in
                                         zip(own[name], (context.reference.arrays[i][name] for i in ran)))}
    given = {name: array for name, array in context.changed_givens.items() if array is not None}
    terms = explain.terms(own, references, given, context.quiz.functions, targets[0].ndim)
    found = explain.search(targets, terms, step.rtol, step.atol)
    if found is None:
        return None
    needed = expression(step.formulations[0]) or step.description
    kind: DiagnosisKind = "changed_input" if "given" in found.sources else "expression"
    formula = explain.ordered_like(found.expression, needed)
    if formula in {expression(formulation) for formulation in step.formulations} and "reference" not in found.sources:
        return None  # the right formula on the student's own values: not an explanation of a wrong one
    explanation = f"`{step.name}` equals `{formula}` in every case"
    if kind == "changed_input":
        mine = [term.text for term in found.terms if term.source == "given"]
        explanation += f", with your own value of {names(mine)} rather than the quiz's"
    elif "reference" in found.sources:
        explanation += f", with the right value of {names([t.text for t in found.terms if t.source == 'reference'])}"
    difference = explain.difference(formula, needed)
    if difference:
        explanation += f": {difference}" + (f" (`{needed}`)" if len(explain.factors(needed) or ()) > 1 else "")
    else:
        explanation += f", where the step needs `{needed}`"
    located = f"`{step.name}` equals `{formula}` in every case, which is not the step's formula"
    return Diagnosis(kind=kind, explanation=explanation, located=located, expression=formula)


def with_idioms(context: Context, step: Step, diagnosis: Diagnosis | None, failing: Sequence[int]) -> Diagnosis | None:
    """The diagnosis of a wrong step, told as well what in the file fits only some values: a reshape
    to the public case's sizes when the step fails in a hidden case (``failing`` are the cases it
    fails), a ``.T`` of a 1-D value the step reads. A known mistake keeps its name and gets the
    note in its hint; anything vaguer gives way to it."""
    spans = context.facts.spans.get(step.name, ())
    if not spans:
        return diagnosis
    last = max(end for _, end in spans)
    used = context.facts.names_used.get(step.name, frozenset())
    inside = {idiom for idiom in context.facts.idioms if any(start <= idiom.line <= end for start, end in spans)}
    public = context.own[0] or {}
    note = None
    for idiom in context.facts.idioms:
        if idiom.line > last:
            continue
        at = context.facts.place(idiom.line)
        if idiom.kind == "fixed_reshape" and any(index > 0 for index in failing):
            note = Diagnosis(kind="fixed_size", explanation=(
                f"`{idiom.text}` ({at}) fixes the sizes to the public case's, and the hidden cases "
                "have other numbers of inputs"), hint=f"Let numpy work out the size that changes: "
                f"`{idiom.suggestion}`, or `{idiom.name}[:, None]` for a column.")
            break
        if (idiom.kind == "transpose" and (idiom in inside or idiom.name in used or idiom.assigned in used)
                and np.ndim(public.get(idiom.name, np.zeros((1, 1)))) == 1):
            note = Diagnosis(kind="transpose_1d", explanation=(
                f"`{idiom.text}` ({at}) is `{idiom.name}` unchanged: a 1-D array has no second axis "
                "to swap"), hint=f"Make `{idiom.name}` a column with `{idiom.name}[:, None]` (or a row with "
                f"`{idiom.name}[None, :]`).")
            break
    if note is None:
        return diagnosis
    if diagnosis is not None and diagnosis.kind in ("known_mistake", "formula", "expression", "public_value"):
        return dataclasses.replace(diagnosis, hint=f"{diagnosis.hint} {note.explanation}: {note.hint}"
                                   if diagnosis.hint else f"{note.explanation}: {note.hint}")
    return note
