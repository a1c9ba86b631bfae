"""``%load_ext grader`` and ``%gdgrade`` in a real kernel (ipykernel), driven by nbclient."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from grader import jupyter

from .conftest import SEED
from .snippets import GIVENS

STEPS = """%precision 3
h = np.dot(x, w)
nn_output = sigmoid(h)
error = y - nn_output
error_term = error * nn_output * 1 - nn_output"""


def test_cells_that_ask_for_grading_are_left_out_and_numbers_kept():
    history = ["", "%load_ext grader", GIVENS, "x.shape", "%gdgrade", STEPS, "%gdgrade --seed 3"]
    assert jupyter.cells_run(history) == ["", GIVENS, "x.shape", "", STEPS]


def test_a_cells_own_code_beside_a_request_for_grading_is_graded():
    history = ["", "del_w = learnrate * error_term * x\n%gdgrade", "# run %gdgrade when done\nh = 1",
               "from grader import jupyter\njupyter.check()", 'print("%gdgrade")', "import graders_notes", "%gdgrade"]
    assert jupyter.cells_run(history) == ["del_w = learnrate * error_term * x\n",
                                          "# run %gdgrade when done\nh = 1", "\n", 'print("%gdgrade")',
                                          "import graders_notes"]


def test_gdgrade_grades_the_cells_run_so_far_in_a_real_kernel(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in (
        "%load_ext grader", GIVENS, STEPS, f"%gdgrade --seed {SEED}",
        "del_w = learnrate * error_term * x", f"%gdgrade --seed {SEED} --feedback outcomes")]
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    first = notebook.cells[3].outputs
    assert [output["output_type"] for output in first] == ["execute_result"]
    shown = first[0]["data"]["text/html"]
    assert "<h3>gdgrade: 3/5</h3>" in shown
    assert "<code>error_term</code></td><td>is wrong in the public case" in shown
    assert "the brackets around <code>(1 - nn_output)</code> are missing" in shown
    assert "<code>del_w</code></td><td>is not defined" in shown
    printed = first[0]["data"]["text/plain"].splitlines()
    assert printed[0] == "gradient.ipynb: completed" and printed[-1] == "Score: 3/5"  # no temporary path
    later = notebook.cells[5].outputs[0]["data"]
    assert "<h3>gdgrade: 4/5</h3>" in later["text/html"]  # del_w carried forward from the wrong error_term
    assert "<code>error_term</code></td><td>is wrong</td>" in later["text/html"]  # outcomes only
    assert "brackets" not in later["text/html"]


def test_an_error_points_at_its_cell(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in (
        "%load_ext grader", GIVENS, "h = np.dot(x, w) + bias_never_defined", f"%gdgrade --seed {SEED}",
        "%gdgrade --feedback lots")]
    NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = notebook.cells[3].outputs[0]["data"]["text/html"]
    assert "stopped at cell 3, line 1 with <code>NameError</code>" in shown
    assert "(cell 3, line 1)" in shown  # the error's place
    refused = notebook.cells[4].outputs  # one line, no traceback: IPython's way with a UsageError
    assert [(output["output_type"], output["name"]) for output in refused] == [("stream", "stderr")]
    assert refused[0]["text"] == ("UsageError: %gdgrade: argument --feedback: invalid choice: 'lots' "
                                  "(choose from 'full', 'hints', 'outcomes')\n")
