"""The store's queries: record an attempt, count what a student used, summarise the class, hand the
chosen submits to an export.

Every method blocks until the database answers (call it from a thread in the server) and raises
StoreUnavailable, never a driver's error. ``record`` returns only once the attempt is committed:
the student is answered after it.
"""

from __future__ import annotations

import secrets as random_bytes
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from grader import report_json
from grader.serve.store.lti import Activity, LtiRecords, Passback, enqueue
from grader.serve.store.model import Attempt, Recorded, StudentSummary, Usage, Which
from grader.serve.store.pool import Pool

SAVING = "Your attempt could not be saved: {why}."
READING = "The class's records could not be read: {why}."
COLUMNS = "id, user_id, name, quiz, kind, at, source, report"
BATCH = 64
"""Attempts read at once by ``reports`` and ``students``: an export of any size holds this many in memory."""
ORDERS: dict[Which, str] = {"best": "score DESC, at DESC, id DESC", "last": "at DESC, id DESC"}
SECRET_BYTES = 32


@dataclass(frozen=True)
class Chosen:
    """One submit per student (``Store.reports``): who at once, their attempts as they are iterated."""

    users: tuple[str, ...]
    numbers: tuple[int, ...]
    read: Callable[[list[int]], list[Recorded]] = field(repr=False)

    def __len__(self) -> int:
        return len(self.numbers)

    def __iter__(self) -> Iterator[Recorded]:
        for start in range(0, len(self.numbers), BATCH):
            yield from self.read(list(self.numbers[start:start + BATCH]))


class Store:
    """Every attempt on the quiz page, in one database (``open_store`` makes one)."""

    def __init__(self, pool: Pool):
        self._pool = pool
        self._dialect = pool.dialect

    @property
    def lti(self) -> LtiRecords:
        """What LTI launches and grade passback keep in this database."""
        return LtiRecords(self._pool)

    def record(self, attempt: Attempt, passback: Passback | None = None) -> int:
        """Write ``attempt`` and commit it; return its number. With ``passback``, its score for the LMS
        goes into the outbox in the same transaction: kept together or not at all."""
        source = attempt.source.encode("utf-8", "surrogatepass")
        with self._pool.session(self._dialect.begin_write, SAVING) as session:
            ((number,),) = session.rows(
                "INSERT INTO attempts (user_id, name, quiz, kind, at, source, source_bytes, report, score, max_score, "
                "full_marks, launch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                attempt.user, attempt.name, attempt.quiz, attempt.kind, self._dialect.time_in(attempt.at), source,
                len(source), report_json.dump(attempt.report), attempt.score, attempt.max_score,
                attempt.report.full_marks, attempt.launch)
            if passback is not None:
                enqueue(session, self._dialect, int(number), attempt, passback)
        return int(number)

    def usage(self, user: str, quiz: str, since: datetime) -> Usage:
        """How many attempts ``user`` made at ``quiz`` from ``since`` on, and what they take in the
        database: their files and their reports (a short file may print a long report)."""
        with self._pool.session(None, READING) as session:
            ((count, size),) = session.rows(
                "SELECT COUNT(*), COALESCE(SUM(source_bytes + LENGTH(report)), 0) FROM attempts "
                "WHERE user_id = ? AND quiz = ? "
                "AND at >= ?", user, quiz, self._dialect.time_in(since))
        return Usage(attempts=int(count), stored_bytes=int(size))

    def earned(self, user: str, quiz: str) -> bool:
        """Whether ``user`` has a submit of ``quiz`` with full marks (what unlocks the solution)."""
        with self._pool.session(None, READING) as session:
            return bool(session.rows("SELECT 1 FROM attempts WHERE user_id = ? AND quiz = ? AND kind = 'submit' "
                                     "AND full_marks = ? LIMIT 1", user, quiz, True))

    def secret(self, name: str, make: Callable[[], bytes] | None = None) -> bytes:
        """The secret called ``name``: made once (random bytes, or what ``make`` makes), then the same for
        every replica on this database."""
        with self._pool.session(self._dialect.begin_write, READING) as session:
            session.rows("INSERT INTO secrets (name, value, created) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                         name, make() if make else random_bytes.token_bytes(SECRET_BYTES),
                         self._dialect.time_in(datetime.now(UTC)))
            ((value,),) = session.rows("SELECT value FROM secrets WHERE name = ?", name)
        return bytes(value)

    def quizzes(self) -> list[str]:
        """The quizzes with attempts stored."""
        with self._pool.session(None, READING) as session:
            return sorted(quiz for (quiz,) in session.rows("SELECT DISTINCT quiz FROM attempts"))

    def attempts(self, user: str, quiz: str, limit: int = 20) -> list[Recorded]:
        """``user``'s latest ``limit`` attempts at ``quiz``, newest first."""
        with self._pool.session(None, READING) as session:
            rows = session.rows(f"SELECT {COLUMNS} FROM attempts WHERE user_id = ? AND quiz = ? "
                                "ORDER BY at DESC, id DESC LIMIT ?", user, quiz, limit)
        return [self._recorded(row) for row in rows]

    def students(self, quiz: str, activity: Activity | None = None) -> list[StudentSummary]:
        """Each student who tried ``quiz``, by user: counts, best and last scores, their last submit's report;
        only what was made in ``activity`` (launched from that LMS column), when one is given."""
        within: str = ""
        scope: tuple[str, ...] = ()
        if activity is not None:
            within = (" AND launch_id IN (SELECT id FROM lti_launches WHERE lineitem = ? AND issuer = ? AND "
                      "client_id = ?)")
            scope = (activity.lineitem, activity.issuer, activity.client_id)
        with self._pool.session(self._dialect.begin_read, READING) as session:
            rows = session.rows(
                "SELECT user_id, COUNT(*), SUM(CASE WHEN kind = 'submit' THEN 1 ELSE 0 END), "
                "MAX(CASE WHEN kind = 'submit' THEN score END), MAX(at), "
                "MAX(CASE WHEN kind = 'submit' AND recent = 1 THEN id END), "
                "MAX(CASE WHEN name IS NOT NULL AND recent_name = 1 THEN name END) "
                "FROM (SELECT id, user_id, name, kind, at, score, "
                "ROW_NUMBER() OVER (PARTITION BY user_id, kind ORDER BY at DESC, id DESC) AS recent, "
                "ROW_NUMBER() OVER (PARTITION BY user_id, name IS NULL ORDER BY at DESC, id DESC) AS recent_name "
                f"FROM attempts WHERE quiz = ?{within}) AS ranked GROUP BY user_id", quiz, *scope)
            last = {recorded.id: recorded.attempt.report
                    for recorded in self._fetch(session, [row[5] for row in rows if row[5] is not None])}
        summaries = []
        for user, count, submits, best, at, last_submit, name in sorted(rows, key=lambda row: row[0]):
            report = last.get(last_submit)
            summaries.append(StudentSummary(
                user=user, name=name, attempts=int(count), submits=int(submits or 0),
                best_score=None if best is None else float(best), last_score=report.score if report else None,
                max_score=report.max_score if report else None, last_at=self._dialect.time_out(at),
                last_report=report))
        return summaries

    def reports(self, quiz: str, which: Which = "best") -> Chosen:
        """Each student's chosen submit of ``quiz``, with its file and full report, by user: for an export.

        Who is known at once (``Chosen.users``); the submits are read a batch at a time as they are
        iterated, so a class of any size costs the memory of a few reports.
        """
        with self._pool.session(None, READING) as session:
            chosen = session.rows(
                "SELECT user_id, id FROM (SELECT user_id, id, ROW_NUMBER() OVER (PARTITION BY user_id "
                f"ORDER BY {ORDERS[which]}) AS pick FROM attempts WHERE quiz = ? AND kind = 'submit') AS ranked "
                "WHERE pick = 1", quiz)
        ordered = sorted(chosen)
        return Chosen(tuple(user for user, _ in ordered), tuple(int(number) for _, number in ordered), self._read)

    def ping(self) -> None:
        """Return when the database answers (a readiness probe); StoreUnavailable otherwise."""
        with self._pool.session(None, READING) as session:
            session.rows("SELECT 1")

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _read(self, numbers: list[int]) -> list[Recorded]:
        with self._pool.session(None, READING) as session:
            found = {recorded.id: recorded for recorded in self._fetch(session, numbers)}
        return [found[number] for number in numbers]

    def _fetch(self, session: Any, numbers: list[int]) -> Iterator[Recorded]:
        for start in range(0, len(numbers), BATCH):
            part = numbers[start:start + BATCH]
            rows = session.rows(f"SELECT {COLUMNS} FROM attempts WHERE id IN ({', '.join('?' * len(part))})", *part)
            yield from map(self._recorded, rows)

    def _recorded(self, row: tuple[Any, ...]) -> Recorded:
        number, user, name, quiz, kind, at, source, report = row
        text = bytes(source).decode("utf-8", "surrogatepass")
        graded = report_json.load(report)
        graded.source_text = text  # what a feedback page shows beside the report
        return Recorded(id=int(number), attempt=Attempt(
            user=user, name=name, quiz=quiz, kind=kind, at=self._dialect.time_out(at), source=text, report=graded))
