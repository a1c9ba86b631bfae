"""Driving the quiz page in Chromium as a student does: wait for it, paste a file, read the result."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def wait_for(browser, condition, seconds: float = 60):
    return WebDriverWait(browser, seconds).until(condition)


def wait_ready(browser) -> None:
    """Until the page has its quiz and its session (the title alone says "gdgrade" before either)."""
    wait_for(browser, lambda driver: driver.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "true")


def result_text(browser) -> str:
    return browser.find_element(By.ID, "result").text


def paste(browser, text: str) -> None:
    """What pasting a whole file does: the editor's text replaced, its input event fired."""
    browser.execute_script("var code = document.getElementById('code'); code.focus(); code.select();"
                           "document.execCommand('insertText', false, arguments[0]);", text)


def submit(browser, source: str, expect: str) -> None:
    """Paste ``source``, press Submit, and wait until the result says ``expect``."""
    paste(browser, source)
    browser.find_element(By.ID, "submit").click()
    wait_for(browser, lambda driver: expect in result_text(driver))
