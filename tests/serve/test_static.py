"""The quiz page in real headless Chromium, against a running ``gdgrade serve`` (honest files only),
directly and behind nginx with the README's location block."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions

from tests.conftest import ARTIFACTS, SEED, SUBMISSIONS, console_errors
from tests.serve.page import paste, result_text, submit, wait_for, wait_ready
from tests.serve.servers import serving

FORGOT = (SUBMISSIONS / "forgot_learnrate" / "gradient.py").read_text()
ADMIN_TOKEN = "token-for-the-class-page"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    with serving(folder, ["--seed", str(SEED), "--jobs", "2", "--db", str(folder / "attempts.sqlite"),
                          "--admin-token", ADMIN_TOKEN]) as running:
        yield running.url


def test_a_student_works_through_the_quiz(browser, server, quiz):
    browser.set_window_size(1280, 1000)
    browser.get(server)
    wait_ready(browser)
    assert browser.find_element(By.ID, "title").text == quiz.title
    assert "[-0.02031869 -0.04063738 -0.06095608 -0.08127477]" in browser.find_element(By.ID, "expected").text
    code = browser.find_element(By.ID, "code")
    assert code.get_attribute("value") == quiz.starter_source
    assert not browser.find_element(By.ID, "tab-solution").is_displayed()

    submit(browser, FORGOT, "Your answer: 4 of 5")  # every step right but del_w, which forgets the learning rate
    assert "Hint: The step is scaled by the learning rate" in result_text(browser)
    line = FORGOT.splitlines().index("del_w = error_term * x") + 1
    marked = [span.get_attribute("textContent") for span in browser.find_elements(By.CSS_SELECTOR, "#gutter span.fail")]
    assert marked == [str(line)]
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "page-wrong.png"))

    browser.find_element(By.XPATH, f"//button[text()='line {line}']").click()  # the editor jumps to it
    start, end = browser.execute_script("var c = document.getElementById('code');"
                                        "return [c.selectionStart, c.selectionEnd];")
    assert code.get_attribute("value")[start:end] == "del_w = error_term * x"
    code.send_keys("del_w = learnrate * error_term * x")  # typed over the selected line
    code.send_keys(Keys.CONTROL, Keys.SHIFT, Keys.ENTER)  # submit from the keyboard
    wait_for(browser, lambda driver: "Your answer: 5 of 5" in result_text(driver))
    assert "every variable is correct" in result_text(browser)
    solution_tab = wait_for(browser, expected_conditions.visibility_of_element_located((By.ID, "tab-solution")))
    solution_tab.click()
    assert "def sigmoid" in browser.find_element(By.ID, "solution").text
    browser.save_screenshot(str(ARTIFACTS / "page-solved.png"))
    browser.find_element(By.ID, "tab-file").click()

    code.send_keys(Keys.CONTROL, Keys.ENTER)  # a test run
    wait_for(browser, lambda driver: "Test run" in result_text(driver))
    assert "[-0.02031869 -0.04063738 -0.06095608 -0.08127477]" in result_text(browser)

    browser.refresh()  # the code is kept in the browser
    wait_for(browser, lambda driver: "learnrate * error_term * x" in driver.find_element(
        By.ID, "code").get_attribute("value"))

    browser.find_element(By.ID, "reset").click()
    browser.find_element(By.ID, "reset-yes").click()
    assert browser.find_element(By.ID, "code").get_attribute("value") == quiz.starter_source
    browser.refresh()
    wait_ready(browser)
    assert browser.find_element(By.ID, "code").get_attribute("value") == quiz.starter_source
    assert console_errors(browser) == []


def test_the_editor_indents_and_lets_the_keyboard_out(browser, server):
    browser.get(server)
    wait_ready(browser)
    paste(browser, "")
    code = browser.find_element(By.ID, "code")
    code.send_keys("def f():", Keys.ENTER, "return 1", Keys.ENTER, Keys.TAB, "x")
    assert code.get_attribute("value") == "def f():\n    return 1\n        x"
    code.send_keys(Keys.SHIFT, Keys.TAB)
    assert code.get_attribute("value") == "def f():\n    return 1\n    x"
    code.send_keys(Keys.ESCAPE, Keys.TAB)  # Esc, then Tab: focus moves on to the buttons
    assert browser.switch_to.active_element.get_attribute("id") == "run"
    assert [span.get_attribute("textContent") for span in browser.find_elements(By.CSS_SELECTOR, "#gutter span")] == [
        "1", "2", "3"]


def test_the_page_fits_a_phone(browser, server):
    browser.set_window_size(390, 844)
    browser.get(server)
    wait_ready(browser)
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the screen: no sideways scrolling
    browser.save_screenshot(str(ARTIFACTS / "page-phone.png"))
    browser.set_window_size(1200, 1600)


def test_an_instructor_signs_in_and_sees_the_class(browser, server):
    browser.get(server)
    wait_ready(browser)
    submit(browser, FORGOT, "Your answer: 4 of 5")
    browser.get(server + "/class")
    token = wait_for(browser, expected_conditions.visibility_of_element_located((By.ID, "token")))
    token.send_keys("not the token", Keys.ENTER)
    problem = wait_for(browser, expected_conditions.visibility_of_element_located((By.ID, "signin-problem")))
    assert problem.text == "that is not this page's instructor token"
    token.clear()
    token.send_keys(ADMIN_TOKEN, Keys.ENTER)
    wait_for(browser, expected_conditions.visibility_of_element_located((By.ID, "students")))
    wait_for(browser, lambda driver: driver.find_elements(By.CSS_SELECTOR, "#students tbody tr"))
    rows = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in browser.find_elements(By.CSS_SELECTOR, "#students tbody tr")]
    mine = [row for row in rows if row[6] == "del_w: learning rate forgotten"]
    assert mine and mine[0][4] == "4"  # their last Submit (this browser may have solved it earlier: best is theirs)
    assert "del_w" in browser.find_element(By.ID, "variables").text
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "class-page.png"))
    assert [error for error in console_errors(browser) if "/api/login" not in error] == []  # the wrong token's 403


def test_the_page_works_behind_the_readmes_nginx_block(browser, proxied, quiz):
    """Under /quiz/ as the README's block serves it: the page, its style and script, its API; the
    prefix typed without its slash lands on the page."""
    browser.set_window_size(1280, 1000)
    browser.get(proxied.nginx.url + "/quiz")
    wait_ready(browser)  # the script ran, and read api/quiz and api/me through the proxy
    assert browser.current_url == proxied.url
    assert browser.find_element(By.ID, "title").text == quiz.title
    assert browser.execute_script("return getComputedStyle(document.querySelector('main')).display") == "grid"
    assert browser.find_element(By.ID, "code").get_attribute("value") == quiz.starter_source

    paste(browser, FORGOT)
    browser.find_element(By.ID, "run").click()
    wait_for(browser, lambda driver: "Test run" in result_text(driver))
    assert "[-0.04063738 -0.08127477 -0.12191215 -0.16254953]" in result_text(browser)
    browser.find_element(By.ID, "submit").click()
    wait_for(browser, lambda driver: "Your answer: 4 of 5" in result_text(driver))
    assert "Hint: The step is scaled by the learning rate" in result_text(browser)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "page-behind-nginx.png"))


def test_after_a_crash_the_page_marks_only_the_failing_line_and_names_each_variable_once(browser, server):
    from tests.snippets import CRASH

    browser.get(server)
    wait_ready(browser)
    submit(browser, CRASH, "Your answer: 0 of 5")
    marked = [span.get_attribute("textContent") for span in browser.find_elements(By.CSS_SELECTOR, "#gutter span.fail")]
    assert marked == ["12"]
    items = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "ul.checks li")]
    assert items[0].startswith("wrongh is wrong: your code stopped at line 12")  # outcome, name, message
    assert items[1].startswith("missingnn_output was not reached: your code stopped at line 12 with NameError "
                               "while computing h")
    assert console_errors(browser) == []
