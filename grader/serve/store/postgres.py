"""PostgreSQL by URL, for several replicas sharing one database (driver: psycopg 3).

Migrations wait for each other through an advisory lock held until their transaction ends, so two
replicas starting at once apply each migration once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import psycopg

SCHEMA_LOCK = 0x67646772  # "gdgr": the advisory lock gdgrade's migrations take
DISK_FULL = "53100"  # "could not extend file": the database's disk is full
UNREACHABLE_STATES = frozenset({"57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"})
"""Shut down, crashed, starting up, or the connection lost or refused."""


class PostgreSQL:
    errors: tuple[type[Exception], ...] = (psycopg.Error,)
    begin_write = "BEGIN"
    begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"  # one snapshot for a whole summary
    lock_schema: tuple[str, ...] = (f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})",)
    lock_key: str | None = "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))"
    claim_rows = " FOR UPDATE SKIP LOCKED"
    types: Mapping[str, str] = {
        "id": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "time": "TIMESTAMPTZ", "blob": "BYTEA",
        "int": "BIGINT", "float": "DOUBLE PRECISION", "bool": "BOOLEAN"}

    def __init__(self, url: str, connect_seconds: int = 10, statement_seconds: int = 60):
        self.url, self.connect_seconds, self.statement_seconds = url, connect_seconds, statement_seconds

    def connect(self) -> psycopg.Connection:
        connection = psycopg.connect(self.url, autocommit=True, connect_timeout=self.connect_seconds,
                                     application_name="gdgrade")
        try:  # a database that hangs answers a student with an error, not never
            connection.execute(f"SET statement_timeout = {int(self.statement_seconds * 1000)}")
        except psycopg.Error:
            connection.close()
            raise
        return connection

    def alive(self, connection: psycopg.Connection) -> bool:
        if connection.closed or connection.broken:
            return False
        try:
            connection.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def why(self, error: Exception) -> str:
        state = getattr(error, "sqlstate", None)
        if state == DISK_FULL:
            return "the disk of the class's database is full"
        if (state is None and isinstance(error, psycopg.OperationalError)) or state in UNREACHABLE_STATES:
            return "the class's database cannot be reached"
        if state in ("55P03", "40001", "40P01", "53300", "57014"):  # locks, conflicts, too many clients, timeout
            return "the class's database is busy"
        return "the class's database failed"

    def sql(self, text: str) -> str:
        return text.replace("?", "%s")

    def time_in(self, at: datetime) -> datetime:
        return at

    def time_out(self, value: datetime) -> datetime:
        return value.astimezone(UTC)
