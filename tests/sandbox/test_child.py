"""The child's side (grader/sandbox/child.py): describing values as plain data, injecting inputs, and
naming the line a run stopped at."""

from __future__ import annotations

import ast

import numpy as np

from grader.sandbox.child import INPUT_FUNCTION, MAX_ELEMENTS, _Inject, _quiet_builtins, describe
from grader.sandbox.job import decode_input


class LyingFloat(float):
    def __float__(self):
        return 0.8

    def __eq__(self, other):
        return True


class LyingArray(np.ndarray):
    def tolist(self):
        return [0.8]

    def __array__(self, *args, **kwargs):
        return np.array([0.8])


def test_plain_numbers_and_arrays():
    assert describe(0.8) == {"kind": "numeric", "type": "float", "dtype": "float64", "shape": [], "values": [0.8]}
    assert describe(3) == {"kind": "numeric", "type": "int", "dtype": "float64", "shape": [], "values": [3.0]}
    assert describe(np.array([1, 2])) == {"kind": "numeric", "type": "ndarray", "dtype": "int64", "shape": [2],
                                          "values": [1.0, 2.0]}
    assert describe(np.float32(0.5))["values"] == [0.5]
    assert describe(np.zeros(3, dtype=np.float32))["dtype"] == "float32"
    assert describe([1, 2.5]) == {"kind": "numeric", "type": "list", "dtype": "float64", "shape": [2],
                                  "values": [1.0, 2.5]}
    assert describe((1.0,))["shape"] == [1]


def test_non_numbers():
    assert describe(None) == {"kind": "none"}
    assert describe("0.8") == {"kind": "other", "type": "str"}
    assert describe(True)["kind"] == "other"
    assert describe(["a", 1])["kind"] == "other"
    assert describe(np.array(["a"]))["kind"] == "other"
    assert describe(1j)["kind"] == "other"
    assert describe(10**400)["kind"] == "other"


def test_subclasses_are_read_through_base_methods():
    assert describe(LyingFloat(0.1))["values"] == [0.1]
    lying = np.array([0.1, 0.2]).view(LyingArray)
    assert describe(lying)["values"] == [0.1, 0.2]


def test_huge_values_are_described_by_shape_only():
    assert describe(np.zeros(MAX_ELEMENTS + 1)) == {
        "kind": "numeric", "type": "ndarray", "dtype": "float64", "shape": [MAX_ELEMENTS + 1], "values": None}
    assert describe([0.0] * (MAX_ELEMENTS + 1))["values"] is None


def test_injection_replaces_assignments_and_keeps_the_files_own_values():
    source = ("x = 1\nif True:\n    w = 2\ndef f(x):\n    x = 3\n    return x\ny = z = 4\nfx = f(0)\n"
              "def main():\n    learnrate = 0.1\n    return learnrate\nlr = main()\n"
              "class C:\n    x = 7\n")
    injector = _Inject({"x", "w", "y", "learnrate"})
    code = compile(injector.visit(ast.parse(source)), "gradient.py", "exec")
    inputs = {"x": [5.0, 6.0], "w": 0.5, "y": {"scalar_array": 1.0}, "learnrate": 0.5}
    own = {}

    def fetch(name, original):
        own[name] = original()
        return decode_input(inputs[name])

    namespace: dict = {INPUT_FUNCTION: fetch}
    exec(code, namespace)
    assert namespace["x"].tolist() == [5.0, 6.0] and namespace["w"] == 0.5
    assert namespace["lr"] == 0.5  # inside a function too, where x is not a parameter
    assert namespace["y"] == 4 and namespace["fx"] == 3 and namespace["C"].x == 7  # chained, parameter, class
    assert own == {"x": 1, "w": 2, "learnrate": 0.1}
    assert injector.found == {"x", "w", "learnrate"}
    assert decode_input(inputs["y"]).ndim == 0


def test_hidden_case_print_is_silent_except_to_files(tmp_path, capsys):
    quiet = _quiet_builtins()
    target = tmp_path / "out.txt"
    exec("print('dropped')\nimport sys\nprint('also dropped', file=sys.stderr)\n"
         f"with open({str(target)!r}, 'w') as f:\n    print('kept', file=f)\n", {"__builtins__": quiet})
    assert capsys.readouterr() == ("", "")
    assert target.read_text() == "kept\n"


def test_a_frame_stopped_where_python_gives_no_line_still_names_one():
    """Python 3.11 gives some instructions no line (an exception handler's cleanup, where a time
    limit's signal may land): the frame names the nearest line before it, never null (which the
    grader would refuse as a malformed result, and report the run as forged)."""
    from types import SimpleNamespace

    from grader.sandbox.child import _line

    code = compile("try:\n    x = 1\nexcept OSError:\n    pass\n", "gradient.py", "exec")
    positions = list(code.co_positions())
    lineless = next(index for index, position in enumerate(positions) if position[0] is None)
    before = next(position[0] for position in reversed(positions[:lineless]) if position[0] is not None)
    stopped = SimpleNamespace(tb_lineno=None, tb_lasti=2 * lineless, tb_frame=SimpleNamespace(f_code=code))
    assert _line(stopped) == before and isinstance(before, int)
    assert _line(SimpleNamespace(tb_lineno=3, tb_lasti=0, tb_frame=SimpleNamespace(f_code=code))) == 3
