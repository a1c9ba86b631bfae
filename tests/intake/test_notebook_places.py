"""Errors in a notebook name the cell and the line in it, in every output."""

from __future__ import annotations

import json

from grader import intake
from grader.formats import html, render

CELLS = [
    "import numpy as np\n\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))",
    "learnrate = 0.5\nx = np.array([1, 2, 3, 4])\ny = np.array(0.5)\nw = np.array([0.5, -0.5, 0.3, 0.1])",
    "# the forward pass\nh = np.dot(x, w) + bias_never_defined\nnn_output = sigmoid(h)",
    "error = y - nn_output\nerror_term = error * nn_output * (1 - nn_output)\ndel_w = learnrate * error_term * x",
]


def test_a_notebooks_error_names_its_cell_and_line(fork_grader, tmp_path):
    document = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": source} for source in CELLS]}
    (tmp_path / "gradient.ipynb").write_text(json.dumps(document))
    report = next(iter(fork_grader.grade(intake.find([tmp_path / "gradient.ipynb"]).submissions)))
    h = report.checks[0]
    assert h.message == ("`h` is wrong: your code stopped at cell 3, line 2 with `NameError` while computing it in "
                         "the public case")
    assert (h.line, h.place) == (16, "cell 3, line 2")  # the joined script's line, and the student's
    assert report.error.place == "cell 3, line 2"
    assert "  cell 3, line 2, in <module>\n    h = np.dot(x, w) + bias_never_defined" in report.error.traceback
    assert report.checks[1].message.startswith("`nn_output` was not reached: your code stopped at cell 3, line 2")
    assert "stopped at cell 3, line 2" in render.text(report)
    assert json.loads(report.model_dump_json())["checks"][0]["place"] == "cell 3, line 2"
    assert '<a href="#L16">cell 3, line 2</a>' in html.student(report, None)
