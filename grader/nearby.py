"""The step's own formula, one change away: what a student most likely wrote, said in the step's terms.

A wrong value is best explained by the right formula with one slip in it, not by whichever short
formula happens to give it. ``variants`` makes every formula one change away from a step's
formulation: brackets dropped, operands swapped, one operator for another, a sign lost or added, a
function exchanged for another of the quiz's or left out, one quantity used for another, a factor missing or extra; the
same changes inside each of the quiz's functions the formula calls (``your `sigmoid` uses ...``);
and the classes of mistake that wrap a whole step: its square (a loss for the error), a mean for a
sum, an extra additive term. Each says what changed, in a few words, and how to put it right.

Formulas are the quiz's own (trusted) code, changed as syntax trees and compiled here; they run on
the student's values only after ``apply``'s size bound, and are printed with ``ast.unparse``, so
each shows exactly the brackets its precedence needs.
"""

from __future__ import annotations

import ast
import copy
import inspect
import math
import textwrap
import types
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from grader.quiz import MAX_WORK, TooLarge, Values, parameters

HOLE = "__gdgrade_hole__"
"""A name no quiz uses, standing for a sub-formula while its brackets are taken away."""
WRAPPED = {
    "loss": "A squared difference is a loss, what training makes small; this step is the plain `{base}`.",
    "mean": "A mean divides by the number of elements; this step is `{base}`, a sum.",
    "term": "This step is `{base}`, with nothing added or taken away.",
}
"""The hint of each class of change to the whole step."""
OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
"""An arithmetic operator may be written for another (``v - (1 - v)`` for ``v * (1 - v)``)."""
ORDER = ("brackets", "swap", "operator", "sign", "function", "name", "factor", "loss", "mean", "term")
"""Which change is preferred when several give the value: the smallest slip first."""


@dataclass(frozen=True)
class Variant:
    """A formula one change away from the step's: its text, what changed, how to put it right."""

    text: str
    change: str
    located: str
    """The change without the step's own formula: the mistake and where it is."""
    hint: str
    kind: str
    inside: bool
    """Whether the change is inside one of the quiz's functions (a step-level change is nearer)."""
    formula: Callable[..., object]
    """The changed formula as a function of ``reads``, compiled once from the quiz's own tree (no
    student text is ever compiled), over the quiz's namespace."""
    reads: tuple[str, ...]
    """The quantities it reads: they must all exist in a case for it to be tried there."""


def _tree(function: Callable[..., object]) -> ast.expr | None:
    """A step function's one return expression, as a tree."""
    try:
        source = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None
    returns = [node.value for node in ast.walk(source) if isinstance(node, ast.Return) and node.value is not None]
    return returns[0] if len(returns) == 1 else None


def _text(node: ast.AST) -> str:
    return ast.unparse(node)


def _nodes(tree: ast.expr) -> list[ast.AST]:
    return list(ast.walk(tree))


def _replaced(tree: ast.expr, index: int, new: ast.expr) -> ast.expr:
    """A copy of ``tree`` whose ``index``-th node (in ``ast.walk`` order) is ``new``."""
    if index == 0:
        return new
    twin = copy.deepcopy(tree)
    target = _nodes(twin)[index]
    for parent in ast.walk(twin):
        for name, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, name, new)
                return twin
            if isinstance(value, list) and any(item is target for item in value):
                setattr(parent, name, [new if item is target else item for item in value])
                return twin
    return twin


def _names(tree: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _called(node: ast.AST, functions: Collection[str]) -> str | None:
    """The name of the one of ``functions`` that ``node`` calls with one argument (``sigmoid(h)``)."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions
            and len(node.args) == 1):
        return node.func.id
    return None


def _factors(node: ast.expr) -> list[ast.expr]:
    """The factors of a product chain ``a * b * c`` (a single factor when it is not one)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return _factors(node.left) + _factors(node.right)
    return [node]


def _product(factors: Sequence[ast.expr]) -> ast.expr:
    product = factors[0]
    for factor in factors[1:]:
        product = ast.BinOp(product, ast.Mult(), factor)
    return product


def _around(tree: ast.expr, changed: set[int]) -> int:
    """The smallest node holding every changed node, widened to the call around it, if any: what
    a student recognises (``np.exp(-h)``, not ``-h``)."""
    nodes = _nodes(tree)
    parents = {id(child): node for node in nodes for child in ast.iter_child_nodes(node)}
    chains = []
    for index in changed:
        chain: list[ast.AST] = []
        node: ast.AST | None = nodes[index]
        while node is not None:
            chain.append(node)
            node = parents.get(id(node))
        chains.append(chain[::-1])
    common = None
    for level in zip(*chains):
        if all(node is level[0] for node in level):
            common = level[0]
    node = common if common is not None else tree
    parent = parents.get(id(node))
    if isinstance(parent, ast.Call) and not isinstance(node, ast.Call):
        node = parent
    return next(i for i, candidate in enumerate(nodes) if candidate is node)


Change = tuple[str, ast.expr, str, str]
"""One change of a tree: its kind, the changed tree, what was there and what is there now (as text)."""


def _local(tree: ast.expr, quantities: Sequence[str], functions: Sequence[str]) -> Iterator[Change]:
    """Every one-change tree of ``tree``: (kind, the tree, what it was, what it became), the last
    two the smallest recognisable part around the change, as text."""
    nodes = _nodes(tree)
    for index, node in enumerate(nodes):
        if isinstance(node, ast.BinOp):
            yield from _brackets(tree, nodes, node)
            yield from _operators(tree, nodes, index, node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            dropped = _replaced(tree, index, node.operand)
            around = _around(tree, {index})
            yield "sign", dropped, _text(nodes[around]), _after(dropped, around)
        if isinstance(node, ast.Call) and (name := _called(node, functions)) is not None:
            yield from _exchanged(tree, index, node, name, functions)
        if isinstance(node, ast.Name) and node.id in quantities:
            for function in functions:
                wrapped = ast.Call(ast.Name(function, ast.Load()), [node], [])
                yield "function", _replaced(tree, index, wrapped), node.id, _text(wrapped)
    yield from _renamed(tree, nodes, quantities)
    yield from _factor_changes(tree, quantities)


def _after(changed: ast.expr, index: int) -> str:
    """The changed tree's node where ``index`` was: an ancestor keeps its place in ``ast.walk``'s order."""
    return _text(_nodes(changed)[index])


def _brackets(tree: ast.expr, nodes: list[ast.AST], node: ast.BinOp) -> Iterator[Change]:
    """The brackets around either operand of ``node`` taken away, where that changes the formula."""
    for child in (node.left, node.right):
        if not isinstance(child, ast.BinOp):
            continue
        holed = _replaced(tree, nodes.index(child), ast.Name(HOLE, ast.Load()))
        try:
            flat = ast.parse(_text(holed).replace(HOLE, _text(child)), mode="eval").body
        except SyntaxError:
            continue
        if ast.dump(flat) != ast.dump(tree):
            yield "brackets", flat, f"({_text(child)})", ""


def _operators(tree: ast.expr, nodes: list[ast.AST], index: int, node: ast.BinOp) -> Iterator[Change]:
    """``node``'s operator exchanged for each other one, and the operands of a ``-`` or ``/`` swapped."""
    for operator, symbol in OPERATORS.items() if type(node.op) in OPERATORS else ():
        if type(node.op) is not operator:
            changed = _replaced(tree, index, ast.BinOp(node.left, operator(), node.right))
            yield "operator", changed, OPERATORS[type(node.op)], symbol
    if isinstance(node.op, (ast.Sub, ast.Div)):
        swapped = _replaced(tree, index, ast.BinOp(node.right, node.op, node.left))
        around = _around(tree, {index})
        yield "swap", swapped, _text(nodes[around]), _after(swapped, around)


def _exchanged(tree: ast.expr, index: int, node: ast.Call, name: str, functions: Sequence[str]) -> Iterator[Change]:
    """The call ``node`` of the quiz's function ``name`` made a call of each other one, then left out."""
    for other in functions:
        if other != name:
            changed = _replaced(tree, index, ast.Call(ast.Name(other, ast.Load()), node.args, []))
            yield "function", changed, _text(node), _after(changed, index)
    yield "function", _replaced(tree, index, node.args[0]), _text(node), _text(node.args[0])


def _renamed(tree: ast.expr, nodes: list[ast.AST], quantities: Sequence[str]) -> Iterator[Change]:
    """Each quantity the formula reads used for another: everywhere, then (if it is read more than
    once) in one place at a time."""
    for name in sorted(_names(tree) & set(quantities)):
        places = {i for i, node in enumerate(nodes) if isinstance(node, ast.Name) and node.id == name}
        for other in quantities:
            if other == name:
                continue
            renamed = copy.deepcopy(tree)
            for i, node in enumerate(_nodes(renamed)):
                if i in places and isinstance(node, ast.Name):
                    node.id = other
            yield "name", renamed, name, other
            if len(places) > 1:
                for place in sorted(places):
                    yield "name", _replaced(tree, place, ast.Name(other, ast.Load())), name, other


def _factor_changes(tree: ast.expr, quantities: Sequence[str]) -> Iterator[Change]:
    """A product with one factor left out, and the formula times one more quantity."""
    factors = _factors(tree)
    if len(factors) > 1:
        for index, factor in enumerate(factors):
            shown = f"({_text(factor)})" if isinstance(factor, (ast.BinOp, ast.UnaryOp)) else _text(factor)
            yield "factor", _product(factors[:index] + factors[index + 1:]), shown, ""
    for quantity in quantities:
        yield "factor", _product([*factors, ast.Name(quantity, ast.Load())]), "", quantity


def _wraps(tree: ast.expr, quantities: Sequence[str], vectors: Sequence[str]) -> Iterator[Change]:
    """The whole step changed as classes do: squared (a loss), averaged where a sum is asked, a
    quantity added or taken away. Each with what changed, with and without the step's formula."""
    for quantity in quantities:
        for operator, sign in ((ast.Add(), "+"), (ast.Sub(), "-")):
            said = f"it has an extra term `{sign} {quantity}`"
            yield "term", ast.BinOp(tree, operator, ast.Name(quantity, ast.Load())), said, said
    square = ast.BinOp(tree, ast.Pow(), ast.Constant(2))
    base = _text(tree)
    yield "loss", square, f"it is the square of `{base}`, a loss, where the step needs `{base}` itself", \
        "it is squared, a loss, where the step needs the value itself"
    yield "loss", ast.BinOp(ast.Constant(0.5), ast.Mult(), square), \
        f"it is half the square of `{base}`, a loss, where the step needs `{base}` itself", \
        "it is half a square, a loss, where the step needs the value itself"
    for vector in vectors:
        length = ast.Call(ast.Name("len", ast.Load()), [ast.Name(vector, ast.Load())], [])
        said = f"it is divided by `len({vector})`: a mean where the step needs a sum"
        yield "mean", ast.BinOp(tree, ast.Div(), length), said, said
    for index, call in enumerate(_nodes(tree)):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in ("dot", "sum")
                and isinstance(call.func.value, ast.Name)):
            continue
        inner = call.args[0] if call.func.attr == "sum" else ast.BinOp(call.args[0], ast.Mult(), call.args[1])
        mean = ast.Call(ast.Attribute(call.func.value, "mean", ast.Load()), [inner], [])
        yield "mean", _replaced(tree, index, mean), f"`{_text(mean)}` is a mean where the step needs `{_text(call)}`", \
            f"`{_text(mean)}` is a mean where the step needs a sum"


def _inlined(tree: ast.expr, functions: Mapping[str, Callable[..., object]]) -> Iterator[tuple[str, ast.expr, int]]:
    """``tree`` with one call of a quiz function replaced by that function's body (its parameters
    bound to the call's arguments): (the function's name, the tree, where the body starts)."""
    for index, node in enumerate(_nodes(tree)):
        if not isinstance(node, ast.Call) or (name := _called(node, functions)) is None:
            continue
        body = _tree(functions[name])
        names = parameters(functions[name])
        if body is None or len(names) != 1:
            continue
        yield name, _replaced(tree, index, _Bind(names[0], node.args[0]).visit(copy.deepcopy(body))), index


class _Bind(ast.NodeTransformer):
    """A function's body with its parameter replaced by the argument of a call."""

    def __init__(self, parameter: str, argument: ast.expr):
        self.parameter, self.argument = parameter, argument

    def visit_Name(self, node: ast.Name) -> ast.expr:  # noqa: N802 - ast's visitor protocol
        return copy.deepcopy(self.argument) if node.id == self.parameter else node


def _said(kind: str, before: str, after: str, inside: str | None) -> tuple[str, str, str]:
    """What changed, the same without the step's own formula (what ``--feedback hints`` shows: the
    mistake and where it is), and how to put it right, in the step's terms."""
    yours = f"your `{inside}` uses" if inside else "it uses"
    there = f" in your `{inside}`" if inside else ""
    if kind == "brackets":
        return (f"the brackets around `{before}` are missing", f"the brackets around `{before}` are missing{there}",
                f"`*` and `/` are done before `+` and `-`: keep `{before}` in brackets.")
    if kind == "factor":
        if after:
            return f"it has an extra factor `{after}`", f"it has an extra factor `{after}`", \
                f"Leave out the factor `{after}`."
        return f"the factor `{before}` is missing", "a factor is missing", f"Multiply by `{before}` as well."
    if kind == "name" and inside is None:
        return (f"it uses `{after}` where the step needs `{before}`", f"`{after}` is not the quantity the step needs",
                f"Check which quantity goes here: `{before}`, not `{after}`.")
    if kind == "swap":
        return f"{yours} `{after}` where it needs `{before}`: the order is reversed", \
            f"the order in `{after}` is reversed{there}", f"The order matters here: `{before}`, not `{after}`."
    return f"{yours} `{after}` where it needs `{before}`", f"`{after}` is not what the step needs{there}", \
        f"Write `{before}`, not `{after}`."


def _function(changed: ast.expr, reads: tuple[str, ...], namespace: dict[str, object]) -> Callable[..., object] | None:
    """``def formula(*reads): return changed``, compiled and made a function over ``namespace``."""
    arguments = ast.arguments(posonlyargs=[], args=[ast.arg(arg=name) for name in reads], kwonlyargs=[],
                              kw_defaults=[], defaults=[])
    definition = ast.FunctionDef(name="formula", args=arguments, body=[ast.Return(value=copy.deepcopy(changed))],
                                 decorator_list=[], returns=None)
    try:
        module = compile(ast.fix_missing_locations(ast.Module(body=[definition], type_ignores=[])), "<formula>",
                         "exec")
    except (SyntaxError, ValueError, TypeError):
        return None
    body = next(const for const in module.co_consts if isinstance(const, types.CodeType))
    return types.FunctionType(body, namespace)


def variants(function: Callable[..., object], quantities: Sequence[str], vectors: Sequence[str],
             functions: Mapping[str, Callable[..., object]]) -> list[Variant]:
    """Every formula one change away from the step function ``function``, preferred first."""
    tree = _tree(function)
    if tree is None:
        return []
    namespace = {**getattr(function, "__globals__", {}), "np": np, **functions}
    labels = list(functions)
    found: list[Variant] = []
    seen = {ast.dump(tree)}

    def add(kind: str, changed: ast.expr, change: str, located: str, hint: str, inside: bool = False) -> None:
        key = ast.dump(changed)
        if key in seen:
            return
        seen.add(key)
        text = _text(changed)
        reads = tuple(sorted(_names(changed) & set(quantities)))
        formula = _function(changed, reads, namespace)
        if formula is not None:
            found.append(Variant(text, change, located, hint, kind, inside, formula, reads))

    for kind, changed, before, after in _local(tree, quantities, labels):
        add(kind, changed, *_said(kind, before, after, None))
    for inside, inlined, start in _inlined(tree, functions):
        body = _nodes(inlined)[start]
        assert isinstance(body, ast.expr), "a function's body is the expression it returns"
        for kind, changed, before, after in _local(body, [n for n in quantities if n in _names(body)], []):
            if kind in ("brackets", "swap", "operator", "sign"):
                add(kind, _replaced(inlined, start, changed), *_said(kind, before, after, inside), inside=True)
    for kind, changed, change, located in _wraps(tree, quantities, vectors):
        add(kind, changed, change, located, WRAPPED[kind].format(base=_text(tree)))
    found.sort(key=rank)
    return found


def rank(variant: Variant) -> tuple[bool, int]:
    """How near a variant is to the step's formula: a change at the step's level before one inside a
    function it calls, then by ``ORDER``."""
    return variant.inside, ORDER.index(variant.kind)


def evaluate(variant: Variant, values: Values) -> np.ndarray:
    """The variant's value on one case's values; KeyError when one it reads is not there, TooLarge
    before computing when together they span more than ``MAX_WORK`` elements."""
    arguments = {name: values[name] for name in variant.reads}
    if math.prod(max(1, int(np.size(value))) for value in arguments.values()) > MAX_WORK:
        raise TooLarge("the values are too large to compute with")
    with np.errstate(all="ignore"):
        return np.asarray(variant.formula(*arguments.values()), dtype=np.float64)
