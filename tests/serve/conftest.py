"""The quiz page's servers as a class meets them: behind the README's nginx, and as replicas; and
the databases they keep attempts in (a real PostgreSQL, started once for the run)."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Sequence

import pytest

from grader import intake

from ..conftest import SEED, SUBMISSIONS
from .replicas import Replicas, behind_one_nginx


@pytest.fixture(scope="module")
def proxied(tmp_path_factory) -> Iterator[Replicas]:
    """One ``gdgrade serve`` (seeded, two jobs, attempts in SQLite) behind nginx with the README's
    location block: ``proxied.url`` is the page's address through nginx (``.../quiz/``)."""
    folder = tmp_path_factory.mktemp("proxied")
    arguments = ["--seed", str(SEED), "--jobs", "2", "--db", str(folder / "attempts.sqlite")]
    with behind_one_nginx(folder, [arguments]) as one:
        yield one


@pytest.fixture
def replicas(tmp_path) -> Iterator[Callable[..., Replicas]]:
    """``replicas(args_0, args_1, ...)``: one ``gdgrade serve`` per argument list (its extra
    arguments, e.g. ``["--db", postgres_url]`` for each), behind one nginx ``upstream`` with
    ``proxy_next_upstream``; stopped at the end of the test. See tests/serve/replicas.py."""
    numbers = itertools.count()
    with contextlib.ExitStack() as stack:
        def start(*each: Sequence[str]) -> Replicas:
            return stack.enter_context(behind_one_nginx(tmp_path / f"replicas-{next(numbers)}", each))

        yield start


@pytest.fixture(scope="session")
def postgres():
    """One real PostgreSQL for the whole run (tests/postgres.py): Debian's, in a temporary folder."""
    from tests.postgres import Postgres

    server = Postgres.start()
    yield server
    server.remove()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """The URL of a new, empty attempt store: an SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "store" / "attempts.db")
    return request.getfixturevalue("postgres").create_database()


@pytest.fixture(scope="module")
def reports(fork_grader):
    """A full-marks report and a partial one, for attempts a test writes into a store itself."""
    found = {name: next(fork_grader.grade([intake.one(SUBMISSIONS / name / "gradient.py", "gradient.py")]))
             for name in ("correct_dot", "error_reversed")}
    assert found["correct_dot"].score == 5 and 0 < found["error_reversed"].score < 5
    return found
