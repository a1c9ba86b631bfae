"""What LTI keeps in the store, on SQLite and PostgreSQL: logins taken once, and the outbox (written
with the attempt, claimed in order per student and line item, leased, shared by replicas)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from grader.serve.store import Attempt, open_store
from grader.serve.store.lti import Passback

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=3)
ITEM = "https://lms.example/lineitems/7"


def submit(store, reports, user: str, which: str, minute: int, policy="best", lineitem=ITEM,
           issuer="https://lms.example") -> int:
    return store.record(Attempt(user=f"lti:{issuer}|{user}", name=user, quiz="gradient_descent", kind="submit",
                                at=NOW + timedelta(minutes=minute), source="# file\n", report=reports[which]),
                        Passback(issuer=issuer, client_id="c", lineitem=lineitem, subject=user, policy=policy))


def test_each_students_scores_are_claimed_in_order_and_one_at_a_time(store_url, reports):
    with open_store(store_url) as store:
        submit(store, reports, "alice", "error_reversed", 1)
        submit(store, reports, "alice", "correct_dot", 2)
        submit(store, reports, "bob", "correct_dot", 3)
        later = NOW + timedelta(hours=1)
        first = store.lti.claim(later, LEASE)
        second = store.lti.claim(later, LEASE)
        assert (first.subject, first.score, first.tries) == ("alice", reports["error_reversed"].score, 1)
        assert (second.subject, second.score) == ("bob", 5)  # alice's second waits for her first
        assert store.lti.claim(later, LEASE) is None
        store.lti.sent(first.id, later)
        third = store.lti.claim(later, LEASE)
        assert (third.subject, third.score, third.at) == ("alice", 5, NOW + timedelta(minutes=2))
        assert [row.sent is not None for row in store.lti.outbox()] == [True, False, False]


def test_a_failed_score_waits_its_turn_again_and_a_lapsed_lease_is_claimed_anew(store_url, reports):
    with open_store(store_url) as store:
        submit(store, reports, "alice", "correct_dot", 1)
        claimed = store.lti.claim(NOW + timedelta(minutes=2), LEASE)
        store.lti.retry(claimed.id, NOW + timedelta(minutes=10), "the line item answered 503")
        assert store.lti.claim(NOW + timedelta(minutes=9), LEASE) is None  # not due yet
        again = store.lti.claim(NOW + timedelta(minutes=10), LEASE)
        assert (again.id, again.tries, again.problem) == (claimed.id, 2, "the line item answered 503")
        # the replica holding it died: its lease runs out, and another claims it
        assert store.lti.claim(NOW + timedelta(minutes=11), LEASE) is None
        taken_over = store.lti.claim(NOW + timedelta(minutes=10) + LEASE, LEASE)
        assert (taken_over.id, taken_over.tries) == (claimed.id, 3)


@pytest.mark.parametrize(("policy", "expected"), [("best", [None, 5, 5]), ("latest", [None, 5, None])])
def test_the_grade_policy_decides_the_score_sent(store_url, reports, policy, expected):
    partial = reports["error_reversed"].score
    with open_store(store_url) as store:
        for minute, which in enumerate(("error_reversed", "correct_dot", "error_reversed")):
            submit(store, reports, "alice", which, minute, policy)
        submit(store, reports, "alice", "error_reversed", 5, policy, lineitem=ITEM + "-other")  # its own column
        assert [row.score for row in store.lti.outbox()] == [partial if value is None else value
                                                             for value in expected] + [partial]


def test_the_lms_keeps_the_last_row_written_whatever_the_clocks_said(store_url, reports):
    """The LMS keeps the Score with the latest timestamp: a replica whose clock ran behind once dated a
    later full-marks row before the partial one, so the gradebook kept the partial score."""
    with open_store(store_url) as store:
        submit(store, reports, "una", "error_reversed", 2)
        submit(store, reports, "una", "correct_dot", 1)  # written later, by a replica two minutes behind
        rows = store.lti.outbox()
        assert [row.score for row in rows] == [reports["error_reversed"].score, 5]
        assert rows[1].at == rows[0].at + timedelta(microseconds=1)


def test_two_submits_at_once_on_two_replicas_never_lower_the_best(store_url, reports):
    """Two replicas each read the best so far before the other wrote: the row written last could carry
    the lower score, and the LMS kept it."""
    students = [f"pupil{number}" for number in range(12)]
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def replica(which: str, minute: int) -> None:
        try:
            with open_store(store_url) as own:
                barrier.wait(timeout=300)
                for student in students:
                    submit(own, reports, student, which, minute)
        except BaseException as problem:  # told below: a replica that fails must not leave the other waiting
            failures.append(problem)
            barrier.abort()

    workers = [threading.Thread(target=replica, args=(which, minute))
               for which, minute in (("correct_dot", 1), ("error_reversed", 2))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not failures, failures
    with open_store(store_url) as store:
        for student in students:
            rows = [row for row in store.lti.outbox() if row.subject == student]
            assert len(rows) == 2 and max(rows, key=lambda row: (row.at, row.id)).score == 5, student


def test_replicas_claim_side_by_side_and_never_the_same_score(store_url, reports):
    with open_store(store_url) as store:
        for number in range(24):
            submit(store, reports, f"student{number}", "correct_dot", number)
    claimed: list[int] = []
    lock = threading.Lock()

    def replica() -> None:
        with open_store(store_url) as own:
            while (row := own.lti.claim(NOW + timedelta(hours=1), LEASE)) is not None:
                with lock:
                    claimed.append(row.id)

    workers = [threading.Thread(target=replica) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(claimed) == list(range(1, 25))


FRESH = timedelta(minutes=10)


def test_a_launchs_state_is_taken_once_and_its_record_goes_when_stale(store_url):
    with open_store(store_url) as store:
        assert store.lti.take_state("state-1", "https://lms.example", "n1", NOW, FRESH)
        assert not store.lti.take_state("state-1", "https://lms.example", "n1", NOW, FRESH)  # replayed
        assert store.lti.take_state("state-2", "https://lms.example", "n2", NOW, FRESH)
        assert store.lti.take_state("state-3", "https://lms.example", "n3", NOW + FRESH + timedelta(seconds=1), FRESH)
        with store.lti._pool.session(None, "test") as session:
            assert [tuple(row) for row in session.rows("SELECT state FROM lti_logins")] == [("state-3",)]


def test_a_student_launching_every_day_keeps_one_launch_row(store_url):
    """Each launch added a row, never removed: the class view scanned them all every 10 s."""
    from grader.serve.store.lti import Launch

    def launch(number: str, lineitem: str | None = ITEM, return_url: str | None = None) -> Launch:
        return Launch(id=number, user="lti:a|ana", issuer="https://lms.example", client_id="c", deployment_id="d",
                      subject="ana", quiz="gradient_descent", lineitem=lineitem, return_url=return_url)

    with open_store(store_url) as store:
        assert [store.lti.add_launch(launch(str(day)), NOW + timedelta(days=day)) for day in range(3)] == ["0"] * 3
        assert store.lti.add_launch(launch("other", ITEM + "0"), NOW) == "other"  # another activity
        assert store.lti.add_launch(launch("pick", None, "https://lms.example/return"), NOW) == "pick"
        assert store.lti.launch("pick") is not None
        store.lti.add_launch(launch("later", ITEM + "1"), NOW + timedelta(days=2))
        assert store.lti.launch("pick") is None  # a quiz chosen two days ago needs its launch no more
        assert store.lti.launch("0") is not None


def test_a_row_that_breaks_the_sender_is_tried_later_and_the_others_still_go(tmp_path, reports):
    """A hostile LMS's answer (or a broken row) that raises anything in the sender once killed both
    senders for good: no score left the server. It is now put back like any failed send."""
    import asyncio

    from grader.serve.lti.outbox import Outbox

    class Scores:
        def __init__(self):
            self.sent: list[str] = []

        async def send(self, row):
            if row.subject == "mallory":
                raise UnicodeEncodeError("ascii", "é", 0, 1, "an access token no header can carry")
            self.sent.append(row.subject)

        async def close(self):
            pass

    async def scenario(store) -> list[str]:
        scores = Scores()
        outbox = Outbox(store.lti, scores, first=60, senders=2, idle=0.01)
        outbox.start()
        for _ in range(2000):  # bounded: until both good rows went, or the senders died
            if len(scores.sent) == 2 or all(task.done() for task in outbox._tasks):
                break
            await asyncio.sleep(0.01)
        alive = not any(task.done() for task in outbox._tasks)
        await outbox.stop()
        return scores.sent if alive else []

    with open_store(str(tmp_path / "attempts.db")) as store:
        submit(store, reports, "mallory", "correct_dot", 1)
        submit(store, reports, "alice", "correct_dot", 2, lineitem="https://lms.example/lineitems/8")
        submit(store, reports, "bob", "correct_dot", 3, lineitem="https://lms.example/lineitems/9")
        sent = asyncio.run(scenario(store))
        assert sorted(sent) == ["alice", "bob"]
        broken = [row for row in store.lti.outbox() if row.sent is None]
        assert [row.subject for row in broken] == ["mallory"]  # kept, for a later try


def test_an_activitys_class_is_what_was_made_in_it(store_url, reports):
    """An instructor launched from one course's activity sees what was made there: never another
    course's students (a teacher of course B once read course A's class and code), nor what a student
    of both made in the other course (the second review saw course A's attempts in course B's view)."""
    from grader.serve.store.lti import Activity, Launch

    def launch(number: str, user: str, lineitem: str, issuer: str = "https://lms.example") -> str:
        return store.lti.add_launch(Launch(id=number, user=user, issuer=issuer, client_id="c", deployment_id="d",
                                           subject=user, quiz="gradient_descent", lineitem=lineitem), NOW)

    def attempt(user: str, launched: str | None, which: str = "correct_dot") -> None:
        store.record(Attempt(user=user, name=user, quiz="gradient_descent", kind="submit", at=NOW, source="# f\n",
                             report=reports[which], launch=launched))

    with open_store(store_url) as store:
        attempt("lti:a|ana", launch("1", "lti:a|ana", ITEM))
        attempt("lti:a|bo", launch("2", "lti:a|bo", ITEM + "0"), "error_reversed")  # course A only
        attempt("lti:a|ana", launch("3", "lti:a|ana", ITEM + "0"), "error_reversed")  # ana in both courses
        attempt("lti:b|dee", launch("4", "lti:b|dee", ITEM, "https://other.example"))  # same URL, another LMS
        attempt("proxy:eve", None)  # not from an LMS at all
        seen = store.students("gradient_descent", Activity("https://lms.example", "c", ITEM))
        assert [(row.user, row.submits, row.best_score) for row in seen] == [("lti:a|ana", 1, 5.0)]
        assert len(store.students("gradient_descent")) == 4  # the server's own instructors see everyone


def test_an_activitys_scores_are_its_platforms_not_another_naming_the_same_line_item(store_url, reports):
    """``/lti/grades`` listed the outbox by line item alone: a launch from platform B naming A's line
    item showed A's students. The column is the platform's and client's too."""
    from grader.serve.store.lti import Activity

    with open_store(store_url) as store:
        submit(store, reports, "ana", "correct_dot", 1)
        submit(store, reports, "zed", "error_reversed", 2, issuer="https://other.example")
        mine = store.lti.outbox(activity=Activity("https://lms.example", "c", ITEM))
        assert [row.subject for row in mine] == ["ana"]
        assert [row.subject for row in store.lti.outbox(activity=Activity("https://other.example", "c", ITEM))] == [
            "zed"]
