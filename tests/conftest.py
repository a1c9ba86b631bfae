"""Shared fixtures: the quiz, its cases, and graders on both start paths."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader import quiz as quiz_module
from grader.grade import Grader, Settings

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "submissions" / "gradient_descent"
QUIZZES = ("gradient_descent", "backprop")
"""The shipped quizzes: tests of what every quiz must be are parametrized over them."""
LINEAR = Path(__file__).resolve().parent / "linear_unit"
"""A quiz of an instructor's own (tests/linear_unit), copied out of the repository by the tests that use it."""
SEED = 20261126
"""The hidden cases' seed for tests that name a case; a batch without --seed draws its own."""
ARTIFACTS = ROOT / "test-artifacts"
"""Screenshots of the browser tests."""


def pytest_addoption(parser):
    parser.addoption("--write-report-schema", action="store_true",
                     help="write tests/data/report.schema.json from the report's models, once SCHEMA_VERSION is bumped")


@pytest.fixture(scope="session")
def quiz() -> quiz_module.Quiz:
    return quiz_module.load("gradient_descent")


def quiz_with(folder: Path, snippet: str = "") -> Path:
    """``folder``: a copy of the linear-unit quiz, changed by ``snippet`` (run after QUIZ is defined)."""
    shutil.copytree(LINEAR, folder, ignore=shutil.ignore_patterns("__pycache__"))
    if snippet:
        with (folder / "__init__.py").open("a") as init:
            init.write("\nimport dataclasses\n\n" + textwrap.dedent(snippet))
    return folder


@pytest.fixture(scope="session", params=QUIZZES)
def each_quiz(request) -> quiz_module.Quiz:
    """Every shipped quiz in turn."""
    return quiz_module.load(request.param)


@pytest.fixture(scope="session")
def graded_samples(tmp_path_factory) -> Path:
    """The --out folder of ``gdgrade grade submissions/gradient_descent --seed SEED``, graded once for
    every test that reads a whole batch's files (none may change them)."""
    out = tmp_path_factory.mktemp("samples") / "out"
    result = subprocess.run([sys.executable, "-m", "grader", "grade", str(SUBMISSIONS), "--out", str(out),
                             "--seed", str(SEED)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="session")
def cases(quiz):
    return quiz.cases(None, SEED)


@pytest.fixture(scope="session")
def graders(quiz):
    """``graders(settings)``: a started two-slot grader for those settings (of the first quiz, or of
    ``of``), shared by every test asking for them."""
    made: dict[tuple[str, Settings], Grader] = {}

    def grader_for(settings: Settings, of: quiz_module.Quiz = quiz) -> Grader:
        if (of.name, settings) not in made:
            made[of.name, settings] = Grader(of, settings, 2)
        return made[of.name, settings]

    yield grader_for
    for grader in made.values():
        grader.close()


@pytest.fixture(scope="session", params=["fork", "spawn"])
def path(request) -> str:
    """Every test using it runs on both the fork and the spawn path."""
    return request.param


@pytest.fixture(scope="session")
def grader(graders, path):
    """A two-slot grader with default settings, on both paths."""
    return graders(Settings(spawn=path == "spawn", seed=SEED))


@pytest.fixture(scope="session")
def fork_grader(graders):
    return graders(Settings(seed=SEED))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chromium(tmp_path_factory.mktemp("chromium"))
    yield driver
    driver.quit()


def chromium(profile: Path, prefs: dict[str, object] | None = None):
    """Debian's headless Chromium through its driver, with its profile in ``profile`` and ``prefs`` set."""
    from selenium import webdriver  # in the test extras
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        pytest.fail("Chromium is not installed: .ci/run installs Debian's chromium and chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-quic", "--window-size=1200,1600",
                     f"--user-data-dir={profile}"):
        options.add_argument(argument)
    if prefs:
        options.add_experimental_option("prefs", prefs)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver_path), options=options)


def console_errors(browser) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.fixture(scope="session", autouse=True)
def data_home(tmp_path_factory):
    """gdgrade serve keeps its default database in the user's data folder: in the suite, a temporary
    one (inherited by every server the tests start), so no test writes into the home folder."""
    folder = tmp_path_factory.mktemp("data-home")
    previous = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = previous
