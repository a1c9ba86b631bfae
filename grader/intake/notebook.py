"""A Jupyter notebook as the script it stands for: its code cells, joined in order.

IPython accepts lines that are not Python: magics (``%matplotlib inline``, ``%%time``), shell
lines (``!pip install numpy``, ``files = !ls``) and help (``np.dot?``). Each becomes a comment
(``pass`` and a comment where a statement is needed), so the script runs as the notebook did
without them; ``%time STATEMENT`` keeps its statement, as IPython runs it. A cell whose magic
makes it something other than Python (``%%bash``, ``%%writefile``) becomes comments entirely.
Every cell starts with a ``# %% cell N`` line (the "percent" cell marker editors understand), so
the student can find each line they are told about. Markdown and raw cells are left out. Both
notebook formats in use are read: version 4, and version 3's worksheets.
"""

from __future__ import annotations

import io
import json
import re
import tokenize

PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "python", "python3"})
"""Cell magics whose body is still Python and runs: their first line alone becomes a comment."""
_ESCAPED = re.compile(r"^(\s*)(?:[%!]|[\w.,\s]+=\s*[%!]|\??[\w.]+\?\??\s*$|\?)")
"""A line IPython would read as a magic, a shell line or a help request."""
_TIMED = re.compile(r"^\s*%time\s+(\S.*)$")
"""``%time STATEMENT`` runs the statement in the notebook, so the script keeps it."""


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


def _inside_strings(text: str) -> set[int]:
    """Lines (0-based) that continue a string begun on an earlier line: never magics."""
    inside: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                inside.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return inside


def _cell(source: str) -> str:
    lines = source.splitlines()
    if lines and lines[0].startswith("%%"):
        magic = lines[0][2:].split(maxsplit=1)[0] if lines[0][2:].strip() else ""
        if magic not in PYTHON_CELL_MAGICS:
            return "\n".join(f"# {line}" if line else "#" for line in lines)
        lines[0] = f"# {lines[0]}"
    starts = _statement_starts("\n".join(lines))
    for index, line in enumerate(lines):
        match = _ESCAPED.match(line) if index in starts else None
        if match:
            indent = match.group(1) or ""
            timed = _TIMED.match(line)
            lines[index] = (f"{indent}{timed.group(1)}  # {line.strip()}" if timed else
                            f"{indent}pass  # {line.strip()}" if indent else f"# {line}")
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
