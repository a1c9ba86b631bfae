"""Notebooks as the scripts they stand for (grader/intake/notebook.py): one downloaded as Python
(``# In[ ]:`` markers, ``get_ipython()`` calls) is graded like the notebook itself, a cell of many
lines is read in one pass, and errors name the cell and the line in it, in every output."""

from __future__ import annotations

import json

from grader import intake, report_json
from grader.formats import html, render
from grader.intake import notebook
from tests.conftest import SUBMISSIONS

CELLS = [
    "%matplotlib inline\nimport numpy as np\n!pip install numpy",
    "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n\n\n"
    "def sigmoid_prime(x):\n    return sigmoid(x) * (1 - sigmoid(x))",
    "learnrate = 0.5\nx = np.array([1, 2, 3, 4])\ny = np.array(0.5)\nw = np.array([0.5, -0.5, 0.3, 0.1])",
    "%time h = np.dot(x, w)\nnn_output = sigmoid(h)\nerror = y - nn_output",
    "files = !ls\nif True:\n    %who\nerror_term = error * sigmoid_prime(h)\ndel_w = learnrate * error_term * x",
]
DOWNLOADED = """#!/usr/bin/env python
# coding: utf-8

# In[1]:


get_ipython().run_line_magic('matplotlib', 'inline')
import numpy as np
get_ipython().system('pip install numpy')


# In[2]:


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x) * (1 - sigmoid(x))


# In[ ]:


learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)
w = np.array([0.5, -0.5, 0.3, 0.1])


# In[4]:


get_ipython().run_line_magic('time', 'h = np.dot(x, w)')
nn_output = sigmoid(h)
error = y - nn_output


# In[5]:


files = get_ipython().getoutput('ls')
if True:
    get_ipython().run_line_magic('who', '')
error_term = error * sigmoid_prime(h)
del_w = learnrate * error_term * x
"""


def test_ipython_calls_become_comments_on_their_own_lines():
    read = notebook.downloaded(DOWNLOADED).splitlines()
    assert len(read) == len(DOWNLOADED.splitlines())
    assert read[6] == "# get_ipython().run_line_magic('matplotlib', 'inline')"
    assert read[42] == "# files = get_ipython().getoutput('ls')"
    assert read[44] == "    pass  # get_ipython().run_line_magic('who', '')"
    assert read[34] == "h = np.dot(x, w)  # get_ipython().run_line_magic('time', 'h = np.dot(x, w)')"  # %time runs it
    plain = (SUBMISSIONS / "correct_dot" / "gradient.py").read_text()
    assert notebook.downloaded(plain) == plain  # a file without the markers is left as it is


def test_a_downloaded_notebook_scores_as_the_notebook(fork_grader, tmp_path):
    (tmp_path / "as_py").mkdir()
    (tmp_path / "as_py" / "gradient.py").write_text(DOWNLOADED)
    (tmp_path / "as_ipynb").mkdir()
    document = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": source} for source in CELLS]}
    (tmp_path / "as_ipynb" / "gradient.ipynb").write_text(json.dumps(document))
    reports = {report.submission: report for report in fork_grader.grade(intake.find([tmp_path]).submissions)}
    assert reports["as_ipynb"].score == 5
    assert reports["as_py"].score == 5 and reports["as_py"].status.value == "completed"
    assert [check.line for check in reports["as_py"].checks] == [35, 36, 37, 46, 47]  # the file's own lines


def test_a_download_the_rewrite_makes_too_large_is_refused_not_cut(tmp_path):
    """Each get_ipython() line becomes a longer comment: a file just under 1 MiB could grow past what
    the sandbox reads, and be graded cut short. It is refused in one line, as a notebook's cells are."""
    import pytest

    from grader import intake
    from grader.intake.submission import MAX_SOURCE_BYTES

    line = "get_ipython().run_line_magic('matplotlib', 'inline')\n"
    path = tmp_path / "gradient.py"
    head = "#!/usr/bin/env python\n# coding: utf-8\n\n# In[1]:\n\n\n"
    path.write_text(head + line * ((MAX_SOURCE_BYTES - len(head)) // len(line) - 1))
    with pytest.raises(OSError, match="larger than 1048576 bytes"):
        intake.one(path, "gradient.py").read()


def test_a_notebook_of_many_lines_is_read_in_linear_time(tmp_path):
    """A cell of 200,000 lines, each opening a string it never closes on the line: read in one pass."""
    lines = ['s = """' if i % 2 == 0 else '"""' for i in range(200_000)]
    document = {"nbformat": 4, "cells": [{"cell_type": "code", "source": "\n".join(lines)},
                                         {"cell_type": "code", "source": "%time h = 1\n!ls"}]}
    code = notebook.script(json.dumps(document).encode())
    assert code.count("\n") >= 200_000 and code.rstrip().endswith("# !ls")


CRASHING_CELLS = [
    "import numpy as np\n\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))",
    "learnrate = 0.5\nx = np.array([1, 2, 3, 4])\ny = np.array(0.5)\nw = np.array([0.5, -0.5, 0.3, 0.1])",
    "# the forward pass\nh = np.dot(x, w) + bias_never_defined\nnn_output = sigmoid(h)",
    "error = y - nn_output\nerror_term = error * nn_output * (1 - nn_output)\ndel_w = learnrate * error_term * x",
]


def test_a_notebooks_error_names_its_cell_and_line(fork_grader, tmp_path):
    document = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": source} for source in CRASHING_CELLS]}
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
    assert json.loads(report_json.dump(report))["checks"][0]["place"] == "cell 3, line 2"
    assert '<a href="#L16">cell 3, line 2</a>' in html.student(report, None)
