"""What LTI 1.3 keeps in the store: the logins launched, launches, and the outbox of scores for the LMS.

Everything a replica needs to finish what another began is here, not in memory: the state of each
launch taken (on any replica, once); a session names its launch by id; a score waits in the outbox
until an LMS has taken it. The outbox is sent in order for each student and line item: a row is
claimed only when no earlier row of theirs is unsent, under a lease (so a replica that dies mid-send
leaves its row to another) and, on PostgreSQL, under row locks that let several replicas' workers
claim side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from grader.serve.store.model import Attempt
from grader.serve.store.pool import Dialect, Pool

Policy = Literal["best", "latest"]
"""What the LMS is sent on each Submit: the student's best score so far at that line item, or this one."""
LAUNCHING = "The launch could not be checked: {why}."
SENDING = "The grade outbox could not be read: {why}."
OUTBOX = "id, user_id, issuer, client_id, lineitem, subject, score, max_score, at, tries, sent, problem"


@dataclass(frozen=True)
class Launch:
    """A verified launch, as a session names it: who, from which platform and deployment, for what."""

    id: str
    user: str
    issuer: str
    client_id: str
    deployment_id: str
    subject: str
    """The platform's id of the user (``sub``): what a score is sent for."""
    quiz: str | None
    """The quiz the resource link chose; None for a Deep Linking request (the instructor picks one)."""
    lineitem: str | None
    """The AGS line item the launch's scores go to; None when the platform offers none."""
    return_url: str | None = None
    """Deep Linking: where the chosen quiz is posted back."""
    data: str | None = None
    """Deep Linking: the platform's opaque ``data``, returned as given."""

    @property
    def activity(self) -> Activity | None:
        """The gradebook column the launch's scores go to, if the platform gave one."""
        return None if self.lineitem is None else Activity(self.issuer, self.client_id, self.lineitem)


@dataclass(frozen=True)
class Activity:
    """One gradebook column of one LMS: what an instructor's view of scores is scoped to."""

    issuer: str
    client_id: str
    lineitem: str


@dataclass(frozen=True)
class Passback:
    """Where a Submit's score goes, and which score (kept with the attempt, in the outbox)."""

    issuer: str
    client_id: str
    lineitem: str
    subject: str
    policy: Policy


@dataclass(frozen=True)
class Outgoing:
    """One score in the outbox."""

    id: int
    user: str
    issuer: str
    client_id: str
    lineitem: str
    subject: str
    score: float
    """What is sent: the attempt's score, or the best so far (``Policy``)."""
    max_score: float
    at: datetime
    """The attempt's time: the Score's timestamp, so the LMS keeps the latest whatever arrives twice."""
    tries: int
    sent: datetime | None
    problem: str | None
    """Why the last try failed, if it did."""


def enqueue(session: Any, dialect: Dialect, attempt_id: int, attempt: Attempt, passback: Passback) -> None:
    """Put ``attempt``'s score for the LMS in the outbox, inside the transaction that records it.

    The LMS keeps the Score with the latest timestamp, and the outbox sends a student's rows in the
    order they were written: so each row's time is after the row before it (two replicas' clocks may
    differ), and with ``best`` each row carries the best so far. Writers of one student and line item
    go one at a time, so two Submits at once do not both miss each other."""
    if dialect.lock_key is not None:
        session.rows(dialect.lock_key, f"{passback.lineitem}\n{attempt.user}")
    ((best, last),) = session.rows("SELECT MAX(score), MAX(at) FROM lti_outbox WHERE lineitem = ? AND user_id = ?",
                                   passback.lineitem, attempt.user)
    score = attempt.score
    if passback.policy == "best" and best is not None:
        score = max(score, float(best))
    at = attempt.at if last is None else max(attempt.at, dialect.time_out(last) + timedelta(microseconds=1))
    session.rows("INSERT INTO lti_outbox (attempt_id, user_id, issuer, client_id, lineitem, subject, score, max_score, "
                 "at, due, tries) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)", attempt_id, attempt.user, passback.issuer,
                 passback.client_id, passback.lineitem, passback.subject, score, attempt.max_score,
                 dialect.time_in(at), dialect.time_in(at))


class LtiRecords:
    """The LTI tables of one store (``Store.lti``). Every method blocks; errors are StoreUnavailable."""

    def __init__(self, pool: Pool):
        self._pool, self._dialect = pool, pool.dialect

    def take_state(self, state: str, issuer: str, nonce: str, now: datetime, within: timedelta) -> bool:
        """Record that a launch used ``state``: False when a launch (on any replica) used it already.
        States older than ``within`` are no longer taken anyway, so their records go."""
        with self._pool.session(self._dialect.begin_write, LAUNCHING) as session:
            session.rows("DELETE FROM lti_logins WHERE created < ?", self._dialect.time_in(now - within))
            taken = session.rows("INSERT INTO lti_logins (state, nonce, issuer, created) VALUES (?, ?, ?, ?) "
                                 "ON CONFLICT (state) DO NOTHING RETURNING state", state, nonce, issuer,
                                 self._dialect.time_in(now))
        return bool(taken)

    def add_launch(self, launch: Launch, now: datetime) -> str:
        """Keep ``launch``; its id, or that of the same user's earlier launch into the same activity, so a
        student launching every day adds no row. Choosing a quiz (Deep Linking) needs its launch for a
        moment only: those of more than a day ago go."""
        with self._pool.session(self._dialect.begin_write, LAUNCHING) as session:
            session.rows("DELETE FROM lti_launches WHERE return_url IS NOT NULL AND created < ?",
                         self._dialect.time_in(now - timedelta(days=1)))
            if launch.return_url is None:
                same = session.rows(
                    "SELECT id FROM lti_launches WHERE user_id = ? AND issuer = ? AND client_id = ? AND deployment_id "
                    "= ? AND subject = ? AND COALESCE(quiz, '') = ? AND COALESCE(lineitem, '') = ? AND return_url IS "
                    "NULL LIMIT 1", launch.user, launch.issuer, launch.client_id, launch.deployment_id, launch.subject,
                    launch.quiz or "", launch.lineitem or "")
                if same:
                    session.rows("UPDATE lti_launches SET created = ? WHERE id = ?", self._dialect.time_in(now),
                                 same[0][0])
                    return str(same[0][0])
            session.rows("INSERT INTO lti_launches (id, user_id, issuer, client_id, deployment_id, subject, quiz, "
                         "lineitem, return_url, data, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", launch.id,
                         launch.user, launch.issuer, launch.client_id, launch.deployment_id, launch.subject,
                         launch.quiz, launch.lineitem, launch.return_url, launch.data, self._dialect.time_in(now))
        return launch.id

    def launch(self, number: str) -> Launch | None:
        with self._pool.session(None, LAUNCHING) as session:
            rows = session.rows("SELECT id, user_id, issuer, client_id, deployment_id, subject, quiz, lineitem, "
                                "return_url, data FROM lti_launches WHERE id = ?", number)
        return Launch(*rows[0]) if rows else None

    def claim(self, now: datetime, lease: timedelta, busy: frozenset[str] = frozenset()) -> Outgoing | None:
        """The next score due, leased to the caller until ``now + lease``: the oldest unsent row of a
        student and line item whose earlier rows are all sent, not leased to another worker, and not
        for a platform in ``busy`` (those the caller's senders are busy with already)."""
        time = self._dialect.time_in
        skipped = "".join(" AND o.issuer <> ?" for _ in busy)
        with self._pool.session(self._dialect.begin_write, SENDING) as session:
            rows = session.rows(
                f"SELECT {OUTBOX} FROM lti_outbox AS o WHERE o.sent IS NULL AND o.due <= ? "
                f"AND (o.lease IS NULL OR o.lease <= ?){skipped} AND NOT EXISTS (SELECT 1 FROM lti_outbox AS p "
                "WHERE p.lineitem = o.lineitem AND p.user_id = o.user_id AND p.sent IS NULL AND p.id < o.id) "
                f"ORDER BY o.due, o.id LIMIT 1{self._dialect.claim_rows}", time(now), time(now), *sorted(busy))
            if not rows:
                return None
            session.rows("UPDATE lti_outbox SET lease = ?, tries = tries + 1 WHERE id = ?", time(now + lease),
                         rows[0][0])
        claimed = self._outgoing(rows[0])
        return replace(claimed, tries=claimed.tries + 1)

    def sent(self, number: int, now: datetime) -> None:
        with self._pool.session(self._dialect.begin_write, SENDING) as session:
            session.rows("UPDATE lti_outbox SET sent = ?, lease = NULL, problem = NULL WHERE id = ?",
                         self._dialect.time_in(now), number)

    def retry(self, number: int, due: datetime, problem: str) -> None:
        with self._pool.session(self._dialect.begin_write, SENDING) as session:
            session.rows("UPDATE lti_outbox SET due = ?, lease = NULL, problem = ? WHERE id = ?",
                         self._dialect.time_in(due), problem[:500], number)

    def outbox(self, user: str | None = None, activity: Activity | None = None) -> list[Outgoing]:
        """Every score in the outbox (of ``user``, for ``activity``), sent or not, oldest first."""
        where = {"user_id": user} if user is not None else {}
        if activity is not None:
            where |= {"issuer": activity.issuer, "client_id": activity.client_id, "lineitem": activity.lineitem}
        condition = " WHERE " + " AND ".join(f"{column} = ?" for column in where) if where else ""
        with self._pool.session(None, SENDING) as session:
            rows = session.rows(f"SELECT {OUTBOX} FROM lti_outbox{condition} ORDER BY id", *where.values())
        return [self._outgoing(row) for row in rows]

    def _outgoing(self, row: tuple[Any, ...]) -> Outgoing:
        number, user, issuer, client_id, lineitem, subject, score, max_score, at, tries, sent, problem = row
        return Outgoing(id=int(number), user=user, issuer=issuer, client_id=client_id, lineitem=lineitem,
                        subject=subject, score=float(score), max_score=float(max_score),
                        at=self._dialect.time_out(at), tries=int(tries),
                        sent=None if sent is None else self._dialect.time_out(sent), problem=problem)
