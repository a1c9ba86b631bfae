"""Explain a wrong value: the formula over the quiz's own quantities that gives it.

When a step is wrong and no known mistake matches, ``search`` looks through a bounded space of
formulas built from what the student had at that step: the quiz's inputs, the student's own
upstream values (and the right ones, where theirs differ), their own values for the givens when
they changed them, the quiz's functions of each (``f(v)``), ``1 - v``; then products and
quotients of up to three of these, sums and differences of two, a change of sign, and a sum over
elements. A formula explains the value only if it matches in every case where the value exists, so
the hidden cases make a chance match vanishingly rare; the simplest one wins.

The engine knows nothing of any quiz: the quiz declares its inputs, steps and functions. Every
computation is on values already bounded by ``compare`` (sizes checked first), vectorised per case,
and the public case is searched before any other is looked at.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

MAX_TERMS = 48
"""Terms beyond this are not searched (own values come first, so they are kept)."""
MAX_SIZE = 64
"""A target with more elements is not searched: no formula of this space is needed to explain it."""


@dataclass(frozen=True)
class Term:
    """One quantity the student could have used: how it is written, its value in each case, its cost."""

    text: str
    values: tuple[np.ndarray, ...]
    cost: int
    source: str = "own"
    """own (the student's values, or an input), reference (the right value of a step), given (the
    student's own value for a given)."""


@dataclass(frozen=True)
class Found:
    """A formula that gives the student's value in every case."""

    expression: str
    terms: tuple[Term, ...]

    @property
    def sources(self) -> frozenset[str]:
        return frozenset(term.source for term in self.terms)


def terms(quantities: Mapping[str, Sequence[np.ndarray]], references: Mapping[str, Sequence[np.ndarray]],
          given: Mapping[str, np.ndarray], functions: Mapping[str, Callable[[np.ndarray], object]],
          target_ndim: int) -> list[Term]:
    """Every term of the search, cheapest first, at most MAX_TERMS."""
    atoms = [Term(name, tuple(values), 1) for name, values in quantities.items()]
    atoms += [Term(name, tuple(values), 2, "reference") for name, values in references.items()]
    cases = len(next(iter(quantities.values()), ()))
    atoms += [Term(name, (value,) * cases, 2, "given") for name, value in given.items()]
    found = list(atoms)

    def derive(atom: Term, text: str, change: Callable[[np.ndarray], object]) -> None:
        """``atom`` changed by one more operation (a function, ``1 - v``, an axis, a transpose)."""
        try:
            values = tuple(np.asarray(change(value), dtype=np.float64) for value in atom.values)
        except Exception:  # noqa: BLE001 - a function that does not take this value gives no term
            return
        found.append(Term(text, values, atom.cost + 1, atom.source))

    with np.errstate(all="ignore"):
        for atom in atoms:
            for label, function in functions.items():
                derive(atom, f"{label}({atom.text})", function)
            derive(atom, f"(1 - {atom.text})", lambda value: 1 - value)
            if target_ndim == 2 and all(value.ndim == 1 for value in atom.values):
                derive(atom, f"{atom.text}[:, None]", lambda value: value[:, None])
                derive(atom, f"{atom.text}[None, :]", lambda value: value[None, :])
            if target_ndim == 2 and all(value.ndim == 2 for value in atom.values):
                derive(atom, f"{atom.text}.T", lambda value: value.T)
    found.sort(key=lambda term: term.cost)
    return found[:MAX_TERMS]


def _close(candidates: np.ndarray, target: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Which candidates (rows, or any leading axes) equal ``target`` everywhere within tolerance."""
    with np.errstate(all="ignore"):
        ok = np.abs(candidates - target) <= atol + rtol * np.abs(target)
    matches: np.ndarray = np.all(ok & np.isfinite(candidates), axis=-1)
    return matches


def _matrix(chosen: Sequence[Term], case: int, shape: tuple[int, ...]) -> np.ndarray:
    """Each term's value in ``case`` broadcast to ``shape`` and flattened: one row per term."""
    return np.stack([np.broadcast_to(term.values[case], shape).ravel() for term in chosen]).astype(np.float64)


def _fits(term: Term, shapes: Sequence[tuple[int, ...]]) -> bool:
    try:
        return all(np.broadcast_shapes(value.shape, shape) == shape for value, shape in zip(term.values, shapes))
    except ValueError:
        return False


def _product_text(numerators: Sequence[Term], denominator: Term | None, negative: bool) -> str:
    text = " * ".join(term.text for term in numerators)
    if denominator is not None:
        text += f" / {denominator.text}"
    if not negative:
        return text
    return f"-{text}" if len(numerators) == 1 and denominator is None else f"-({text})"


Compute = Callable[[int], np.ndarray]
"""A candidate formula: its value in a case, by the case's index."""
Candidate = tuple[int, str, tuple[Term, ...], Compute]
"""A formula that gives the student's value in the first case: its cost, its text, its terms, how to compute it."""


def _product(sign: float, factors: tuple[Term, ...], divisor: Term | None, case: int) -> np.ndarray:
    """``sign * f1 * f2 ... / divisor`` in ``case``, multiplied out left to right."""
    value = factors[0].values[case]
    for factor in factors[1:]:
        value = value * factor.values[case]
    if divisor is not None:
        value = value / divisor.values[case]
    return sign * value


def _combined(operator: Callable[[np.ndarray, np.ndarray], np.ndarray], a: Term, b: Term, case: int) -> np.ndarray:
    return operator(a.values[case], b.values[case])


def _sum_of_product(factors: tuple[Term, ...], case: int) -> np.ndarray:
    value = factors[0].values[case]
    for factor in factors[1:]:
        value = value * factor.values[case]
    return np.asarray(np.sum(value))


def _holds(compute: Compute, targets: Sequence[np.ndarray], shapes: Sequence[tuple[int, ...]], rtol: float,
           atol: float) -> bool:
    """Whether a candidate found in the first case gives the student's value in every other one."""
    try:
        with np.errstate(all="ignore"):
            return all(bool(_close(np.broadcast_to(compute(case), shapes[case]).ravel(), target.ravel(),
                                   rtol, atol)) for case, target in enumerate(targets) if case)
    except (ValueError, IndexError):  # the formula does not even fit another case's shapes
        return False


def search(targets: Sequence[np.ndarray], all_terms: Sequence[Term], rtol: float, atol: float) -> Found | None:
    """The cheapest formula over ``all_terms`` equal to ``targets`` in every case; None when none is.

    ``targets`` holds the student's value in each case where it exists, ``all_terms`` the terms'
    values in the same cases. Candidates are found in the first case, then checked in the others.
    """
    if not targets or any(target.size > MAX_SIZE or target.size == 0 for target in targets):
        return None
    shapes = [tuple(target.shape) for target in targets]
    usable = [term for term in all_terms if _fits(term, shapes)]
    candidates: list[Candidate] = []
    if usable:
        first = targets[0].ravel().astype(np.float64)
        matrix = _matrix(usable, 0, shapes[0])
        with np.errstate(all="ignore"):
            both = np.concatenate([matrix, 1.0 / matrix])
        candidates += _products(usable, matrix, both, first, rtol, atol)
        candidates += _triples(usable, matrix, both, first, rtol, atol)
        candidates += _sums(usable, matrix, first, rtol, atol)
    if not shapes[0]:
        candidates += _sums_over_elements(targets, all_terms, rtol, atol)
    for _, text, used, compute in sorted(candidates, key=lambda found: (found[0], found[1])):
        if _holds(compute, targets, shapes, rtol, atol):
            return Found(text, used)
    return None


def _products(usable: Sequence[Term], matrix: np.ndarray, both: np.ndarray, first: np.ndarray, rtol: float,
              atol: float) -> list[Candidate]:
    """One term, or the product or quotient of two, with either sign, equal to ``first`` (the first
    case's value): ``both`` holds each term's row and then its inverse's."""
    found: list[Candidate] = []
    with np.errstate(all="ignore"):
        pairs = matrix[:, None, :] * both[None, :, :]
    for sign, wanted in ((1.0, first), (-1.0, -first)):  # each product is made once and compared with both
        for i in np.flatnonzero(_close(matrix, wanted, rtol, atol)).tolist():
            term = usable[i]
            found.append((term.cost + (sign < 0), _product_text([term], None, sign < 0), (term,),
                          functools.partial(_product, sign, (term,), None)))
        for i, j in np.argwhere(_close(pairs, wanted, rtol, atol)).tolist():
            a, divide = usable[i], j >= len(usable)
            b = usable[j - len(usable)] if divide else usable[j]
            if (not divide and j < i) or (divide and a is b):
                continue
            cost = a.cost + b.cost + 1 + divide + (sign < 0)
            found.append((cost, _product_text([a] if divide else [a, b], b if divide else None, sign < 0), (a, b),
                          functools.partial(_product, sign, (a,) if divide else (a, b), b if divide else None)))
    return found


def _triples(usable: Sequence[Term], matrix: np.ndarray, both: np.ndarray, first: np.ndarray, rtol: float,
             atol: float) -> list[Candidate]:
    """Three factors, the third possibly a divisor, with either sign, equal to ``first``."""
    found: list[Candidate] = []
    for i in range(len(usable)):
        with np.errstate(all="ignore"):
            triples = (matrix[i] * matrix[i:])[:, None, :] * both[None, :, :]
        for sign, wanted in ((1.0, first), (-1.0, -first)):
            for j, k in np.argwhere(_close(triples, wanted, rtol, atol)).tolist():
                a, b = usable[i], usable[i + j]
                divide = k >= len(usable)
                c = usable[k - len(usable)] if divide else usable[k]
                if (not divide and k < i + j) or (divide and c in (a, b)):
                    continue
                cost = a.cost + b.cost + c.cost + 2 + divide + (sign < 0)
                text = _product_text([a, b] if divide else [a, b, c], c if divide else None, sign < 0)
                factors, divisor = ((a, b), c) if divide else ((a, b, c), None)
                found.append((cost, text, (a, b, c), functools.partial(_product, sign, factors, divisor)))
    return found


def _sums(usable: Sequence[Term], matrix: np.ndarray, first: np.ndarray, rtol: float,
          atol: float) -> list[Candidate]:
    """The sum or the difference of two terms equal to ``first``."""
    found: list[Candidate] = []
    with np.errstate(all="ignore"):
        sums, differences = matrix[:, None, :] + matrix[None, :, :], matrix[:, None, :] - matrix[None, :, :]
    for symbol, operator, table in (("+", np.add, sums), ("-", np.subtract, differences)):
        for i, j in np.argwhere(_close(table, first, rtol, atol)).tolist():
            if (symbol == "+" and j <= i) or i == j:
                continue
            a, b = usable[i], usable[j]
            found.append((a.cost + b.cost + 1, f"{a.text} {symbol} {b.text}", (a, b),
                          functools.partial(_combined, operator, a, b)))
    return found


def _sums_over_elements(targets: Sequence[np.ndarray], all_terms: Sequence[Term], rtol: float,
                        atol: float) -> list[Candidate]:
    """For a scalar: ``np.sum`` of one vector term, or of the product of two of the same length."""
    groups: dict[tuple[int, ...], list[Term]] = {}
    for term in all_terms:
        if all(value.ndim == 1 for value in term.values):
            groups.setdefault(term.values[0].shape, []).append(term)
    wanted = np.array([float(targets[0])])
    found: list[Candidate] = []
    for group in groups.values():
        matrix = np.stack([term.values[0] for term in group]).astype(np.float64)
        with np.errstate(all="ignore"):
            singles = matrix.sum(axis=-1)[:, None]
            pairs = (matrix[:, None, :] * matrix[None, :, :]).sum(axis=-1)[..., None]
        for i in np.flatnonzero(_close(singles, wanted, rtol, atol)).tolist():
            term = group[i]
            found.append((term.cost + 1, f"np.sum({term.text})", (term,), functools.partial(_sum_of_product, (term,))))
        for i, j in np.argwhere(_close(pairs, wanted, rtol, atol)).tolist():
            if j >= i:
                a, b = group[i], group[j]
                found.append((a.cost + b.cost + 2, f"np.sum({a.text} * {b.text})", (a, b),
                              functools.partial(_sum_of_product, (a, b))))
    return found


def factors(expression: str) -> list[str] | None:
    """The factors of a pure product, as text (``a * b / c`` gives a, b and ``1/c``); None otherwise."""
    try:
        node = ast.parse(expression, mode="eval").body
    except SyntaxError:
        return None
    found: list[str] = []

    def walk(part: ast.expr, inverted: bool) -> bool:
        if isinstance(part, ast.BinOp) and isinstance(part.op, (ast.Mult, ast.Div)):
            return walk(part.left, inverted) and walk(part.right, inverted != isinstance(part.op, ast.Div))
        if isinstance(part, (ast.Name, ast.Call, ast.Subscript, ast.Attribute)) or (
                isinstance(part, ast.BinOp) and isinstance(part.op, ast.Sub)):
            text = ast.unparse(part)
            if isinstance(part, ast.BinOp):  # a difference keeps its brackets as a factor: `(1 - v)`
                text = f"({text})"
            found.append(f"1/{text}" if inverted else text)
            return True
        return False

    return found if walk(node, False) else None


def printed(formula: str) -> str:
    """A formula as ``ast.unparse`` writes it: with exactly the brackets its precedence needs."""
    return ast.unparse(ast.parse(formula, mode="eval").body)


def substituted(formula: str, name: str, value: float) -> str:
    """``formula`` with the quantity ``name`` replaced by the number ``value``, bracketed where
    precedence needs it (``(-0.5) ** 2``, not ``-0.5 ** 2``)."""
    number: ast.expr = ast.Constant(abs(value))
    if value < 0 or (value == 0 and str(value).startswith("-")):
        number = ast.UnaryOp(ast.USub(), number)

    class Replace(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.expr:  # noqa: N802 - ast's visitor protocol
            return number if node.id == name else node

    return ast.unparse(Replace().visit(ast.parse(formula, mode="eval")).body)


def ordered_like(found: str, needed: str) -> str:
    """A found product written with its factors in the needed formula's order, where they share
    them (``rate * b * a`` beside ``rate * c * b`` reads ``rate * a * b``)."""
    have, want = factors(found), factors(needed)
    if have is None or want is None or any(factor.startswith("1/") for factor in have) or found.startswith("-"):
        return found
    place = {factor: index for index, factor in enumerate(want)}
    missing = [index for index, factor in enumerate(want) if factor not in have]
    spare = iter(missing)
    keyed = [(place[factor] if factor in place else next(spare, len(want)), factor) for factor in have]
    return printed(" * ".join(factor for _, factor in sorted(keyed, key=lambda pair: pair[0])))


def difference(found: str, needed: str) -> str | None:
    """How a found product differs from the needed one, in a few words; None when they are not
    both products or differ in more than one factor."""
    have, want = factors(found), factors(needed)
    if have is None or want is None:
        return None
    extra = list(have)
    missing = []
    for factor in want:
        if factor in extra:
            extra.remove(factor)
        else:
            missing.append(factor)
    if len(extra) == 1 and len(missing) == 1:
        return f"you used `{extra[0]}` where the step needs `{missing[0]}`"
    if not extra and len(missing) == 1:
        return f"the factor `{missing[0]}` is missing"
    if len(extra) == 1 and not missing:
        return f"it has an extra factor `{extra[0]}`"
    return None
