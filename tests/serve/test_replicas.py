"""Several replicas behind one nginx (tests/serve/replicas.py), sharing one PostgreSQL: both serve
the page, and when one is killed (SIGKILL: a machine lost) the other answers everything, the
student's session included."""

from __future__ import annotations

from grader.serve.store import open_store

from ..conftest import SEED, SUBMISSIONS
from .students import student

RIGHT = (SUBMISSIONS / "correct_dot" / "gradient.py").read_text()
FORGOT = (SUBMISSIONS / "forgot_learnrate" / "gradient.py").read_text()


def test_two_replicas_serve_the_page_and_the_one_left_answers_after_the_other_is_killed(replicas, postgres):
    database = postgres.create_database()
    both = replicas(*[["--db", database, "--seed", str(SEED), "--jobs", "1", "--rate", "0"]] * 2)
    with student(both.url) as browser:
        for _ in range(4):
            assert browser.get("api/quiz").status_code == 200
        assert set(both.answered_by()) == {0, 1}  # nginx shares the requests out between them
        assert browser.post("api/check", json={"source": FORGOT}).json()["score"] == 4

        both.kill(0)
        assert both.servers[0].process.poll() is not None
        since = len(both.answered_by())
        for _ in range(3):
            page = browser.get("")
            assert page.status_code == 200 and '<textarea id="code"' in page.text
            assert browser.post("api/run", json={"source": RIGHT}).status_code == 200
            checked = browser.post("api/check", json={"source": RIGHT})  # the session holds on either replica
            assert checked.status_code == 200 and checked.json()["score"] == 5, checked.text
        assert set(both.answered_by()[since:]) == {1}
        assert both.servers[1].process.poll() is None
    with open_store(database) as store:
        [kept] = store.students("gradient_descent")
    assert (kept.attempts, kept.submits, kept.best_score, kept.last_score) == (7, 4, 5, 5)
