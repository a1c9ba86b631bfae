"""Every attempt on the quiz page, kept in a real database: SQLite in a file, or PostgreSQL by URL.

``open_store(url)`` opens one and brings its tables up to date. The rest of gdgrade sees only
``Store`` and the typed records in ``model``; a database that fails raises ``StoreUnavailable``,
whose message a student may read.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from grader.errors import SERVE_EXTRA, UserError
from grader.serve.store.attempts import Chosen, Store
from grader.serve.store.model import Attempt, Kind, Recorded, StoreUnavailable, StudentSummary, Usage, Which
from grader.serve.store.pool import Dialect, Pool
from grader.serve.store.schema import migrate

__all__ = ["Attempt", "Chosen", "Kind", "NoDatabase", "Recorded", "Store", "StoreUnavailable", "StudentSummary",
           "Usage", "Which", "describe", "open_store"]

SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
PASSWORD = re.compile(r"((?:^|&)password=)[^&]*")


class NoDatabase(UserError):
    """A ``--db`` that names no database gdgrade can use; the message says why, in one line."""


def open_store(url: str, connections: int = 8, create: bool = True) -> Store:
    """The store at ``url``: a path or ``sqlite:///path`` (``sqlite:////abs/path``) for SQLite in that file,
    ``postgresql://...`` for PostgreSQL. Its tables are made or migrated before it returns.
    ``create=False``: an SQLite file must exist already (a reader such as ``gdgrade export``).

    NoDatabase for a URL that names no database gdgrade can use; StoreUnavailable when the
    database cannot be opened or reached.
    """
    scheme = SCHEME.match(url)
    name = scheme.group(1).lower() if scheme else None
    if name in ("postgresql", "postgres"):
        try:
            from grader.serve.store.postgres import PostgreSQL
        except ImportError:
            raise NoDatabase(f"a PostgreSQL database needs psycopg: {SERVE_EXTRA}") from None
        dialect: Dialect = PostgreSQL(url)
    elif name in (None, "sqlite"):
        path = url[len("sqlite:///"):] if name else url
        if (name and not url.startswith("sqlite:///")) or path in ("", ":memory:") or "?" in path:
            raise NoDatabase(f"{describe(url)} names no database file: give a path, or sqlite:///PATH")
        if not create and not Path(path).is_file():
            raise NoDatabase(f"there is no database file {path}")
        from grader.serve.store.sqlite import SQLite
        try:
            dialect = SQLite(Path(path))
        except OSError as problem:
            raise StoreUnavailable(f"The class's database could not be opened: {problem.strerror}",
                                   f"{path}: {problem.strerror}") from None
    else:
        raise NoDatabase(f"{describe(url)}: gdgrade keeps attempts in SQLite (a path, or sqlite:///PATH) or "
                         "PostgreSQL (postgresql://...)")
    pool = Pool(dialect, connections)
    try:
        migrate(pool)
    except BaseException:
        pool.close()
        raise
    return Store(pool)


def describe(url: str) -> str:
    """``url`` fit for a log or an error line: any password replaced by ***."""
    if not SCHEME.match(url):
        return url
    parts = urlsplit(url)
    if parts.password is not None:
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{parts.netloc.rsplit('@', 1)[1]}")
    return urlunsplit(parts._replace(query=PASSWORD.sub(r"\1***", parts.query)))
