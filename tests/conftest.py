"""Shared fixtures: the quiz, its cases, and graders on both start paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import quiz as quiz_module
from grader.grade import Grader, Settings

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "submissions"
SEED = 20261126
"""The hidden cases' seed for tests that name a case; a batch without --seed draws its own."""


@pytest.fixture(scope="session")
def quiz() -> quiz_module.Quiz:
    return quiz_module.load("gradient_descent")


@pytest.fixture(scope="session")
def cases(quiz):
    return quiz.cases(None, SEED)


@pytest.fixture(scope="session")
def graders(quiz):
    """``graders(settings)``: a started two-slot grader for those settings, shared by every test asking for them."""
    made: dict[Settings, Grader] = {}

    def grader_for(settings: Settings) -> Grader:
        if settings not in made:
            made[settings] = Grader(quiz, settings, 2)
        return made[settings]

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
