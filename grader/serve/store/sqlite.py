"""SQLite in one file: nothing to set up, for one server on one machine.

WAL lets the instructor's view read while students write; synchronous=FULL makes a committed attempt
survive a power cut, not only a crash, since the student is told it is saved. The file is created
readable by its owner only (SQLite gives its -wal and -shm files the same mode), in a folder of
mode 0700 when gdgrade makes the folder.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

CONNECT_ERRORS = frozenset({sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH,
                            sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_READONLY})


class SQLite:
    errors: tuple[type[Exception], ...] = (sqlite3.Error,)
    begin_write = "BEGIN IMMEDIATE"  # the write lock up front: two writers never deadlock upgrading
    begin_read = "BEGIN"
    lock_schema: tuple[str, ...] = ()
    lock_key: str | None = None
    claim_rows = ""
    types: Mapping[str, str] = {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "time": "TEXT", "blob": "BLOB",
                                "int": "INTEGER", "float": "REAL", "bool": "INTEGER"}

    def __init__(self, path: Path, busy_seconds: float = 10.0):
        """Create ``path`` (0600) and its folder (0700) if they are missing; OSError if that fails."""
        self.path, self.busy_seconds = path.absolute(), busy_seconds
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600))
        except FileExistsError:
            pass

    def connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=self.busy_seconds, isolation_level=None,
                                     check_same_thread=False)
        try:
            self._write_ahead(connection)
            connection.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error:
            connection.close()
            raise
        return connection

    def _write_ahead(self, connection: sqlite3.Connection) -> None:
        """Put the file in WAL mode. A new file being made WAL by another replica's connection answers
        busy at once, without the busy timeout's wait: tried again until that timeout has passed."""
        deadline = time.monotonic() + self.busy_seconds
        while True:
            try:
                if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    connection.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as error:
                if getattr(error, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def alive(self, connection: sqlite3.Connection) -> bool:
        return True  # a file does not go away between calls; a failed call closes its connection anyway

    def why(self, error: Exception) -> str:
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        if code == sqlite3.SQLITE_FULL:
            return "the disk of the class's database is full"
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return "the class's database is busy"
        if code in CONNECT_ERRORS:
            return "the class's database cannot be opened"
        return "the class's database failed"

    def sql(self, text: str) -> str:
        return text

    def time_in(self, at: datetime) -> str:
        """UTC with a fixed number of digits, so that text order is time order."""
        return at.astimezone(UTC).isoformat(timespec="microseconds")

    def time_out(self, value: str) -> datetime:
        return datetime.fromisoformat(value)
