"""The attempt store on real databases: SQLite in a file and PostgreSQL started by the suite (the
connection pool, pool.py; the schema and its migrations, schema.py; the records, model.py)."""

from __future__ import annotations

import json
import secrets
import sqlite3
import stat
import subprocess
import sys
import threading
from dataclasses import asdict
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from grader import intake, report_json
from grader.serve.store import Attempt, NoDatabase, StoreUnavailable, describe, open_store
from grader.serve.store.schema import MIGRATIONS
from tests.conftest import SUBMISSIONS
from tests.postgres import Postgres

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TRICKY = "# é ✓ \x00 and a lone \udcff surrogate\nprint('hi')\n"
"""A file's text PostgreSQL's text type would refuse: it must come back exactly."""


@pytest.fixture(scope="module")
def graded(fork_grader):
    """Real reports: full marks, partial marks, and a file that does not parse, with their sources."""
    found = {}
    for name in ("correct_dot", "error_reversed", "syntax_error"):
        path = SUBMISSIONS / name / "gradient.py"
        found[name] = (path.read_text(), next(fork_grader.grade([intake.one(path, "gradient.py")])))
    assert found["correct_dot"][1].full_marks and not found["error_reversed"][1].full_marks
    assert 0 < found["error_reversed"][1].score < found["error_reversed"][1].max_score
    return found


@pytest.fixture
def store(store_url):
    with open_store(store_url) as opened:
        yield opened


def attempt(graded, sample: str, user: str = "ana", kind: str = "submit", at: datetime = T0, quiz: str =
            "gradient_descent", name: str | None = "Ana Lima", source: str | None = None) -> Attempt:
    text, report = graded[sample]
    return Attempt(user=user, name=name, quiz=quiz, kind=kind, at=at, source=text if source is None else source,
                   report=report)


def raw_rows(url: str, sql: str) -> list[tuple]:
    """Rows read past the store, with the driver itself."""
    if url.startswith("postgresql://"):
        with psycopg.connect(url) as connection:
            return connection.execute(sql).fetchall()
    with sqlite3.connect(url) as connection:
        return connection.execute(sql).fetchall()


def test_a_recorded_attempt_is_committed_when_record_returns(store_url, store, graded):
    first = attempt(graded, "error_reversed", source=TRICKY)
    number = store.record(first)
    with open_store(store_url) as other:  # another connection, as another replica would read it
        (found,) = other.attempts("ana", "gradient_descent")
    assert found.id == number
    # the file's text byte for byte, the full report, the time, the name
    assert (found.attempt.user, found.attempt.name, found.attempt.quiz, found.attempt.kind, found.attempt.at,
            found.attempt.source) == ("ana", "Ana Lima", "gradient_descent", "submit", T0, TRICKY)
    assert asdict(found.attempt.report) == asdict(graded["error_reversed"][1])
    assert found.attempt.report.source_text == TRICKY
    assert raw_rows(store_url, "SELECT source_bytes, score, full_marks FROM attempts") == [
        (len(TRICKY.encode("utf-8", "surrogatepass")), graded["error_reversed"][1].score, False)]


def test_opening_again_keeps_everything_and_applies_no_migration_twice(store_url, graded):
    with open_store(store_url) as store:
        store.record(attempt(graded, "correct_dot"))
    with open_store(store_url) as store:
        assert [r.attempt.user for r in store.attempts("ana", "gradient_descent")] == ["ana"]
    versions = raw_rows(store_url, "SELECT version FROM schema_version ORDER BY version")
    assert versions == [(number,) for number in range(1, len(MIGRATIONS) + 1)]


def test_replicas_opening_a_new_database_at_once_migrate_it_once(store_url, graded):
    start, opened, failures = threading.Barrier(4), [], []

    def replica() -> None:
        start.wait()
        try:
            opened.append(open_store(store_url))
        except Exception as problem:  # noqa: BLE001 - the test reports what any replica met
            failures.append(problem)

    threads = [threading.Thread(target=replica) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    for number, store in enumerate(opened):
        store.record(attempt(graded, "correct_dot", user=f"student{number}"))
    assert [len(store.students("gradient_descent")) for store in opened] == [4, 4, 4, 4]
    for store in opened:
        store.close()
    assert raw_rows(store_url, "SELECT COUNT(*) FROM schema_version") == [(len(MIGRATIONS),)]


def test_a_class_submitting_at_once_is_all_saved(store, graded):
    """More threads than connections, each recording: every attempt is saved and numbered once."""
    numbers, failures = [], []

    def student(number: int) -> None:
        try:
            for minute in range(5):
                numbers.append(store.record(attempt(graded, "error_reversed", user=f"s{number}",
                                                    at=T0 + timedelta(minutes=minute))))
        except Exception as problem:  # noqa: BLE001 - the test reports what any thread met
            failures.append(problem)

    threads = [threading.Thread(target=student, args=(number,)) for number in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and len(set(numbers)) == 60
    assert [summary.submits for summary in store.students("gradient_descent")] == [5] * 12


def test_usage_counts_a_students_attempts_and_bytes_since_a_time(store, graded):
    for minute, source in enumerate(["a = 1\n", "é = 2\n", "print('three')\n"]):
        store.record(attempt(graded, "error_reversed", kind="run" if minute % 2 else "submit",
                             at=T0 + timedelta(minutes=minute), source=source))
    store.record(attempt(graded, "error_reversed", user="bo", source="x" * 1000))
    store.record(attempt(graded, "error_reversed", quiz="backprop", source="x" * 1000))
    assert store.usage("ana", "gradient_descent", T0).attempts == 3
    report = len(report_json.dump(graded["error_reversed"][1]))  # each attempt keeps its report too
    assert store.usage("ana", "gradient_descent", T0).stored_bytes == 6 + 7 + 15 + 3 * report
    assert store.usage("ana", "gradient_descent", T0 + timedelta(minutes=1)).stored_bytes == 7 + 15 + 2 * report
    assert store.usage("ana", "gradient_descent", T0 + timedelta(minutes=1, microseconds=1)).attempts == 1
    assert store.usage("ana", "gradient_descent", T0 + timedelta(hours=1)).attempts == 0
    assert store.usage("nobody", "gradient_descent", T0).stored_bytes == 0
    # the time zone a caller counts in does not change the answer
    eastern = timezone(timedelta(hours=-5))
    assert store.usage("ana", "gradient_descent", (T0 + timedelta(minutes=2)).astimezone(eastern)).attempts == 1


def test_only_a_submit_with_full_marks_earns_the_solution(store, graded):
    store.record(attempt(graded, "correct_dot", kind="run"))
    store.record(attempt(graded, "error_reversed"))
    store.record(attempt(graded, "correct_dot", quiz="backprop", user="bo"))
    assert not store.earned("ana", "gradient_descent")
    assert not store.earned("bo", "gradient_descent")
    store.record(attempt(graded, "correct_dot"))
    assert store.earned("ana", "gradient_descent")
    assert not store.earned("ana", "backprop")


def test_a_secret_is_made_once_and_shared_by_every_store_on_the_database(store_url, store):
    with open_store(store_url) as other:
        assert other.secret("session") == store.secret("session")
    cookie, other_secret = store.secret("session"), store.secret("other")
    assert len(cookie) == 32 and cookie != other_secret
    with open_store(store_url) as reopened:
        assert reopened.secret("session") == cookie


def test_students_summarise_each_students_attempts(store, graded):
    partial, full = graded["error_reversed"][1], graded["correct_dot"][1]
    store.record(attempt(graded, "correct_dot", at=T0, name=None))
    store.record(attempt(graded, "error_reversed", at=T0 + timedelta(minutes=1), name="Ana L."))
    store.record(attempt(graded, "correct_dot", kind="run", at=T0 + timedelta(minutes=2), name=None))
    store.record(attempt(graded, "syntax_error", kind="run", user="bo", name="Bo", at=T0 + timedelta(minutes=3)))
    store.record(attempt(graded, "correct_dot", quiz="backprop", user="cy"))
    ana, bo = store.students("gradient_descent")
    assert (ana.user, ana.name, ana.attempts, ana.submits) == ("ana", "Ana L.", 3, 2)
    assert (ana.best_score, ana.last_score, ana.max_score) == (full.score, partial.score, partial.max_score)
    assert ana.last_at == T0 + timedelta(minutes=2)
    assert ana.last_report is not None and asdict(ana.last_report) == asdict(partial)
    assert (bo.user, bo.name, bo.attempts, bo.submits, bo.best_score, bo.last_score, bo.last_report) == (
        "bo", "Bo", 1, 0, None, None, None)
    assert store.students("nothing") == []
    assert store.quizzes() == ["backprop", "gradient_descent"]


def test_a_students_history_is_newest_first(store, graded):
    for minute in range(5):
        store.record(attempt(graded, "error_reversed", at=T0 + timedelta(minutes=minute), source=f"# {minute}\n"))
    store.record(attempt(graded, "error_reversed", user="bo", at=T0 + timedelta(hours=1)))
    history = store.attempts("ana", "gradient_descent", limit=3)
    assert [recorded.attempt.source for recorded in history] == ["# 4\n", "# 3\n", "# 2\n"]
    assert history[0].id > history[1].id > history[2].id


@pytest.mark.parametrize("which", ["best", "last"])
def test_reports_give_each_students_best_or_last_submit(store, graded, which):
    store.record(attempt(graded, "error_reversed", at=T0, source="# first partial\n"))
    store.record(attempt(graded, "correct_dot", at=T0 + timedelta(minutes=1), source="# full\n"))
    store.record(attempt(graded, "correct_dot", at=T0 + timedelta(minutes=2), source="# full again\n"))
    store.record(attempt(graded, "error_reversed", at=T0 + timedelta(minutes=3), source="# last partial\n"))
    store.record(attempt(graded, "correct_dot", kind="run", at=T0 + timedelta(minutes=4), source="# a run\n"))
    store.record(attempt(graded, "syntax_error", user="bo", at=T0))
    store.record(attempt(graded, "correct_dot", user="cy", kind="run", at=T0))  # no submit: not exported
    selection = store.reports("gradient_descent", which)
    assert selection.users == ("ana", "bo") and len(selection) == 2  # known before any report is read
    chosen = list(selection)
    assert [recorded.attempt.user for recorded in chosen] == ["ana", "bo"]
    assert chosen[0].attempt.source == {"best": "# full again\n", "last": "# last partial\n"}[which]
    assert asdict(chosen[1].attempt.report) == asdict(graded["syntax_error"][1])


def test_reports_of_a_large_class_come_in_order(store, graded):
    users = [f"s{number:03d}" for number in range(150)]  # more than one batch
    for user in reversed(users):
        store.record(attempt(graded, "correct_dot", user=user))
    assert [recorded.attempt.user for recorded in store.reports("gradient_descent", "best")] == users


def test_a_stopped_postgresql_gives_a_message_for_students_and_the_store_recovers(graded):
    server = Postgres.start()  # its own server: stopping the suite's would disturb other tests
    try:
        store = open_store(server.create_database())
        store.record(attempt(graded, "correct_dot"))
        server.stop()  # a restart between two attempts: the idle connection is dead, the next attempt saved
        server.resume()
        store.record(attempt(graded, "correct_dot", at=T0 + timedelta(seconds=1)))
        server.stop()
        with pytest.raises(StoreUnavailable) as raised:
            store.record(attempt(graded, "error_reversed"))
        assert str(raised.value) == "Your attempt could not be saved: the class's database cannot be reached."
        assert str(server.folder) in raised.value.detail  # the operator's log says where
        for read in (lambda: store.usage("ana", "gradient_descent", T0), store.ping,
                     lambda: store.students("gradient_descent")):
            with pytest.raises(StoreUnavailable, match="^The class's records could not be read: the class's "
                                                       "database cannot be reached.$"):
                read()
        with pytest.raises(StoreUnavailable, match="could not be opened: the class's database cannot be reached"):
            open_store(server.url("db1"))
        server.resume()
        store.ping()
        store.record(attempt(graded, "error_reversed", at=T0 + timedelta(minutes=1)))
        assert [r.attempt.report.full_marks for r in store.attempts("ana", "gradient_descent")] == [False, True, True]
        store.close()
    finally:
        server.remove()


def test_a_full_disk_under_postgresql_gives_students_a_message_and_loses_nothing_saved(graded):
    """PostgreSQL's real "could not extend file": its tables on a 48 MiB tmpfs, filled by another file."""
    server = Postgres.start(disk_mib=48)
    try:
        with open_store(server.create_database()) as store:
            store.record(attempt(graded, "correct_dot"))
            server.fill_disk()
            large = secrets.token_hex(100_000)  # random: it cannot be compressed into the pages already there
            with pytest.raises(StoreUnavailable) as raised:
                store.record(attempt(graded, "error_reversed", source=large))
            assert str(raised.value) == "Your attempt could not be saved: the disk of the class's database is full."
            assert "could not extend file" in raised.value.detail
            assert store.usage("ana", "gradient_descent", T0).attempts == 1  # reads go on
            server.free_disk()
            store.record(attempt(graded, "error_reversed", source=large, at=T0 + timedelta(minutes=1)))
            assert [r.attempt.source[:8] for r in store.attempts("ana", "gradient_descent")] == [
                large[:8], graded["correct_dot"][0][:8]]
    finally:
        server.remove()


FILL_DISK = """
import json, os, sys
from datetime import datetime, timezone
from grader import report_json
from grader.serve.store import Attempt, StoreUnavailable, open_store
folder, report = sys.argv[1], report_json.load(sys.stdin.read())
def attempt(source):
    return Attempt(user="ana", name=None, quiz="q", kind="submit", at=datetime.now(timezone.utc), source=source,
                   report=report)
store = open_store(os.path.join(folder, "attempts.db"))
store.record(attempt("kept"))
filler = os.open(os.path.join(folder, "filler"), os.O_WRONLY | os.O_CREAT)  # the rest of the disk
try:
    while True:
        os.write(filler, b"x" * 4096)
except OSError:
    os.close(filler)
outcomes = []
try:
    for _ in range(100):
        store.record(attempt("y" * 20000))
    outcomes.append("saved")
except StoreUnavailable as problem:
    outcomes.append(str(problem))
os.remove(os.path.join(folder, "filler"))
store.record(attempt("after"))
outcomes.append([r.attempt.source[:5] for r in store.attempts("ana", "q", 3)])
print(json.dumps(outcomes))
"""


def test_a_full_disk_gives_sqlites_students_a_message_and_loses_nothing_saved(tmp_path, graded):
    """A real full disk: a 2 MiB tmpfs mounted in a mount namespace of the test's own."""
    folder = tmp_path / "small"
    folder.mkdir()
    script = 'mount -t tmpfs -o size=2m,mode=0700 gdgrade-test "$1" && exec "$2" -c "$3" "$1"'
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                           str(folder), sys.executable, FILL_DISK], input=report_json.dump(graded["correct_dot"][1]),
                          capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr
    failure, kept = json.loads(done.stdout)
    assert failure == "Your attempt could not be saved: the disk of the class's database is full."
    assert kept[0] == "after" and kept[-1][:5] in ("kept", "yyyyy")


def test_an_sqlite_file_is_its_owners_alone(tmp_path, graded):
    url = f"sqlite:///{tmp_path}/new/deeper/attempts.db"
    with open_store(url) as store:
        store.record(attempt(graded, "correct_dot"))
        folder = tmp_path / "new" / "deeper"
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        names = sorted(path.name for path in folder.iterdir())
        assert names == ["attempts.db", "attempts.db-shm", "attempts.db-wal"]
        assert {stat.S_IMODE((folder / name).stat().st_mode) for name in names} == {0o600}


def test_sqlite_urls_name_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for url, path in ((f"sqlite:///{tmp_path}/a.db", tmp_path / "a.db"), ("sqlite:///b.db", tmp_path / "b.db"),
                      ("c.db", tmp_path / "c.db"), (str(tmp_path / "d.db"), tmp_path / "d.db")):
        open_store(url).close()
        assert path.is_file(), url
    for url in ("mysql://h/db", "sqlite://b.db", "sqlite:///", ":memory:", "sqlite:///x.db?mode=ro"):
        with pytest.raises(NoDatabase):
            open_store(url)
    (tmp_path / "text.db").write_text("not a database at all, and long enough to be read as one" * 10)
    with pytest.raises(StoreUnavailable, match="could not be opened"):
        open_store(str(tmp_path / "text.db"))


def test_a_database_of_a_newer_gdgrade_is_refused(store_url):
    open_store(store_url).close()
    if store_url.startswith("postgresql://"):
        with psycopg.connect(store_url, autocommit=True) as connection:
            connection.execute("INSERT INTO schema_version VALUES (99, now())")
    else:
        with sqlite3.connect(store_url) as connection:
            connection.execute("INSERT INTO schema_version VALUES (99, '2030-01-01')")
    with pytest.raises(StoreUnavailable, match="made by a newer gdgrade"):
        open_store(store_url)


def test_a_password_never_reaches_a_message():
    assert describe("postgresql://ta:hunter2@db.example:5432/quiz") == "postgresql://ta:***@db.example:5432/quiz"
    assert "hunter2" not in describe("postgresql:///quiz?host=/run&password=hunter2&sslmode=require")


def test_an_attempt_needs_a_time_zone_and_a_kind(graded):
    with pytest.raises(ValueError):
        attempt(graded, "correct_dot", at=datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        attempt(graded, "correct_dot", kind="peek")


def test_the_suites_postgresql_listens_on_its_own_socket_and_no_port(postgres):
    assert (postgres.folder / ".s.PGSQL.5432").is_socket()
    assert stat.S_IMODE(postgres.folder.stat().st_mode) == 0o700
    with psycopg.connect(postgres.url()) as connection:
        assert connection.execute("SHOW listen_addresses").fetchone() == ("",)
