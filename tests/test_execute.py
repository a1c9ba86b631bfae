"""The child's side: describing values as plain data, and injecting inputs."""

from __future__ import annotations

import ast

import numpy as np

from grader.sandbox.child import INPUT_FUNCTION, MAX_ELEMENTS, _Inject, _input_value, _quiet_builtins, describe


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
    assert describe(0.8) == {"kind": "numeric", "type": "float", "shape": [], "values": [0.8]}
    assert describe(3) == {"kind": "numeric", "type": "int", "shape": [], "values": [3.0]}
    assert describe(np.array([1, 2])) == {"kind": "numeric", "type": "ndarray", "shape": [2], "values": [1.0, 2.0]}
    assert describe(np.float32(0.5))["values"] == [0.5]
    assert describe([1, 2.5]) == {"kind": "numeric", "type": "list", "shape": [2], "values": [1.0, 2.5]}
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
        "kind": "numeric", "type": "ndarray", "shape": [MAX_ELEMENTS + 1], "values": None}
    assert describe([0.0] * (MAX_ELEMENTS + 1))["values"] is None


def test_injection_replaces_top_level_assignments_only():
    source = "x = 1\nif True:\n    w = 2\ndef f():\n    x = 3\n    return x\ny = z = 4\nfx = f()\n"
    injector = _Inject({"x", "w", "y"})
    code = compile(injector.visit(ast.parse(source)), "gradient.py", "exec")
    inputs = {"x": [5.0, 6.0], "w": 0.5, "y": {"scalar_array": 1.0}}
    namespace: dict = {INPUT_FUNCTION: lambda name: _input_value(inputs[name])}
    exec(code, namespace)
    assert namespace["x"].tolist() == [5.0, 6.0] and namespace["w"] == 0.5
    assert namespace["y"] == 4 and namespace["fx"] == 3  # chained assignment and function body left alone
    assert injector.found == {"x", "w"}
    assert _input_value(inputs["y"]).ndim == 0


def test_hidden_case_print_is_silent_except_to_files(tmp_path, capsys):
    quiet = _quiet_builtins()
    target = tmp_path / "out.txt"
    exec("print('dropped')\nimport sys\nprint('also dropped', file=sys.stderr)\n"
         f"with open({str(target)!r}, 'w') as f:\n    print('kept', file=f)\n", {"__builtins__": quiet})
    assert capsys.readouterr() == ("", "")
    assert target.read_text() == "kept\n"
