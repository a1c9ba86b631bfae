"""Every attempt on the page kept, with who made it, before it is answered; quotas; the instructor's view.

Each runs on SQLite and on a real PostgreSQL (the ``store_url`` fixture).
"""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile

import pytest

from grader.grade import Settings
from grader.serve.app import Options, create_app
from grader.serve.store import open_store
from tests.conftest import SEED, SUBMISSIONS
from tests.serve.students import Student

RIGHT = (SUBMISSIONS / "correct_dot" / "gradient.py").read_text()
FORGOT = (SUBMISSIONS / "forgot_learnrate" / "gradient.py").read_text()
PROXY = ("127.0.0.1", 40000)


@contextlib.contextmanager
def class_server(quiz, url, **options):
    """A server behind a trusted proxy that names students in X-Remote-User, keeping attempts at ``url``."""
    store = open_store(url)
    options.setdefault("user_header", "X-Remote-User")
    app = create_app(quiz, Settings(seed=SEED, timeout=5), Options(jobs=2, store=store, seed=SEED, **options))
    try:
        with Student(app, client=PROXY, headers={"X-Remote-User": "teacher"}) as lifespan:
            lifespan.store = store
            yield app, store
    finally:
        store.close()


def student(app, name: str, address: tuple[str, int] = PROXY) -> Student:
    return Student(app, client=address, headers={"X-Remote-User": name}).start()


def test_each_attempt_is_kept_with_who_made_it_on_hidden_cases_of_its_own(quiz, store_url):
    with class_server(quiz, store_url) as (app, store):
        ana = student(app, "ana")
        assert ana.get("/api/me").json()["name"] == "ana"
        assert ana.post("/api/run", json={"source": FORGOT}).status_code == 200
        assert ana.post("/api/check", json={"source": FORGOT}).json()["score"] == 4
        assert ana.post("/api/check", json={"source": FORGOT}).json()["score"] == 4
        kept = store.attempts("proxy:ana", quiz.name)  # newest first
        assert [(r.attempt.kind, r.attempt.name, r.attempt.source) for r in kept] == [
            ("submit", "ana", FORGOT), ("submit", "ana", FORGOT), ("run", "ana", FORGOT)]
        seeds = {r.attempt.report.grading.seed for r in kept}
        assert len(seeds) == 3  # every attempt drew its own hidden cases: none can be mapped out
        assert kept[0].attempt.report.checks[-1].cases[1].expected is not None  # the instructor's copy is whole
        [row] = store.students(quiz.name)
        assert (row.user, row.name, row.attempts, row.submits, row.best_score, row.last_score) == (
            "proxy:ana", "ana", 3, 2, 4.0, 4.0)


def test_the_user_header_counts_only_from_the_proxy(quiz, store_url):
    with class_server(quiz, store_url) as (app, store):
        outsider = Student(app, client=("198.51.100.7", 5000), headers={"X-Remote-User": "ana"})
        refused = outsider.get("/api/me")
        assert refused.status_code == 403 and "through the proxy" in refused.json()["detail"]
        nameless = Student(app, client=PROXY).get("/api/me")
        assert nameless.status_code == 401 and "X-Remote-User" in nameless.json()["detail"]
        ana = student(app, "ana")
        ana.headers["X-Remote-User"] = "bo"  # the proxy now names someone else: ana's session is not bo's
        assert ana.post("/api/check", json={"source": RIGHT}).status_code == 403
        assert store.students(quiz.name) == []


def test_a_post_without_the_pages_token_is_refused(quiz, store_url):
    with class_server(quiz, store_url) as (app, store):
        ana = student(app, "ana")
        token = ana.headers.pop("X-CSRF-Token")
        assert ana.post("/api/check", json={"source": RIGHT}).status_code == 403  # another site's form
        ana.headers["X-CSRF-Token"] = token[:-1] + ("A" if token[-1] != "A" else "B")
        assert ana.post("/api/check", json={"source": RIGHT}).status_code == 403
        bo = student(app, "bo")
        bo.headers["X-CSRF-Token"] = token  # ana's token with bo's session
        assert bo.post("/api/check", json={"source": RIGHT}).status_code == 403
        assert store.students(quiz.name) == []


def test_quotas_stop_one_student_filling_the_disk(quiz, store_url):
    with class_server(quiz, store_url, quota_attempts=2, quota_bytes=40_000) as (app, store):
        ana, bo = student(app, "ana"), student(app, "bo")
        assert [ana.post("/api/run", json={"source": RIGHT}).status_code for _ in range(2)] == [200, 200]
        third = ana.post("/api/run", json={"source": RIGHT})
        assert third.status_code == 429 and "2 attempts today" in third.json()["detail"]
        # a short file that prints a long report: the report's room counts, not only the file's
        loud = "print('\\x01' * 30000)\n"
        assert bo.post("/api/run", json={"source": loud}).status_code == 200
        heavy = bo.post("/api/run", json={"source": loud})
        assert heavy.status_code == 429 and "as much room" in heavy.json()["detail"]
        since = store.students(quiz.name)[0].last_at.replace(year=2000)
        assert store.usage("proxy:ana", quiz.name, since).attempts == 2  # the refused one was not kept


def test_the_solution_is_earned_across_replicas_by_a_full_marks_submit(quiz, store_url):
    with class_server(quiz, store_url) as (first, _), class_server(quiz, store_url) as (second, _):
        assert student(first, "ana").post("/api/check", json={"source": RIGHT}).json()["score"] == 5
        assert student(second, "ana").get("/api/solution").status_code == 200  # the other replica knows
        assert student(second, "bo").get("/api/solution").status_code == 403
        cookie = student(first, "cy")  # a session signed by one replica is good on the other
        moved = Student(second, client=PROXY, headers={"X-Remote-User": "cy", **cookie.headers},
                        cookies=cookie.cookies)
        assert moved.post("/api/run", json={"source": RIGHT}).status_code == 200


def test_the_instructor_sees_the_class_live(quiz, store_url):
    with class_server(quiz, store_url, admin_token="s3cret-ü") as (app, store):
        ana, bo = student(app, "ana"), student(app, "bo")
        ana.post("/api/check", json={"source": FORGOT})
        ana.post("/api/check", json={"source": RIGHT})
        bo.post("/api/check", json={"source": FORGOT})
        assert bo.get("/api/class").status_code == 403
        assert bo.post("/api/login", json={"token": "guess"}).status_code == 403
        teacher = student(app, "teacher")
        signed_in = teacher.post("/api/login", json={"token": "s3cret-ü"})
        assert signed_in.status_code == 200 and signed_in.json()["role"] == "instructor"
        teacher.headers["X-CSRF-Token"] = signed_in.json()["csrf"]
        view = teacher.get("/api/class").json()
        rows = {row["name"]: row for row in view["students"]}
        assert (rows["ana"]["best"], rows["ana"]["last"], rows["ana"]["submits"]) == (5.0, 5.0, 2)
        assert (rows["bo"]["best"], rows["bo"]["mistakes"]) == (4.0, ["del_w: learning rate forgotten"])
        assert view["summary"]["variables"]["del_w"]["pass_rate"] == pytest.approx(0.5)
        assert view["summary"]["mistakes"] == [{"variable": "del_w", "mistake": "learning rate forgotten", "count": 1}]
        page = teacher.get("/class")
        assert page.status_code == 200 and 'src="static/class.js"' in page.text


@pytest.mark.parametrize("quotas, said", [(True, "could not be read"), (False, "could not be saved")])
def test_a_database_that_is_down_gives_a_clear_answer_and_loses_nothing(quiz, postgres, quotas, said):
    """With quotas the store is asked before grading (nothing graded in vain); without, when the
    attempt is kept: either way the student is told, and nothing is answered that was not kept."""
    url = postgres.create_database()
    limits = {} if quotas else {"quota_attempts": 0, "quota_bytes": 0}
    with class_server(quiz, url, **limits) as (app, store):
        ana = student(app, "ana")
        postgres.stop()
        try:
            down = ana.post("/api/check", json={"source": RIGHT})
            ready = ana.get("/readyz")
        finally:
            postgres.resume()
        assert down.status_code == 503 and down.headers["retry-after"] == "30"
        assert said in down.json()["detail"] and "still here in the page" in down.json()["detail"]
        assert "postgresql" not in down.text and "gdgrade-pg" not in down.text  # no host, file or query shown
        assert ready.status_code == 503
        assert ana.post("/api/check", json={"source": RIGHT}).json()["score"] == 5  # back once it is
        assert [r.attempt.kind for r in store.attempts("proxy:ana", quiz.name)] == ["submit"]
        assert ana.get("/readyz").json() == {"status": "ready", "attempts_inside": 0}


def test_the_instructor_downloads_the_class_as_gdgrade_export_writes_it(quiz, store_url, tmp_path):
    with class_server(quiz, store_url, admin_token="t") as (app, store):
        ana, teacher = student(app, "ana"), student(app, "teacher")
        assert teacher.get("/api/export.zip").status_code == 403
        teacher.headers["X-CSRF-Token"] = teacher.post("/api/login", json={"token": "t"}).json()["csrf"]
        nothing = teacher.get("/api/export.zip")
        assert nothing.status_code == 404 and "no submit of quiz gradient_descent" in nothing.json()["detail"]
        ana.post("/api/check", json={"source": RIGHT})
        ana.post("/api/check", json={"source": FORGOT})
        for which, score in (("best", "5"), ("last", "4")):
            download = teacher.get("/api/export.zip", params={"which": which})
            assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
            with zipfile.ZipFile(io.BytesIO(download.content)) as bundle:
                names = set(bundle.namelist())
                assert {"grades.csv", "summary.json", "index.html", "junit.xml"} <= names
                grades = list(csv.DictReader(io.StringIO(bundle.read("grades.csv").decode("utf-8-sig"))))
            assert [(row["id"], row["score"]) for row in grades] == [("ana", score)]  # the proxy's login


def test_an_instructors_sign_in_ends_with_its_token_or_a_sign_out(quiz, store_url):
    """The role came from the token: a server restarted with another token (or none) takes it back,
    and so does signing out; guessing the token is slowed to a stop."""
    with class_server(quiz, store_url, admin_token="first") as (first, _):
        teacher = student(first, "teacher")
        teacher.headers["X-CSRF-Token"] = teacher.post("/api/login", json={"token": "first"}).json()["csrf"]
        assert teacher.get("/api/class").status_code == 200
        signed_in = dict(teacher.cookies)
    for token in ("second", None):
        with class_server(quiz, store_url, admin_token=token) as (restarted, _):  # the same store: the same secret
            again = Student(restarted, client=PROXY, headers={"X-Remote-User": "teacher"}, cookies=signed_in)
            assert again.get("/api/me").json()["role"] == "student"
            assert again.get("/api/class").status_code == 403
    with class_server(quiz, store_url, admin_token="first") as (same, _):
        again = Student(same, client=PROXY, headers={"X-Remote-User": "teacher"}, cookies=signed_in)
        assert again.get("/api/class").status_code == 200  # the same token: still signed in
        teacher = student(same, "teacher")
        teacher.headers["X-CSRF-Token"] = teacher.post("/api/login", json={"token": "first"}).json()["csrf"]
        assert teacher.get("/api/class").status_code == 200
        out = teacher.post("/api/logout")
        assert out.status_code == 200 and out.json()["role"] == "student"
        assert teacher.get("/api/class").status_code == 403  # the browser's cookie is a student's again
        guesser = student(same, "guesser")
        tries = [guesser.post("/api/login", json={"token": f"guess{n}"}).status_code for n in range(12)]
        assert tries[:9] == [403] * 9 and tries[10:] == [429, 429]  # ten tries an address (the teacher had one)
