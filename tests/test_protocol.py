"""Validation of untrusted result lines from the child."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from grader.protocol import CHARS_KEPT, LINE_KEPT_CHARS, LINES_KEPT, MAX_ELEMENTS, Lines, parse_run
from grader.sandbox.supervisor import Answer

VARIABLES = ("h", "del_w")


def line(case=0, **values):
    body = {"case": case, "values": {"h": {"kind": "missing"}, "del_w": {"kind": "none"}, **values},
            "error": None, "exit_code": None, "injected": []}
    return json.dumps(body)


SANDBOX = json.dumps({"sandbox": {"applied": ["seccomp"], "missing": ["landlock: none here"]}})


def answer(*lines, **extra):
    return Answer(outcome="exited", exit_code=0, signal=None, stdout="", stderr="",
                  results=(SANDBOX, *lines), duration_s=0.01, **extra)


def test_well_formed_lines_are_kept():
    run = parse_run(answer(line(0, h={"kind": "numeric", "type": "float", "shape": [], "values": [0.8]}),
                           line(1)), 2, VARIABLES)
    assert not run.problems and len(run.cases) == 2
    assert run.cases[0].values["h"].array() == np.array(0.8)


def test_non_finite_numbers_survive():
    run = parse_run(answer(line(0, h={"kind": "numeric", "type": "float", "shape": [2],
                                      "values": [float("nan"), float("inf")]})), 1, VARIABLES)
    values = run.cases[0].values["h"].array()
    assert np.isnan(values[0]) and np.isinf(values[1])


def test_values_must_fill_the_shape():
    bad = line(0, h={"kind": "numeric", "type": "ndarray", "shape": [3], "values": [1.0]})
    run = parse_run(answer(bad), 1, VARIABLES)
    assert run.cases == [] and "malformed" in run.problems[0]


def test_too_many_values_are_refused():
    big = line(0, h={"kind": "numeric", "type": "ndarray", "shape": [MAX_ELEMENTS + 1],
                     "values": [0.0] * (MAX_ELEMENTS + 1)})
    assert parse_run(answer(big), 1, VARIABLES).cases == []


def test_large_shape_without_values_is_accepted():
    run = parse_run(answer(line(0, h={"kind": "numeric", "type": "ndarray", "shape": [10**8], "values": None})),
                    1, VARIABLES)
    assert run.cases[0].values["h"].array() is None


def test_text_in_any_script_and_empty_arrays_are_accepted():
    """What a refused surrogate or shape is not: a pair of them (one character), and no values of a shape
    numpy holds."""
    run = parse_run(answer(line(0, h={"kind": "other", "type": "caf\u00e9 \U0001f600"}),
                           line(1, h={"kind": "numeric", "type": "ndarray", "shape": [0, 10**6], "values": []})),
                    2, VARIABLES)
    assert not run.problems and run.cases[0].values["h"].type == "caf\u00e9 \U0001f600"
    assert run.cases[1].values["h"].array().shape == (0, 10**6)


def test_extra_keys_strings_and_wrong_types_are_refused():
    extra = json.loads(line())
    extra["score"] = 5
    for bad in (json.dumps(extra), "not json", "[]", line(0, h={"kind": "numeric", "type": "x", "shape": [],
                                                                "values": ["0.8x"]})):
        assert parse_run(answer(bad), 1, VARIABLES).cases == [], bad


def test_forged_and_reordered_lines_stop_the_parse():
    run = parse_run(answer(line(0), line(0), line(1)), 2, VARIABLES)
    assert len(run.cases) == 1 and "out of order" in run.problems[0]
    run = parse_run(answer(line(0), line(1), line(2)), 2, VARIABLES)
    assert len(run.cases) == 2
    wrong_names = json.loads(line())
    wrong_names["values"]["other"] = {"kind": "missing"}
    assert parse_run(answer(json.dumps(wrong_names)), 1, VARIABLES).cases == []


def test_a_line_of_other_names_is_refused_before_a_value_is_read(monkeypatch):
    """A forged line may hold hundreds of values of names the quiz does not check, each of 10,000
    numbers: its names are compared first, so none of those numbers is read."""
    from grader import protocol

    read = []
    monkeypatch.setattr(protocol, "_value", read.append)
    body = json.loads(line())
    body["values"].update({f"v{i}": numeric() for i in range(800)})
    assert refused(json.dumps(body)) and read == []
    del body["values"]["h"]
    assert refused(json.dumps(body)) and read == []


def test_sandbox_line_comes_first_and_is_recorded():
    run = parse_run(answer(line(0)), 1, VARIABLES)
    assert run.sandbox.applied == ["seccomp"] and run.sandbox.missing == ["landlock: none here"]
    forged = answer(line(0))
    run = parse_run(dataclasses.replace(forged, results=forged.results[1:]), 1, VARIABLES)
    assert run.cases == [] and "sandbox report is malformed" in run.problems[0]


def numeric(**changes):
    return {"kind": "numeric", "type": "ndarray", "dtype": "float64", "shape": [2], "values": [0.5, 1.0], **changes}


def refused(bad: str) -> bool:
    run = parse_run(answer(bad), 1, VARIABLES)
    return run.cases == [] and "malformed" in run.problems[0]


def case_line(**changes):
    body = json.loads(line())
    body.update(changes)
    return json.dumps(body)


ERROR = {"type": "ValueError", "message": "bad", "frames": [{"line": 3, "function": "<module>"}], "memory": False,
         "timeout": False}

FORGED_VALUES = {  # one forged value per rule the parse holds a numeric, other or missing value to
    "a bool for a number": numeric(values=[True, 1.0]),
    "a string for a number": numeric(values=["0.5", 1.0]),
    "an integer too large for a float": numeric(shape=[1], values=[10**400]),
    "null among the numbers": numeric(values=[None, 1.0]),
    "a bool for an axis": numeric(shape=[True, 2], values=[0.5, 1.0]),
    "a float for an axis": numeric(shape=[2.0], values=[0.5, 1.0]),
    "a negative axis": numeric(shape=[-2], values=None),
    "an axis too long": numeric(shape=[10**12 + 1], values=None),
    "too many axes": numeric(shape=[1] * 33, values=[0.5]),
    "values that do not fill the shape": numeric(shape=[3], values=[0.5, 1.0]),
    "a shape that is not a list": numeric(shape=2),
    "values that are not a list": numeric(values=0.5),
    "no values key": {key: value for key, value in numeric().items() if key != "values"},
    "a dtype too long": numeric(dtype="f" * 41),
    "a dtype that is not a string": numeric(dtype=8),
    "a type too long": numeric(type="t" * 4001),
    "an extra key in a value": numeric(score=5),
    "a lone surrogate in a type": numeric(type="nd\ud800"),
    "a lone surrogate in a dtype": numeric(dtype="\udcff"),
    "a lone surrogate in other's type": {"kind": "other", "type": "\ud800"},
    "no values in a shape numpy refuses": numeric(shape=[0, 10**12, 10**7], values=[]),
    "an unknown kind": {"kind": "pickle", "type": "x"},
    "a kind that is not a string": {"kind": 1},
    "an extra key in a missing value": {"kind": "missing", "type": "x"},
    "other without its type": {"kind": "other"},
    "a value that is not an object": [1.0, 2.0],
}


@pytest.mark.parametrize("forged", FORGED_VALUES.values(), ids=FORGED_VALUES.keys())
def test_each_rule_of_a_value_refuses_a_forged_line(forged):
    assert refused(line(0, h=forged))
    assert refused(case_line(given={"x": forged}))  # a given is held to the same rules


FORGED_LINES = {  # one forged case line per rule of the line itself
    "a bool for the case": case_line(case=False),
    "a negative case": case_line(case=-1),
    "a string for the case": case_line(case="0"),
    "a float for the exit code": case_line(exit_code=1.0),
    "a bool for the exit code": case_line(exit_code=True),
    "no exit code key": json.dumps({key: value for key, value in json.loads(line()).items() if key != "exit_code"}),
    "too many injected names": case_line(injected=["x"] * 33),
    "an injected name too long": case_line(injected=["x" * 4001]),
    "a number for an injected name": case_line(injected=[1]),
    "too many givens": case_line(given={f"x{i}": {"kind": "missing"} for i in range(33)}),
    "a found-in function too long": case_line(found_in={"h": "f" * 4001}),
    "a found-in name too long": case_line(found_in={"h" * 4001: "f"}),
    "a found-in function that is not a string": case_line(found_in={"h": None}),
    "a lone surrogate in an error message": case_line(error={**ERROR, "message": "\ud800"}),
    "a lone surrogate in an error type": case_line(error={**ERROR, "type": "Value\udfffError"}),
    "a lone surrogate in a frame's function": case_line(error={**ERROR, "frames": [{"line": 1, "function": "\ud800"}]}),
    "a lone surrogate in an injected name": case_line(injected=["\ud800"]),
    "a lone surrogate in a given's name": case_line(given={"\ud800": {"kind": "missing"}}),
    "a lone surrogate in a found-in function": case_line(found_in={"h": "\udc80"}),
    "values that are not an object": case_line(values=[]),
    "too many variables": case_line(values={f"v{i}": {"kind": "missing"} for i in range(1001)}),
    "an error that is not an object": case_line(error="boom"),
    "an error with a string for memory": case_line(error={**ERROR, "memory": "no"}),
    "an error with a number for timeout": case_line(error={**ERROR, "timeout": 0}),
    "an error with a number for disk": case_line(error={**ERROR, "disk": 1}),
    "an error without its message": case_line(error={key: value for key, value in ERROR.items() if key != "message"}),
    "an error message too long": case_line(error={**ERROR, "message": "m" * 4001}),
    "too many frames": case_line(error={**ERROR, "frames": [{"line": 1, "function": "f"}] * 21}),
    "a frame with a bool for its line": case_line(error={**ERROR, "frames": [{"line": True, "function": "f"}]}),
    "a frame with an extra key": case_line(error={**ERROR, "frames": [{"line": 1, "function": "f", "locals": {}}]}),
    "nested past the parser's depth": '{"case": 0, "values": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "not an object": "0",
}


@pytest.mark.parametrize("forged", FORGED_LINES.values(), ids=FORGED_LINES.keys())
def test_each_rule_of_a_case_line_refuses_a_forged_line(forged):
    assert refused(forged)


def test_every_field_a_child_writes_is_read_with_its_own_type():
    body = json.loads(line(0, h=numeric(dtype="int64", shape=[2], values=[1, 2])))
    body.update(error={**ERROR, "disk": True}, exit_code=3, injected=["np"],
                given={"x": {"kind": "other", "type": "str"}}, found_in={"h": "main"})
    message = parse_run(answer(json.dumps(body)), 1, VARIABLES).cases[0]
    value = message.values["h"]
    assert value.values == [1.0, 2.0] and all(type(number) is float for number in value.values)  # JSON's 1 is 1.0
    assert value.dtype == "int64" and value.shape == [2]
    assert message.error.disk and message.error.frames[0].line == 3 and message.exit_code == 3
    assert message.injected == ["np"] and message.given["x"].type == "str" and message.found_in == {"h": "main"}
    assert parse_run(answer(line(0, h=numeric(shape=[2], values=None))), 1, VARIABLES).cases[0].values["h"].dtype \
        == "float64"  # a dtype left out is float64


@pytest.mark.parametrize("forged", [
    json.dumps({"sandbox": {"applied": ["x"] * 17, "missing": []}}),
    json.dumps({"sandbox": {"applied": [], "missing": ["m" * 4001]}}),
    json.dumps({"sandbox": {"applied": [], "missing": [], "score": 5}}),
    json.dumps({"sandbox": {"applied": [], "missing": []}, "case": 0}),
    json.dumps({"sandbox": {"applied": [1], "missing": []}}),
], ids=["too many layers", "a reason too long", "an extra key in the layers", "an extra key", "a number for a layer"])
def test_each_rule_of_the_sandbox_line_refuses_a_forged_line(forged):
    run = parse_run(dataclasses.replace(answer(line(0)), results=(forged, line(0))), 1, VARIABLES)
    assert run.cases == [] and "sandbox report is malformed" in run.problems[0]


def test_a_batch_reads_each_distinct_line_once():
    lines = Lines(VARIABLES)
    right = line(0, h={"kind": "numeric", "type": "float", "shape": [], "values": [0.8]})
    first, second = (parse_run(answer(right), 1, VARIABLES, lines) for _ in range(2))
    assert first.cases[0] is second.cases[0] and first.sandbox is second.sandbox
    assert first.cases[0].values["h"].array() == np.array(0.8)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.cases[0].case = 1  # type: ignore[misc]  # what is shared cannot be changed


def test_what_a_batch_kept_never_passes_a_line_it_would_refuse():
    """A malformed line is refused every time, and the sandbox's line is no case's (nor the reverse)."""
    lines = Lines(VARIABLES)
    bad = line(0, h={"kind": "numeric", "type": "ndarray", "shape": [3], "values": [1.0]})
    for _ in range(2):
        assert parse_run(answer(bad), 1, VARIABLES, lines).cases == []
    assert parse_run(answer(line(0)), 1, VARIABLES, lines).cases
    swapped = parse_run(Answer(outcome="exited", exit_code=0, results=(line(0), SANDBOX)), 1, VARIABLES, lines)
    assert swapped.sandbox is None and swapped.cases == []
    assert swapped.problems == ["the sandbox report is malformed; results ignored"]


def test_long_lines_and_many_lines_are_not_all_kept():
    lines = Lines(VARIABLES)
    long = line(0, h={"kind": "numeric", "type": "ndarray", "shape": [2000], "values": [0.5] * 2000})
    assert len(long) > LINE_KEPT_CHARS
    first, second = (parse_run(answer(long), 1, VARIABLES, lines) for _ in range(2))
    assert first.cases[0] == second.cases[0] and first.cases[0] is not second.cases[0]
    for number in range(LINES_KEPT + 10):
        parse_run(answer(line(0, h={"kind": "numeric", "type": "float", "shape": [], "values": [number + 0.5]})),
                  1, VARIABLES, lines)
    assert 0 < len(lines) <= LINES_KEPT


def test_the_kept_lines_never_hold_more_than_their_characters():
    lines = Lines(VARIABLES)
    for number in range(3 * CHARS_KEPT // 3000):
        text = line(0, h={"kind": "numeric", "type": "ndarray", "shape": [150],
                          "values": [number + index / 7 for index in range(150)]})
        assert 2000 < len(text) <= LINE_KEPT_CHARS
        parse_run(answer(text), 1, VARIABLES, lines)
    assert 0 < len(lines) <= CHARS_KEPT // 2000
