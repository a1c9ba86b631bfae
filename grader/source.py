"""What the grader learns by reading a submission without running it.

Parsing is not executing: the syntax tree tells whether the file compiles,
where each checked variable is assigned, and whether every assignment of it
is a literal (a hard-coded answer).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

NUMPY_CONSTRUCTORS = frozenset({"array", "asarray", "float64", "float32", "float_"})


class SourceError(Exception):
    """The file cannot be graded as Python source; ``line`` is where, if known."""

    def __init__(self, message: str, line: int | None = None, unreadable: bool = False):
        super().__init__(message)
        self.line = line
        self.unreadable = unreadable


def place(line: int, cells: tuple[int, ...]) -> str:
    """A line of the graded script as the student finds it: ``line 12``, or in a notebook ``cell 3,
    line 2`` (the line within the cell)."""
    marker = max((start for start in cells if start < line), default=None)
    if marker is None:
        return f"line {line}"
    return f"cell {cells.index(marker) + 1}, line {line - marker}"


@dataclass(frozen=True)
class Idiom:
    """A construct that fits only some values, where the file uses it: ``fixed_reshape`` (a reshape
    to sizes written as numbers, ``x.reshape(3, 1)``) or ``transpose`` (``x.T``, which does nothing
    to a 1-D array)."""

    kind: str
    line: int
    name: str
    """The name it is applied to."""
    text: str
    """The construct as written, normalised (``x.reshape(3, 1)``)."""
    suggestion: str = ""
    """What fits every size, for a fixed reshape: ``x.reshape(-1, 1)``."""
    assigned: str = ""
    """The name the statement holding it assigns (``x_col = x.T``: x_col), if one."""


_TRANSPOSE = re.compile(r"\.(?:[\s\\]|#[^\n]*)*T\b")
"""An attribute ``T``: a dot, then space, line continuations or comments (inside brackets), then
``T``. An ASCII file without one and without ``reshape`` has no idiom, and its tree need not be
walked (this search starts only at a dot: a tenth of the time of one for either word)."""


def _idioms(text: str, tree: ast.Module) -> Iterator[Idiom]:
    """Every fixed reshape and transpose of a plain name in the file, with the name its statement
    assigns (a step may read it through that name). One walk of the tree, in ``ast.walk``'s order;
    none when the text cannot hold one (most files: identifiers are ASCII there, and written out)."""
    if text.isascii() and "reshape" not in text and not _TRANSPOSE.search(text):
        return
    todo: deque[tuple[ast.AST, str]] = deque([(tree, "")])
    while todo:
        node, assigned = todo.popleft()
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            todo.extend((child, node.targets[0].id if child is node.value else assigned)
                        for child in ast.iter_child_nodes(node))
        else:
            todo.extend((child, assigned) for child in ast.iter_child_nodes(node))
        if isinstance(node, ast.Attribute) and node.attr == "T" and isinstance(node.value, ast.Name):
            yield Idiom("transpose", node.lineno, node.value.id, ast.unparse(node), "", assigned)
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "reshape"
                and isinstance(node.func.value, ast.Name) and not node.keywords):
            continue
        sizes = node.args[0].elts if len(node.args) == 1 and isinstance(node.args[0], ast.Tuple) else node.args
        numbers = [size.value for size in sizes if isinstance(size, ast.Constant) and type(size.value) is int]
        if sizes and len(numbers) == len(sizes) and -1 not in numbers and max(numbers) > 1:
            largest = numbers.index(max(numbers))
            fitted = ", ".join("-1" if index == largest else str(number) for index, number in enumerate(numbers))
            yield Idiom("fixed_reshape", node.lineno, node.func.value.id, ast.unparse(node),
                        f"{node.func.value.id}.reshape({fitted})", assigned)


@dataclass(frozen=True)
class Source:
    """What reading a file told: its text, and what its syntax tree said (the tree itself is not
    kept: one 1 MiB file's tree takes some 200 MB, and a batch holds several sources at once)."""

    text: str
    literals: frozenset[str]
    """Checked variables whose every assignment (but to None) is a constant expression."""
    lines: dict[str, int]
    """Line of each checked variable's assignment that computes it: the last one at top level that
    is not ``None``, else the last in a function (a student who works in ``main()``)."""
    spans: dict[str, list[tuple[int, int]]]
    """First and last line of every statement that assigns each checked variable, anywhere."""
    functions: dict[str, str]
    """Checked variables computed only inside a function (not at top level but for ``= None``): where."""
    names_used: dict[str, frozenset[str]]
    """The names each checked variable's computing assignment reads (``a * b``: a and b): which of
    two mistakes with equal values the student wrote."""
    defined: frozenset[str] = frozenset()
    """The names of every function and class the text defines: names a run may show for a hidden case."""
    cells: tuple[int, ...] = ()
    """For a notebook's script (it opens with ``# %% cell 1``): the line of each cell's marker, so a
    line can be told as the cell and the line in it."""
    idioms: tuple[Idiom, ...] = ()
    """Constructs that fit only some values (``Idiom``), in the order of the tree's walk."""


def decode(raw: bytes) -> str:
    """Decode source bytes as Python does (PEP 263 cookie, UTF-8 by default).

    A cookie such as ``unicode_escape`` can produce lone surrogates, which are not text: no page or
    report could hold them, so such a file is refused as unreadable.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        text = raw.decode(encoding).removeprefix("\ufeff")
        text.encode("utf-8")
        return text
    except (SyntaxError, LookupError, UnicodeError) as problem:
        raise SourceError(f"not readable as Python source: {problem}", unreadable=True) from None


_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar,
             ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Match)
"""Statements with blocks of statements inside; most statements (assignments, calls) have none."""


def _nested(statement: ast.stmt) -> list[ast.stmt]:
    """The statements directly inside ``statement``'s blocks, in order."""
    if not isinstance(statement, _COMPOUND):
        return []
    children = [*getattr(statement, "body", []), *getattr(statement, "orelse", []),
                *getattr(statement, "finalbody", [])]
    children += [child for handler in getattr(statement, "handlers", []) for child in handler.body]
    children += [child for case in getattr(statement, "cases", []) for child in case.body]
    return [child for child in children if isinstance(child, ast.stmt)]


def is_constant(node: ast.expr) -> bool:
    """A number, or an array of numbers, written out by hand (walked without recursion: a
    1,200-term ``1+1+...`` is as constant as any, and must not end the batch)."""
    stack = [node]
    while stack:
        part = stack.pop()
        if isinstance(part, ast.Constant):
            if not isinstance(part.value, (int, float)) or isinstance(part.value, bool):
                return False
        elif isinstance(part, ast.UnaryOp) and isinstance(part.op, (ast.USub, ast.UAdd)):
            stack.append(part.operand)
        elif isinstance(part, ast.BinOp):
            stack += [part.left, part.right]
        elif isinstance(part, (ast.List, ast.Tuple)):
            stack += part.elts
        elif isinstance(part, ast.Call) and len(part.args) == 1:
            function = part.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            if name not in NUMPY_CONSTRUCTORS:
                return False
            stack.append(part.args[0])
        else:
            return False
    return True


Binding = tuple[str, ast.stmt, ast.expr | None, str | None]
"""(name, statement, assigned value or None when computed in place, the function it is in or None)."""


def _statements(body: list[ast.stmt], variables: tuple[str, ...]) -> tuple[list[Binding], frozenset[str]]:
    """One walk of every statement (a definition is always one; expressions are not visited): each
    binding of one of ``variables`` at module level (in if/for/while/with/try blocks too) or in a
    function, in the file's order, and the name of every function and class defined anywhere.
    Bindings in class bodies are not the file's variables; definitions there are still names the
    file defines."""
    bindings: list[Binding] = []
    defined: set[str] = set()
    stack: list[tuple[ast.stmt, str | None, bool]] = [(statement, None, False) for statement in reversed(body)]
    while stack:
        statement, inside, in_class = stack.pop()
        if not in_class:
            bindings += [(name, statement, value, inside) for name, value in _bound(statement) if name in variables]
        if not isinstance(statement, _COMPOUND):
            continue
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(statement.name)
        inner = statement.name if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and inside is None \
            else inside
        below = in_class or isinstance(statement, ast.ClassDef)
        stack += [(child, inner, below) for child in reversed(_nested(statement))]
    return bindings, frozenset(defined)


def _bound(statement: ast.stmt) -> Iterator[tuple[str, ast.expr | None]]:
    """The names one statement binds, each with the value assigned to it (None when it is computed in
    place, or one of several unpacked)."""
    if isinstance(statement, ast.Assign):
        for target in statement.targets:
            if isinstance(target, ast.Name):  # the common case, without walking
                yield target.id, statement.value
            else:
                yield from ((name, None) for name in _names_in(target))
    elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        yield statement.target.id, statement.value
    elif isinstance(statement, ast.AugAssign):  # ``total += v`` or ``matrix[i, j] += v``: computed in place
        base: ast.expr = statement.target
        while isinstance(base, (ast.Subscript, ast.Attribute)):
            base = base.value
        if isinstance(base, ast.Name):
            yield base.id, None
    elif isinstance(statement, (ast.For, ast.AsyncFor)):
        yield from ((name, None) for name in _names_in(statement.target))
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        for item in statement.items:
            if item.optional_vars:
                yield from ((name, None) for name in _names_in(item.optional_vars))


def _names_in(target: ast.expr) -> Iterator[str]:
    return (node.id for node in ast.walk(target) if isinstance(node, ast.Name))


def _is_none(value: ast.expr | None) -> bool:
    return isinstance(value, ast.Constant) and value.value is None


def analyse(raw: bytes, filename: str, variables: tuple[str, ...]) -> Source:
    """Decode and parse a submission; raise SourceError if it is not Python."""
    text = decode(raw)
    try:
        tree = ast.parse(text, filename)
    except SyntaxError as problem:
        raise SourceError(f"{type(problem).__name__}: {problem.msg}", problem.lineno) from None
    except (ValueError, RecursionError, MemoryError) as problem:
        raise SourceError(f"cannot be parsed: {type(problem).__name__}: {problem}") from None
    try:
        return _read_tree(text, tree, variables)
    except RecursionError:
        raise SourceError("cannot be analysed: its expressions are nested too deeply") from None


def _read_tree(text: str, tree: ast.Module, variables: tuple[str, ...]) -> Source:
    bindings: dict[str, list[Binding]] = {}
    spans: dict[str, list[tuple[int, int]]] = {}
    every, defined = _statements(tree.body, variables)
    for binding in every:
        name, statement = binding[0], binding[1]
        bindings.setdefault(name, []).append(binding)
        spans.setdefault(name, []).append((statement.lineno, statement.end_lineno or statement.lineno))
    lines, literals, functions, names_used = {}, set(), {}, {}
    for name, found in bindings.items():
        computing = [binding for binding in found if not _is_none(binding[2])]
        at_top = [binding for binding in computing if binding[3] is None]
        lines[name] = (at_top or computing or found)[-1][1].lineno
        # the value if known, else the statement; each node once: ``(h, h, ..., h) = 0`` or ``h = h = ... = v``
        # binds a name many times to one node, and walking it once per binding would be quadratic
        read = {id(part): part for part in (binding[1] if binding[2] is None else binding[2] for binding in computing)}
        names_used[name] = _names_read(read.values())
        if computing and not at_top:
            functions[name] = str(computing[-1][3])
        values = {id(value): value for _, _, value, _ in computing}
        if computing and all(value is not None and is_constant(value) for value in values.values()):
            literals.add(name)
    return Source(text, frozenset(literals), lines, spans, functions, names_used, defined, _cells(text),
                  tuple(_idioms(text, tree)))


def _names_read(parts: Iterable[ast.AST]) -> frozenset[str]:
    """The names read anywhere in ``parts`` (``a * b``: a and b). What ``ast.walk`` would find, without
    its generators of fields: it runs over every computing statement of every file of a batch."""
    names: set[str] = set()
    stack = list(parts)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                names.add(node.id)
            continue
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                stack += [item for item in value if isinstance(item, ast.AST)]
            elif isinstance(value, ast.AST):
                stack.append(value)
    return frozenset(names)


_CELL = re.compile(r"^# %% cell \d+$", re.MULTILINE)


def _cells(text: str) -> tuple[int, ...]:
    """The lines of a notebook script's cell markers (``grader.intake.notebook``); none for a file."""
    if not text.startswith("# %% cell 1\n"):
        return ()
    lines, line, counted = [], 1, 0
    for match in _CELL.finditer(text):  # newlines counted once, from the last marker on: linear in the text
        line += text.count("\n", counted, match.start())
        counted = match.start()
        lines.append(line)
    return tuple(lines)
