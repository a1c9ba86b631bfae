"""A Jupyter notebook as the script it stands for: its code cells, joined in order.

IPython accepts lines that are not Python: magics (``%matplotlib inline``, ``%%time``), shell
lines (``!pip install numpy``, ``files = !ls``) and help (``np.dot?``). Each becomes a comment
(``pass`` and a comment where a statement is needed), so the script runs as the notebook did
without them; ``%time STATEMENT`` keeps its statement, as IPython runs it. A cell whose magic
makes it something other than Python (``%%bash``, ``%%writefile``) becomes comments entirely.
Every cell starts with a ``# %% cell N`` line (the "percent" cell marker editors understand), so
the student can find each line they are told about. Markdown and raw cells are left out. Both
notebook formats in use are read: version 4, and version 3's worksheets.

A notebook downloaded as Python (Jupyter's "Download as .py": ``# In[3]:`` before each cell, each
magic or shell line turned into a ``get_ipython()...`` call) is read the same way by ``downloaded``:
those calls become comments (a ``%time`` call its statement), on the same lines, so it is graded as
its notebook is and every line number is the file's own.
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize

PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "python", "python3"})
"""Cell magics whose body is still Python and runs: their first line alone becomes a comment."""
_ASSIGNED_ESCAPE = re.compile(r"[\w.]+(?:[ \t]*,[ \t]*[\w.]+)*[ \t]*=[ \t]*[%!]")
"""``files = !ls``, ``a, b = %sx ...``: a name (or names) given a shell line's or a magic's output."""
_HELP = re.compile(r"\??[\w.]+\?\??[ \t]*")
"""``np.dot?``, ``??np.dot``."""


class NotebookError(ValueError):
    """The file is not a notebook whose code can be read; the message says why."""


def _cells(document: object) -> list[str]:
    if not isinstance(document, dict):
        raise NotebookError("it is not a notebook (not a JSON object)")
    if isinstance(document.get("cells"), list):
        cells, key = document["cells"], "source"
    elif isinstance(document.get("worksheets"), list):
        cells = [cell for sheet in document["worksheets"] if isinstance(sheet, dict)
                 for cell in sheet.get("cells", []) if isinstance(sheet.get("cells"), list)]
        key = "input"
    else:
        raise NotebookError("it is not a notebook (it has no cells)")
    code = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get(key, "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError("a code cell's source is not text")
        code.append(source)
    return code


def _statement_starts(text: str) -> set[int]:
    """Lines (0-based) where a statement may start: not inside a string, brackets or a continued line.
    Lines after a point where the text stops being Python (an unclosed quote in a shell line) count
    as starts, as IPython would read them."""
    starts, fresh, last = set(), True, 0
    skipped = (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            last = token.end[0]
            if fresh and token.type not in skipped:
                starts.add(token.start[0] - 1)
                fresh = False
            if token.type == tokenize.NEWLINE:
                fresh = True
    except (tokenize.TokenError, SyntaxError):
        starts.update(range(last, text.count("\n") + 1))
    return starts


def _escaped(stripped: str) -> bool:
    """Whether a line (its indentation taken off) is one IPython reads as a magic, a shell line or
    a help request. Plain string tests and regular expressions that cannot backtrack: a line of a
    million spaces costs a million steps, not a million squared."""
    return (stripped.startswith(("%", "!", "?")) or _ASSIGNED_ESCAPE.match(stripped) is not None
            or _HELP.fullmatch(stripped) is not None)


def _cell(source: str) -> str:
    lines = [line.removesuffix("\r") for line in source.split("\n")]  # only line feeds end a line, as in Jupyter
    if lines and lines[0].startswith("%%"):
        magic = lines[0][2:].split(maxsplit=1)[0] if lines[0][2:].strip() else ""
        if magic not in PYTHON_CELL_MAGICS:
            return "\n".join(f"# {line}" if line else "#" for line in lines)
        lines[0] = f"# {lines[0]}"
    starts = _statement_starts("\n".join(lines))
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        if index not in starts or not _escaped(stripped):
            continue
        indent = line[:len(line) - len(stripped)]
        timed = stripped[len("%time"):].strip() if stripped.startswith("%time ") else None
        lines[index] = (f"{indent}{timed}  # {stripped}" if timed else
                        f"{indent}pass  # {stripped}" if indent else f"# {line}")
    return "\n".join(lines)


def script(raw: bytes) -> str:
    """The notebook's code cells as one script (see the module's docstring)."""
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        raise NotebookError("it is not a notebook (not valid JSON)") from None
    cells = _cells(document)
    if not cells:
        raise NotebookError("it has no code cells")
    return "\n\n".join(f"# %% cell {number}\n{_cell(source)}" for number, source in enumerate(cells, 1)) + "\n"


_IPYTHON_CALL = re.compile(r"(?:[\w.]+(?:[ \t]*,[ \t]*[\w.]+)*[ \t]*=[ \t]*)?get_ipython\(\)")
"""A statement that is a call of IPython's (``get_ipython().run_line_magic(...)``), or gives a name
its output (``files = get_ipython().getoutput('ls')``)."""
_CELL_MARKER = re.compile(r"# In\[[ \d]*\]:[ \t]*\r?$", re.MULTILINE)


def downloaded(text: str) -> str:
    """A notebook downloaded as Python, with IPython's calls as comments (``pass`` and a comment where
    a statement is needed, the statement itself for ``%time``); any other text unchanged."""
    if "get_ipython()" not in text or not _CELL_MARKER.search(text):
        return text
    lines = text.split("\n")
    starts = _statement_starts(text)
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        if index in starts and _IPYTHON_CALL.match(stripped):
            indent = line[:len(line) - len(stripped)]
            timed = _timed_statement(stripped)
            if timed is not None:  # %time x = ... runs x = ... in the notebook: so it does here, on its line
                lines[index] = f"{indent}{timed}  # {stripped}"
            else:
                lines[index] = f"{indent}pass  # {stripped}" if indent else f"# {line}"
    return "\n".join(lines)


TIMERS = frozenset({"time"})
"""Line magics that run the statement they are given in the notebook's namespace (%timeit runs it in a
function of its own, binding nothing): the statement is the student's code."""


def _timed_statement(call: str) -> str | None:
    """The statement of ``get_ipython().run_line_magic('time', 'STATEMENT')`` when it is one line of
    Python, else None. The call is read as a syntax tree, never run."""
    try:
        tree = ast.parse(call, mode="eval")
    except SyntaxError:
        return None
    body = tree.body
    if not (isinstance(body, ast.Call) and isinstance(body.func, ast.Attribute) and body.func.attr == "run_line_magic"
            and len(body.args) == 2):
        return None
    magic, argument = body.args
    if not (isinstance(magic, ast.Constant) and magic.value in TIMERS and isinstance(argument, ast.Constant)
            and isinstance(argument.value, str)):
        return None
    statement = argument.value.strip()
    if "\n" in statement or not statement:
        return None
    try:
        ast.parse(statement)
    except SyntaxError:
        return None
    return statement
