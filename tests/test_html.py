"""The class overview and feedback pages in real headless Chromium (Debian's chromium and chromium-driver)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from .conftest import ARTIFACTS, SEED, SUBMISSIONS, console_errors


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "out"
    result = subprocess.run([sys.executable, "-m", "grader", "grade", str(SUBMISSIONS), "--out", str(out),
                             "--seed", str(SEED)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return out


def scores(browser) -> list[float]:
    rows = browser.find_elements("css selector", "#students tbody tr")
    return [float(row.find_elements("css selector", "td")[2].get_attribute("data-value")) for row in rows]


def test_overview_loads_sorts_and_links(browser, site):
    browser.get((site / "index.html").as_uri())
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

    header = browser.find_element("xpath", "//table[@id='students']//th[text()='score']")
    header.click()
    assert scores(browser) == sorted(scores(browser)) and len(scores(browser)) == 22
    header.click()
    assert scores(browser) == sorted(scores(browser), reverse=True)
    browser.find_element("xpath", "//table[@id='students']//th[text()='submission']").click()
    names = [row.text.split()[0] for row in browser.find_elements("css selector", "#students tbody tr")]
    assert names == sorted(names)

    links = [a.get_attribute("href") for a in browser.find_elements("css selector", "#students a")]
    assert len(links) == 22
    for link in links:
        assert Path(unquote(link.removeprefix("file://"))).is_file(), link
    assert console_errors(browser) == []


def test_feedback_page_marks_the_failing_lines(browser, site):
    browser.get((site / "index.html").as_uri())
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
