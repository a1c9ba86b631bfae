"""The pages gdgrade writes (grader/formats/html.py): the class overview and feedback pages in real
headless Chromium (Debian's chromium and chromium-driver), and a student's page after a crash: each
name once, only the line that failed marked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from grader import intake
from grader.formats import html
from tests.axe import violations
from tests.conftest import ARTIFACTS, ROOT, SEED, SUBMISSIONS, console_errors
from tests.snippets import CRASH


def scores(browser) -> list[float]:
    rows = browser.find_elements("css selector", "#students tbody tr")
    return [float(row.find_elements("css selector", "td")[2].get_attribute("data-value")) for row in rows]


def test_overview_loads_sorts_and_links(browser, graded_samples):
    browser.get((graded_samples / "index.html").as_uri())
    assert browser.title == "gdgrade: gradient_descent"
    assert console_errors(browser) == []
    bins = [bar.text.split() for bar in browser.find_elements("css selector", "#histogram div")]
    assert bins == [["0", "3"], ["1", "0"], ["2", "0"], ["3", "1"], ["4", "12"], ["5", "6"]]  # empty bins shown
    assert len(browser.find_elements("css selector", "#variables tr")) == 6
    statuses = [row.text for row in browser.find_elements("css selector", "#statuses tr")][1:]
    assert statuses == ["completed 19 ran to the end of the file",
                        "runtime_error 2 the code raised an exception or exited with an error status",
                        "syntax_error 1 not valid Python, so not run"]
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "index.png"))

    header = browser.find_element("xpath", "//table[@id='students']//th[.='score']//button")
    header.click()
    assert scores(browser) == sorted(scores(browser)) and len(scores(browser)) == 22
    header.click()
    assert scores(browser) == sorted(scores(browser), reverse=True)
    browser.find_element("xpath", "//table[@id='students']//th[.='submission']//button").click()
    names = [row.text.split()[0] for row in browser.find_elements("css selector", "#students tbody tr")]
    assert names == sorted(names)

    links = [a.get_attribute("href") for a in browser.find_elements("css selector", "#students a")]
    assert len(links) == 22
    for link in links:
        assert Path(unquote(link.removeprefix("file://"))).is_file(), link
    assert console_errors(browser) == []


def test_feedback_page_marks_the_failing_lines(browser, graded_samples):
    browser.get((graded_samples / "index.html").as_uri())
    browser.find_element("link text", "forgot_learnrate").click()
    assert browser.title == "forgot_learnrate: gdgrade"
    assert console_errors(browser) == []
    marked = browser.find_elements("css selector", "table.code tr.fail")
    assert [row.get_attribute("id") for row in marked] == ["L49"]
    assert "learnrate * error_term * x" not in marked[0].text and "del_w = error_term * x" in marked[0].text
    assert "learning rate" in browser.find_element("id", "checks").text
    assert "`" not in browser.find_element("id", "checks").text  # Markdown backticks are set as code
    code = browser.find_elements("css selector", "#checks code")
    assert "del_w" in [element.text for element in code]
    browser.save_screenshot(str(ARTIFACTS / "feedback.png"))
    browser.find_element("link text", "← class overview").click()
    assert browser.title == "gdgrade: gradient_descent"


def test_every_page_gdgrade_writes_has_no_accessibility_violation(browser, graded_samples):
    """axe-core finds nothing on the class overview (as loaded, and once sorted and filtered) or on any
    student's page, whatever its status: completed, wrong steps, runtime and syntax errors."""
    pages = ["index.html", *sorted(path.name for path in graded_samples.glob("*.html") if path.name != "index.html")]
    assert len(pages) == 23
    for page in pages:
        browser.get((graded_samples / page).as_uri())
        assert violations(browser) == [], page
    browser.get((graded_samples / "index.html").as_uri())
    browser.find_element("xpath", "//table[@id='students']//th[.='score']//button").click()
    browser.find_element("id", "filter").send_keys("error")
    assert violations(browser) == []


def test_the_students_table_sorts_from_the_keyboard_and_says_how(browser, graded_samples):
    """Each sort header is a button: Tab reaches it, Enter or Space sorts, and aria-sort says which
    column sorts the table and which way (the others say nothing)."""
    from selenium.webdriver.common.keys import Keys

    browser.get((graded_samples / "index.html").as_uri())
    headers = browser.find_elements("css selector", "#students th")
    assert [header.get_attribute("aria-sort") for header in headers] == [None] * len(headers)
    score = browser.find_element("xpath", "//table[@id='students']//th[.='score']")
    button = score.find_element("tag name", "button")
    browser.find_element("id", "by-mistake").send_keys(Keys.TAB)  # past the pager (disabled: one page) to the headers
    assert browser.switch_to.active_element.text == "submission"
    button.send_keys(Keys.ENTER)
    assert score.get_attribute("aria-sort") == "ascending" and scores(browser) == sorted(scores(browser))
    button.send_keys(Keys.SPACE)
    assert score.get_attribute("aria-sort") == "descending"
    assert scores(browser) == sorted(scores(browser), reverse=True)
    assert [h.get_attribute("aria-sort") for h in headers if h != score] == [None] * (len(headers) - 1)


@pytest.fixture(scope="module")
def lms_site(tmp_path_factory) -> Path:
    """The Canvas example graded with its gradebook: one late student, one not on the roster."""
    root = ROOT / "examples" / "lms" / "canvas"
    out = tmp_path_factory.mktemp("lms-site") / "out"
    result = subprocess.run([sys.executable, "-m", "grader", "grade", str(root / "submissions.zip"), "--out", str(out),
                             "--roster", str(root / "gradebook.csv"), "--assignment", "Gradient Descent Quiz",
                             "--seed", str(SEED)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return out


def table(browser) -> list[list[str]]:
    """The students' table as shown: each cell's text, a variable's letter with its outcome."""
    return [[cell.text + (f"={cell.find_element('tag name', 'abbr').get_attribute('title')}"
                          if cell.find_elements("tag name", "abbr") else "")
             for cell in row.find_elements("css selector", "td")]
            for row in browser.find_elements("css selector", "#students tbody tr")]


def test_the_class_page_of_an_lms_batch_names_students_and_their_import(browser, lms_site):
    """Roster names, not the download's mangled ids; a late column; who went into the import file and
    who is in unmatched.csv; each variable's outcome as a letter with a colour and a legend; filters
    by outcome, known mistake and import; and no accessibility violation, filtered or not."""
    from selenium.webdriver.support.ui import Select

    browser.get((lms_site / "index.html").as_uri())
    assert console_errors(browser) == []
    headers = [th.text for th in browser.find_elements("css selector", "#students th")]
    assert headers[:6] == ["submission", "student", "late", "import", "status", "score"]
    rows = table(browser)
    assert rows[0] == ["doejane_23456", "Doe, Jane", "late", "imported", "completed", "4/5", "C=correct",
                       "C=correct", "C=correct", "C=correct", "W=wrong"]
    assert rows[1][:4] == ["ghostgus_99999", "ghostgus", "on time", "unmatched"]  # not on the roster: its own name
    assert [row[1] for row in rows] == ["Doe, Jane", "ghostgus", "Lee, Bo", "Smith, John"]
    wrong = browser.find_element("css selector", "#students td.oW")
    assert wrong.value_of_css_property("color") == "rgba(179, 38, 30, 1)"
    legend = browser.find_element("id", "legend").text
    assert "C correct (passes)" in legend and "F consistent" in legend and "W wrong" in legend
    assert violations(browser) == []
    Select(browser.find_element("id", "by-outcome")).select_by_visible_text("del_w wrong")
    assert [row[0] for row in table(browser)] == ["doejane_23456"]
    Select(browser.find_element("id", "by-outcome")).select_by_visible_text("any")
    Select(browser.find_element("id", "by-mistake")).select_by_visible_text("del_w: learning rate forgotten (1)")
    assert [row[0] for row in table(browser)] == ["doejane_23456"]
    Select(browser.find_element("id", "by-mistake")).select_by_visible_text("any")
    Select(browser.find_element("id", "by-import")).select_by_visible_text("in unmatched.csv")
    assert [row[0] for row in table(browser)] == ["ghostgus_99999"]
    assert violations(browser) == []
    browser.save_screenshot(str(ARTIFACTS / "lms-index.png"))


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
    reports = list(fork_grader.grade(intake.find([SUBMISSIONS]).submissions))
    checks = [check for report in reports for check in report.checks]
    assert len(checks) >= 100
    assert all(check.message.startswith(f"`{check.name}` ") for check in checks)
    assert all(not check.predicate.startswith(f"`{check.name}`") for check in checks)


def test_the_line_that_raised_is_marked_even_when_it_is_no_steps(graders):
    from grader import quiz
    from grader.grade import Settings
    from tests.test_collected import COLLECTED

    path = COLLECTED / "backprop" / "reshape_to_three.py"
    grader = graders(Settings(seed=SEED), quiz.load("backprop"))
    report = next(iter(grader.grade(intake.find([path], "backprop.py").submissions)))
    page = html.student(report, path.read_text())
    assert report.error.line == 30  # x_col = x.reshape(3, 1), in a hidden case with 2 inputs
    assert re.findall(r'<tr id="L(\d+)" class="fail">', page) == ["30", "31"]  # and the step it stopped
