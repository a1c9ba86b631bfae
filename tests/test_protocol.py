"""Validation of untrusted result lines from the child."""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from grader.protocol import MAX_ELEMENTS, parse_run
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


def test_sandbox_line_comes_first_and_is_recorded():
    run = parse_run(answer(line(0)), 1, VARIABLES)
    assert run.sandbox.applied == ["seccomp"] and run.sandbox.missing == ["landlock: none here"]
    forged = answer(line(0))
    run = parse_run(dataclasses.replace(forged, results=forged.results[1:]), 1, VARIABLES)
    assert run.cases == [] and "sandbox report is malformed" in run.problems[0]
