"""Shared fixtures: the quiz, its cases, and runner pools on both start paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import quiz as quiz_module
from grader.pool import Pool

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "submissions"


@pytest.fixture(scope="session")
def quiz() -> quiz_module.Quiz:
    return quiz_module.load("gradient_descent")


@pytest.fixture(scope="session")
def cases(quiz):
    return quiz.cases()


@pytest.fixture(scope="session", params=["fork", "spawn"])
def pool(request):
    """A two-runner pool; every test using it runs on both the fork and the spawn path."""
    with Pool(2, spawn=request.param == "spawn") as shared:
        yield shared


@pytest.fixture(scope="session")
def fork_pool():
    with Pool(2) as shared:
        yield shared
