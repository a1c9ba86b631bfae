"""Reading a submission without running it: syntax, literals, assignment lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from grader.source import SourceError, analyse

SAMPLES = Path(__file__).resolve().parent.parent / "submissions"

VARIABLES = ("h", "nn_output", "error", "error_term", "del_w")


def literals(code: str) -> frozenset[str]:
    return analyse(code.encode(), "gradient.py", VARIABLES).literals


@pytest.mark.parametrize("code", [
    "h = 0.8",
    "h = -0.8",
    "h = 4 * 0.2",
    "del_w = np.array([-0.0203, -0.0406])",
    "del_w = [-0.0203, -0.0406]",
    "del_w = numpy.asarray((1, 2.5))",
    "if True:\n    h = 0.8",
    "h: float = 0.8",
])
def test_literal_assignments(code):
    assert "h" in literals(code) or "del_w" in literals(code)


@pytest.mark.parametrize("code", [
    "h = np.dot(x, w)",
    "h = 0\nfor i in range(4):\n    h += x[i] * w[i]",
    "h = 0.8\nh = np.dot(x, w)",
    "h = None",
    "h = x @ w",
    "del_w = np.array([learnrate * error_term * v for v in x])",
    "for h in [0.8]:\n    pass",
])
def test_computed_assignments(code):
    assert literals(code) == frozenset()


def test_lines_are_the_last_top_level_assignment():
    code = "import numpy as np\nh = 1\n\ndef f():\n    h = 3\n\nh = 2\nerror = h\n"
    assert analyse(code.encode(), "gradient.py", VARIABLES).lines == {"h": 7, "error": 8}


def test_syntax_error_has_a_line():
    with pytest.raises(SourceError) as raised:
        analyse(b"h = (1\nerror = 2\n", "gradient.py", VARIABLES)
    assert raised.value.line == 1 and "never closed" in str(raised.value)
    assert not raised.value.unreadable


@pytest.mark.parametrize("raw", [b"h = 1\n\x00\x01\x02", b"\xff\xfe\x00garbage", b"# -*- coding: klingon -*-\nh=1\n"])
def test_binary_garbage_is_reported_not_raised(raw):
    with pytest.raises(SourceError):
        analyse(raw, "gradient.py", VARIABLES)


def test_coding_cookie_and_bom_are_honoured():
    latin = "# -*- coding: latin-1 -*-\n# café\nh = 1\n".encode("latin-1")
    assert analyse(latin, "gradient.py", VARIABLES).lines == {"h": 3}
    assert analyse(b"\xef\xbb\xbfh = 1\n", "gradient.py", VARIABLES).lines == {"h": 1}


def test_an_element_changed_in_place_computes_the_array():
    """``matrix[i, j] += v`` computes ``matrix``: an error on that line is charged to it, and an
    array of zeros typed in first and then filled in is not a hard-coded answer."""
    code = "import numpy as np\ndel_w = np.array([0.0, 0.0])\nfor i in range(2):\n    del_w[i] += x[i]\n"
    source = analyse(code.encode(), "gradient.py", VARIABLES)
    assert source.spans["del_w"] == [(2, 2), (4, 4)] and source.lines["del_w"] == 4
    assert source.literals == frozenset()


@pytest.mark.parametrize("text", [
    "(" + ",".join(["h"] * 4000) + ") = 0\n",
    "h = " * 2000 + "a + b\n",
    "h = h = h = h = " + " + ".join(["a"] * 2000) + "\n",
    "for " + ",".join(["h"] * 4000) + " in x:\n    pass\n",
    "del_w = [" + ",".join(["error_term"] * 3000) + "] = " + "(" * 50 + "1" + ")" * 50 + "\n",
], ids=["tuple_targets", "chained_targets", "chained_value", "for_targets", "list_target"])
def test_reading_a_file_visits_each_node_a_bounded_number_of_times(text, monkeypatch):
    """A 16 KiB file that binds one name thousands of times in one statement once cost the grader
    two minutes of CPU (every binding walked the whole statement). Counted, not timed: the nodes
    reading visits stay within a small multiple of the tree's size."""
    import ast

    from grader import source

    size = sum(1 for _ in ast.walk(ast.parse(text)))
    visited = 0
    walk = ast.walk

    def counting(node):
        nonlocal visited
        for each in walk(node):
            visited += 1
            yield each

    monkeypatch.setattr(source.ast, "walk", counting)
    source.analyse(text.encode(), "gradient.py", ("h", "nn_output", "error", "error_term", "del_w"))
    assert visited <= 20 * size, (visited, size)


def test_a_notebooks_cell_markers_are_placed_in_one_pass():
    """Each marker's line, counted on from the one before (a 1 MiB file of markers once cost the grader
    36 s, counting from the top for each)."""
    from grader.source import _cells

    text = "# %% cell 1\nx = 1\n# %% cell 2\n\n\ny = 2\n# %% cell 3\n" + "# %% cell 4\n" * 3
    assert _cells(text) == (1, 3, 7, 8, 9, 10)
    assert _cells("x = 1\n# %% cell 1\n") == ()  # not a notebook's script


def _idioms_walking_every_assignment(tree: ast.Module) -> list[tuple[str, int, str, str, str, str]]:
    """What reading the idioms gave when it walked each assignment's value apart: the oracle."""
    assigned = {id(node): statement.targets[0].id for statement in ast.walk(tree)
                if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name)
                for node in ast.walk(statement.value)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "T" and isinstance(node.value, ast.Name):
            found.append(("transpose", node.lineno, node.value.id, ast.unparse(node), assigned.get(id(node), "")))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "reshape"
                and isinstance(node.func.value, ast.Name) and not node.keywords):
            sizes = node.args[0].elts if len(node.args) == 1 and isinstance(node.args[0], ast.Tuple) else node.args
            numbers = [s.value for s in sizes if isinstance(s, ast.Constant) and type(s.value) is int]
            if sizes and len(numbers) == len(sizes) and -1 not in numbers and max(numbers) > 1:
                found.append(("fixed_reshape", node.lineno, node.func.value.id, ast.unparse(node),
                              assigned.get(id(node), "")))
    return found


IDIOMS = """
import numpy as np
x = np.array([1.0, 2.0, 3.0])
x_col = x.reshape(3, 1)
w = np.zeros((3, 1)).reshape((3, 1))
def step(x, w):
    h = np.dot(x.T, w.T)
    return (h * x.reshape(1, 3)).T
total = [v.T for v in (x, w)]
"""


@pytest.mark.parametrize("text", [IDIOMS, IDIOMS.replace("x.T", "x .\\\n  T"), "import numpy as np\nx = 1\ny = x.Ｔ\n",
                                  *(path.read_text() for path in sorted(SAMPLES.glob("*/*/*.py"))
                                    if path.parent.name != "syntax_error")])
def test_idioms_are_read_in_one_walk_as_walking_each_assignment_found_them(text):
    found = [(i.kind, i.line, i.name, i.text, i.assigned) for i in analyse(text.encode(), "gradient.py", ()).idioms]
    assert found == _idioms_walking_every_assignment(ast.parse(text))


@pytest.mark.parametrize("written", ["x.T", "x . T", "x .\\\n  T", "(x.  # turned\n  T)", "(x.\n\n  T)"])
def test_a_transpose_alone_is_read_however_it_is_spaced(written):
    (idiom,) = analyse(f"import numpy as np\nx = np.ones(3)\ny = {written}\n".encode(), "gradient.py", ()).idioms
    assert (idiom.kind, idiom.name, idiom.assigned) == ("transpose", "x", "y")


def test_a_transpose_written_in_other_letters_is_still_read():
    (idiom,) = analyse("import numpy as np\nx = 1\ny = x.Ｔ\n".encode(), "gradient.py", ()).idioms
    assert (idiom.kind, idiom.name, idiom.assigned) == ("transpose", "x", "y")


@pytest.mark.parametrize("text", [IDIOMS, *(path.read_text() for path in sorted(SAMPLES.glob("*/*/*.py"))
                                            if path.parent.name != "syntax_error")])
def test_the_names_a_statement_reads_are_those_a_walk_of_it_finds(text):
    from grader.source import _names_read

    for statement in ast.walk(ast.parse(text)):
        assert _names_read([statement]) == {node.id for node in ast.walk(statement)
                                            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
