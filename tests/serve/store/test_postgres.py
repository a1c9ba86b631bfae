"""Several replicas behind one nginx (tests/serve/replicas.py), sharing one PostgreSQL: both serve
the page, and when one is killed (SIGKILL: a machine lost) the other answers everything, the
student's session included."""

from __future__ import annotations

import time

import httpx

from grader.serve.store import open_store
from tests.conftest import SEED, SUBMISSIONS
from tests.serve.students import student

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


def test_every_answered_attempt_is_kept_when_a_replica_is_killed_under_load(replicas, postgres):
    """Four students submit without pause through nginx to two replicas on one PostgreSQL; one replica
    is killed (SIGKILL) mid-stream. Every attempt a student got an answer for is in the database,
    whichever replica answered it; what the dead one was grading is answered by nobody (nginx does
    not send a POST twice) and may or may not be kept."""
    import threading
    import uuid

    database = postgres.create_database()
    both = replicas(*[["--db", database, "--jobs", "1", "--rate", "0", "--quota", "0"]] * 2)
    answered: list[tuple[str, str]] = []  # (the page's user, the attempt's marker)
    lock, killed, done = threading.Lock(), threading.Event(), threading.Event()
    after_kill = [0] * 4

    give_up = time.monotonic() + 600  # bounds a broken test only: a loaded machine may be slow, never stuck

    def submit_until_done(number: int) -> None:
        with student(both.url) as browser:
            while not done.is_set() and time.monotonic() < give_up:
                marker = uuid.uuid4().hex
                try:
                    answer = browser.post("api/check", json={"source": f"# attempt {marker}\n" + RIGHT})
                except httpx.HTTPError:  # the connection the kill cut: no answer, so nothing to find
                    continue
                if answer.status_code != 200:  # 502 while nginx learns a replica is gone: try again shortly
                    time.sleep(0.05)
                if answer.status_code == 200:
                    with lock:
                        answered.append((answer.json()["submission"], marker))
                        after_kill[number] += killed.is_set()
                        if killed.is_set() and min(after_kill) >= 3:
                            done.set()

    threads = [threading.Thread(target=submit_until_done, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    deadline = threading.Event()
    try:
        while len(answered) < 8 and not deadline.wait(0.05):  # load is flowing through both replicas
            assert all(thread.is_alive() for thread in threads)
        both.kill(0)
        killed.set()
        for thread in threads:
            thread.join(timeout=600)
    finally:
        done.set()
    assert not any(thread.is_alive() for thread in threads) and min(after_kill) >= 3
    with open_store(database) as store:
        kept = {(recorded.attempt.user, recorded.attempt.source.split("\n", 1)[0].removeprefix("# attempt "))
                for user in {user for user, _ in answered}
                for recorded in store.attempts(user, "gradient_descent", limit=10_000)}
    assert set(answered) <= kept  # every answer's attempt was written before it left
    assert len(set(answered)) == len(answered) >= 8 + 12
