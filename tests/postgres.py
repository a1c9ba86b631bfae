"""A real PostgreSQL from Debian's package, started in a temporary folder, for the tests and benchmarks.

    server = Postgres.start()          # initdb + pg_ctl start; server.stop() / server.resume() / server.remove()
    url = server.create_database()     # a fresh, empty database: postgresql://gdgrade@/dbN?host=<its socket>

PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` user, in a folder under
/tmp that user owns: usable even when the checkout sits in a folder of mode 0700. It listens on a
unix socket in that folder and on no TCP port, so runs side by side never collide. The apt package
``postgresql`` provides it (the README's test command installs it).
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

ROOTS = ("/usr/lib/postgresql",)
USER = "gdgrade"
"""The superuser initdb makes: the URLs' user."""


def binaries() -> Path:
    """The newest installed PostgreSQL's bin folder (Debian keeps each version under /usr/lib/postgresql)."""
    found = sorted((path.parent for root in ROOTS for path in Path(root).glob("*/bin/initdb")),
                   key=lambda folder: int(folder.parent.name) if folder.parent.name.isdigit() else 0)
    if not found:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (the README's test command does)")
    return found[-1]


class Postgres:
    """One PostgreSQL server in its own folder."""

    def __init__(self, folder: Path, durable: bool):
        self.folder, self.bin = folder, binaries()
        self.data, self.log = folder / "data", folder / "server.log"
        self._as = {"user": "postgres", "group": "postgres", "extra_groups": []} if os.geteuid() == 0 else {}
        self._names = itertools.count(1)
        self._run("initdb", "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8", "--locale=C",
                  "--no-sync", "--no-instructions")
        settings = {"listen_addresses": "''", "unix_socket_directories": f"'{folder}'", "max_connections": "80",
                    "shared_buffers": "'32MB'", "fsync": "on" if durable else "off",
                    "full_page_writes": "on" if durable else "off"}
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        self.resume()

    @classmethod
    def start(cls, durable: bool = False) -> Postgres:
        """A new server, running. ``durable``: fsync as in production (for benchmarks); the tests
        need not wait for the disk."""
        folder = _folder()
        try:
            return cls(folder, durable)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@/{database}?host={quote(str(self.folder), safe='')}"

    def create_database(self) -> str:
        """A new empty database on this server; its URL."""
        import psycopg  # the test extra's; imported here so that the module loads without it

        name = f"db{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast: open connections are ended); ``resume`` starts it again on the same data."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "120", "stop")

    def resume(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "120", "start")

    def remove(self) -> None:
        """Stop the server if it runs, and delete its folder."""
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *arguments: str) -> None:
        done = subprocess.run([str(self.bin / program), *arguments], cwd=self.folder, capture_output=True,
                              text=True, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"}, **self._as)
        if done.returncode:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stdout}{done.stderr}{log}")


def _folder() -> Path:
    """A new folder the server's user owns (0700), where that user can reach it, with a short path (a
    unix socket's path is at most 107 bytes)."""
    owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    for base in dict.fromkeys([tempfile.gettempdir(), "/tmp", "/var/tmp"]):
        folder = Path(tempfile.mkdtemp(prefix="gdgrade-pg-", dir=base))
        if owner is None:
            return folder
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        reachable = subprocess.run(["test", "-w", str(folder)], user="postgres", group="postgres",
                                   extra_groups=[]).returncode == 0
        if reachable and len(str(folder)) < 80:
            return folder
        shutil.rmtree(folder, ignore_errors=True)
    raise RuntimeError("no temporary folder the postgres user can reach")
