"""The database's tables, as ordered migrations applied when a store opens.

``schema_version`` holds the number of every migration applied. Opening runs the missing ones in
one transaction that first takes the schema lock (PostgreSQL's advisory lock; SQLite's write
lock), so replicas starting together apply each once and none reads a half-made schema. A
database made by a newer gdgrade is refused rather than misread. Migrations are only ever
appended: one applied somewhere is never edited.
"""

from __future__ import annotations

from datetime import UTC, datetime

from grader.serve.store.model import StoreUnavailable
from grader.serve.store.pool import Pool

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1. Every attempt, and the secrets replicas share. The source is bytes: a student's text may hold
       # NUL or lone surrogates, which PostgreSQL's text refuses. The report is JSON kept as text, not
       # jsonb: jsonb refuses the \u0000 a student's printout can hold.
        """CREATE TABLE attempts (
            id {id},
            user_id TEXT NOT NULL,
            name TEXT,
            quiz TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('run', 'submit')),
            at {time} NOT NULL,
            source {blob} NOT NULL,
            source_bytes {int} NOT NULL,
            report TEXT NOT NULL,
            score {float} NOT NULL,
            max_score {float} NOT NULL,
            full_marks {bool} NOT NULL)""",
        "CREATE INDEX attempts_by_student ON attempts (quiz, user_id, at)",
        "CREATE TABLE secrets (name TEXT PRIMARY KEY, value {blob} NOT NULL, created {time} NOT NULL)",
    ),
    (  # 2. LTI 1.3: the logins begun (state -> nonce, each taken once), the launches sessions point to,
       # and the outbox of scores for the LMS (a row per Submit, written with the attempt, sent in order).
        """CREATE TABLE lti_logins (
            state TEXT PRIMARY KEY,
            nonce TEXT NOT NULL,
            issuer TEXT NOT NULL,
            created {time} NOT NULL)""",
        """CREATE TABLE lti_launches (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            issuer TEXT NOT NULL,
            client_id TEXT NOT NULL,
            deployment_id TEXT NOT NULL,
            subject TEXT NOT NULL,
            quiz TEXT,
            lineitem TEXT,
            return_url TEXT,
            data TEXT,
            created {time} NOT NULL)""",
        """CREATE TABLE lti_outbox (
            id {id},
            attempt_id {int} NOT NULL,
            user_id TEXT NOT NULL,
            issuer TEXT NOT NULL,
            client_id TEXT NOT NULL,
            lineitem TEXT NOT NULL,
            subject TEXT NOT NULL,
            score {float} NOT NULL,
            max_score {float} NOT NULL,
            at {time} NOT NULL,
            due {time} NOT NULL,
            lease {time},
            tries {int} NOT NULL,
            sent {time},
            problem TEXT)""",
        "CREATE INDEX lti_outbox_by_student ON lti_outbox (lineitem, user_id, id)",
        "CREATE INDEX lti_outbox_due ON lti_outbox (sent, due)",
    ),
    (  # 3. lti_logins keeps the states launches took (by age, to drop old ones); a launch is found by
       # its user and activity (to reuse it) and an activity's class by its line item; an attempt
       # names the launch it was made in, so an activity's instructor sees the attempts made there.
        "CREATE INDEX lti_logins_by_age ON lti_logins (created)",
        "CREATE INDEX lti_launches_by_user ON lti_launches (user_id, lineitem)",
        "CREATE INDEX lti_launches_by_activity ON lti_launches (lineitem, issuer, client_id)",
        "ALTER TABLE attempts ADD COLUMN launch_id TEXT",  # the LMS launch (so the activity) it was made in
    ),
)

OPENING = "The class's database could not be opened: {why}."


def migrate(pool: Pool) -> int:
    """Bring the database to the latest schema; return the version it was at."""
    dialect = pool.dialect
    with pool.session(dialect.begin_write, OPENING) as session:
        for statement in dialect.lock_schema:
            session.rows(statement)
        session.rows("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                     f"applied {dialect.types['time']} NOT NULL)")
        ((version_found,),) = session.rows("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        found = int(version_found)
        if found > len(MIGRATIONS):
            raise StoreUnavailable(OPENING.format(why=f"it was made by a newer gdgrade (schema version {found}, "
                                                      f"this one knows {len(MIGRATIONS)}): upgrade gdgrade"))
        for version in range(found + 1, len(MIGRATIONS) + 1):
            for statement in MIGRATIONS[version - 1]:
                session.rows(statement.format(**dialect.types))
            session.rows("INSERT INTO schema_version (version, applied) VALUES (?, ?)", version,
                         dialect.time_in(datetime.now(UTC)))
    return found
