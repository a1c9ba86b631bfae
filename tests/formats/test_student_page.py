"""A student's feedback page (grader/formats/html.py) after a crash: each name once, only the
line that failed marked."""

from __future__ import annotations

import re

from grader import intake
from grader.formats import html
from tests.snippets import CRASH


def test_a_crash_marks_only_its_line_and_names_each_variable_once(fork_grader, tmp_path):
    path = tmp_path / "gradient.py"
    path.write_text(CRASH)
    report = next(iter(fork_grader.grade(intake.find([path]).submissions)))
    checks = {check.name: check for check in report.checks}
    assert checks["nn_output"].message == ("`nn_output` was not reached: your code stopped at line 12 with "
                                           "`NameError` while computing `h` in the public case")
    page = html.student(report, CRASH)
    assert re.findall(r'<tr id="L(\d+)" class="fail">', page) == ["12"]
    assert ("<code>h</code></td><td>is wrong: your code stopped at line 12 with <code>NameError</code> while "
            "computing it in the public case") in page
    assert "<code>h</code></td><td><code>h</code>" not in page
    assert "<code>nn_output</code></td><td>was not reached" in page


def test_every_message_opens_with_its_name_so_views_show_it_once(fork_grader):
    """``Check.predicate`` leaves the opening name out beside a name column: every message must open with it."""
    from tests.conftest import SUBMISSIONS

    reports = list(fork_grader.grade(intake.find([SUBMISSIONS]).submissions))
    checks = [check for report in reports for check in report.checks]
    assert len(checks) >= 100
    assert all(check.message.startswith(f"`{check.name}` ") for check in checks)
    assert all(not check.predicate.startswith(f"`{check.name}`") for check in checks)


def test_the_line_that_raised_is_marked_even_when_it_is_no_steps(graders):
    from grader import quiz
    from grader.grade import Settings
    from tests.conftest import SEED
    from tests.test_collected import COLLECTED

    path = COLLECTED / "backprop" / "reshape_to_three.py"
    grader = graders(Settings(seed=SEED), quiz.load("backprop"))
    report = next(iter(grader.grade(intake.find([path], "backprop.py").submissions)))
    page = html.student(report, path.read_text())
    assert report.error.line == 30  # x_col = x.reshape(3, 1), in a hidden case with 2 inputs
    assert re.findall(r'<tr id="L(\d+)" class="fail">', page) == ["30", "31"]  # and the step it stopped
