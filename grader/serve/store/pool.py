"""A few connections to one database, shared by the server's threads, and the one error they raise.

Not psycopg_pool: this pool is thirty lines that serve SQLite and PostgreSQL alike, and it reconnects
the moment the database is back (a connection that failed is closed, the next call opens a fresh
one) instead of retrying on a schedule in a background thread. An idle PostgreSQL connection is
checked before use, so one the server dropped while it restarted is replaced, not handed out.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Protocol

from grader.serve.store.model import StoreUnavailable


class Dialect(Protocol):
    """What differs between the databases: connecting, SQL types, transactions and errors."""

    errors: tuple[type[Exception], ...]
    """The driver's errors: every one becomes StoreUnavailable."""
    begin_write: str
    begin_read: str
    lock_schema: tuple[str, ...]
    """Statements that make a migration wait for another replica's (SQLite's write lock does that itself)."""
    lock_key: str | None
    """A statement that takes a lock on its one text parameter until the transaction ends, so writers of
    one key go one at a time (None: SQLite's write lock already lets one writer in at a time)."""
    claim_rows: str
    """What ends a SELECT that claims rows for one worker: PostgreSQL's row locks skip rows another
    replica's worker is claiming; SQLite's write lock already lets one claim at a time."""
    types: Mapping[str, str]
    """The column types migrations name: id, time, blob, int, float, bool."""

    def connect(self) -> Any: ...

    def alive(self, connection: Any) -> bool: ...

    def why(self, error: Exception) -> str:
        """What went wrong, in words a student may read."""

    def sql(self, text: str) -> str:
        """``text``, written with ``?`` placeholders, in the driver's own style."""

    def time_in(self, at: datetime) -> Any: ...

    def time_out(self, value: Any) -> datetime: ...


class Session:
    """One connection, for the statements of one transaction."""

    def __init__(self, connection: Any, dialect: Dialect):
        self._connection, self._dialect = connection, dialect

    def rows(self, sql: str, *parameters: Any) -> list[tuple[Any, ...]]:
        cursor = self._connection.execute(self._dialect.sql(sql), parameters)
        return cursor.fetchall() if cursor.description is not None else []


class Pool:
    """At most ``size`` connections to the database ``dialect`` opens; a caller beyond that waits up to
    ``wait`` seconds, then is told the database is busy."""

    def __init__(self, dialect: Dialect, size: int = 8, wait: float = 10.0):
        self.dialect, self.wait = dialect, wait
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(size)
        self._closed = False

    def _take(self) -> Any:
        while True:
            with self._lock:
                if self._closed:
                    raise RuntimeError("the store is closed")
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self.dialect.connect()
            if self.dialect.alive(connection):
                return connection
            _close(connection)

    @contextlib.contextmanager
    def session(self, begin: str | None, failure: str) -> Iterator[Session]:
        """A connection in a transaction begun with ``begin`` (None: each statement its own), committed
        when the block ends. A database error becomes StoreUnavailable, ``failure`` formatted with
        its ``why``; the connection it came from is closed, never reused."""
        if not self._slots.acquire(timeout=self.wait):
            raise StoreUnavailable(failure.format(why="the class's database is busy"), "no free connection")
        connection = None
        try:
            connection = self._take()
            if begin:
                connection.execute(begin)
            yield Session(connection, self.dialect)
            if begin:
                connection.execute("COMMIT")
        except self.dialect.errors as problem:
            _close(connection)
            detail = " ".join(str(problem).split())  # one line for a log, whatever the driver wrote
            raise StoreUnavailable(failure.format(why=self.dialect.why(problem)), detail) from None
        except BaseException:
            _close(connection)  # closing rolls the transaction back
            raise
        else:
            with self._lock:
                if self._closed:
                    _close(connection)
                else:
                    self._idle.append(connection)
        finally:
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            self._closed, idle, self._idle = True, self._idle, []
        for connection in idle:
            _close(connection)


def _close(connection: Any) -> None:
    if connection is not None:
        with contextlib.suppress(Exception):  # a connection already broken has nothing left to close
            connection.close()
