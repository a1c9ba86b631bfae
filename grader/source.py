"""What the grader learns by reading a submission without running it.

Parsing is not executing: the syntax tree tells whether the file compiles,
where each checked variable is assigned, and whether every assignment of it
is a literal (a hard-coded answer).
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass

NUMPY_CONSTRUCTORS = frozenset({"array", "asarray", "float64", "float32", "float_"})


class SourceError(Exception):
    """The file cannot be graded as Python source; ``line`` is where, if known."""

    def __init__(self, message: str, line: int | None = None, unreadable: bool = False):
        super().__init__(message)
        self.line = line
        self.unreadable = unreadable


@dataclass(frozen=True)
class Source:
    text: str
    tree: ast.Module
    literals: frozenset[str]
    """Checked variables whose every top-level assignment is a constant expression."""
    lines: dict[str, int]
    """Line of the last top-level assignment of each checked variable."""


def decode(raw: bytes) -> str:
    """Decode source bytes as Python does (PEP 263 cookie, UTF-8 by default)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        return raw.decode(encoding).removeprefix("\ufeff")
    except (SyntaxError, LookupError, UnicodeDecodeError) as problem:
        raise SourceError(f"not readable as Python source: {problem}", unreadable=True) from None


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements that run at module level, including those in if/for/while/with/try blocks."""
    for statement in body:
        yield statement
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody"):
            yield from _top_level(getattr(statement, name, []) or [])
        for handler in getattr(statement, "handlers", []) or []:
            yield from _top_level(handler.body)
        for case in getattr(statement, "cases", []) or []:
            yield from _top_level(case.body)


def is_constant(node: ast.expr) -> bool:
    """A number, or an array of numbers, written out by hand."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return is_constant(node.operand)
    if isinstance(node, ast.BinOp):
        return is_constant(node.left) and is_constant(node.right)
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(is_constant(element) for element in node.elts)
    if isinstance(node, ast.Call) and len(node.args) == 1:
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        return name in NUMPY_CONSTRUCTORS and is_constant(node.args[0])
    return False


def _assignments(tree: ast.Module) -> Iterator[tuple[str, ast.stmt, ast.expr | None]]:
    """(name, statement, assigned value or None when computed in place) for every top-level binding."""
    for statement in _top_level(tree.body):
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        direct = target is node
                        yield node.id, statement, statement.value if direct else None
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)) and isinstance(statement.target, ast.Name):
            value = statement.value if isinstance(statement, ast.AnnAssign) else None
            yield statement.target.id, statement, value
        elif isinstance(statement, (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith)):
            targets = [statement.target] if isinstance(statement, (ast.For, ast.AsyncFor)) else [
                item.optional_vars for item in statement.items if item.optional_vars]
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        yield node.id, statement, None


def analyse(raw: bytes, filename: str, variables: tuple[str, ...]) -> Source:
    """Decode and parse a submission; raise SourceError if it is not Python."""
    text = decode(raw)
    try:
        tree = ast.parse(text, filename)
    except SyntaxError as problem:
        raise SourceError(f"{type(problem).__name__}: {problem.msg}", problem.lineno) from None
    except (ValueError, RecursionError, MemoryError) as problem:
        raise SourceError(f"cannot be parsed: {type(problem).__name__}: {problem}") from None
    values: dict[str, list[ast.expr | None]] = {}
    lines: dict[str, int] = {}
    for name, statement, value in _assignments(tree):
        if name in variables:
            values.setdefault(name, []).append(value)
            lines[name] = statement.lineno
    literals = frozenset(
        name for name, assigned in values.items()
        if all(value is not None and is_constant(value) for value in assigned)
    )
    return Source(text, tree, literals, lines)
