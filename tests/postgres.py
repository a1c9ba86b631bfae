"""A real PostgreSQL from Debian's package, started in a temporary folder, for the tests and benchmarks.

    server = Postgres.start()          # initdb + pg_ctl start; server.stop() / server.resume() / server.remove()
    url = server.create_database()     # a fresh, empty database: postgresql://gdgrade@/dbN?host=<its socket>

PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` user, in a folder under
/tmp that user owns: usable even when the checkout sits in a folder of mode 0700. It listens on a
unix socket in that folder and on no TCP port, so runs side by side never collide. Its folder's name
does not start with "gdgrade": the hostile suite counts any such new name in /tmp as the grader's
leftover, and another run's server may start meanwhile. The apt package
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

    def __init__(self, folder: Path, durable: bool, disk_mib: int | None):
        self.folder, self.bin = folder, binaries()
        self.data, self.log = folder / "data", folder / "server.log"
        self._as = {"user": "postgres", "group": "postgres", "extra_groups": []} if os.geteuid() == 0 else {}
        self._names = itertools.count(1)
        self._enter: list[str] = []
        self._disk: subprocess.Popen[bytes] | None = None
        options = []
        if disk_mib is not None:
            self._small_disk(disk_mib)
            options = [f"--waldir={folder / 'wal'}"]
        self._run("initdb", "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8", "--locale=C",
                  "--no-sync", "--no-instructions", *options)
        settings = {"listen_addresses": "''", "unix_socket_directories": f"'{folder}'", "max_connections": "80",
                    "shared_buffers": "'32MB'", "fsync": "on" if durable else "off",
                    "full_page_writes": "on" if durable else "off"}
        # written by the server's user, where the server reads it (inside the small disk's namespace)
        self._run("sh", "-c", 'conf=$1; shift; printf "%s\\n" "$@" >> "$conf"', "sh",
                  str(self.data / "postgresql.conf"), *(f"{key} = {value}" for key, value in settings.items()))
        self.resume()

    def _small_disk(self, mib: int) -> None:
        """The data folder on a tmpfs of ``mib`` MiB, mounted in a mount namespace of its own (held by a
        process that lives until ``remove``): every command then runs inside it."""
        if not self._as:
            raise RuntimeError("a PostgreSQL on a small disk needs root (to mount a tmpfs in a namespace)")
        owner = pwd.getpwnam("postgres")
        self.data.mkdir(mode=0o700)
        os.chown(self.data, owner.pw_uid, owner.pw_gid)
        mount = 'mount -t tmpfs -o "size=$2m,mode=0700,uid=$3,gid=$4" gdgrade-pg "$1" && echo mounted && exec cat'
        self._disk = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, "sh",
                                       str(self.data), str(mib), str(owner.pw_uid), str(owner.pw_gid)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        if self._disk.stdout is None or self._disk.stdout.readline() != b"mounted\n":
            raise RuntimeError("the tmpfs for PostgreSQL's data could not be mounted")
        self._enter = ["nsenter", f"--mount=/proc/{self._disk.pid}/ns/mnt", "--setuid", str(owner.pw_uid),
                       "--setgid", str(owner.pw_gid), "--"]
        self._as = {}  # nsenter sets the user, once inside

    def fill_disk(self) -> None:
        """Fill the small disk (``start(disk_mib=...)``) to the last byte, as another program would."""
        self._run("sh", "-c", 'cat /dev/zero > "$1" 2>/dev/null; test -s "$1"', "sh", str(self.data / "filler"))

    def free_disk(self) -> None:
        self._run("rm", "-f", str(self.data / "filler"))

    @classmethod
    def start(cls, durable: bool = False, disk_mib: int | None = None) -> Postgres:
        """A new server, running. ``durable``: fsync as in production (for benchmarks); the tests
        need not wait for the disk. ``disk_mib``: its tables on a disk that small (WAL elsewhere),
        to fill it (root only)."""
        folder = _folder()
        try:
            return cls(folder, durable, disk_mib)
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
        try:
            self._run("sh", "-c", f'! test -e "$1" || {self.bin / "pg_ctl"} -D "$2" -m fast -w -t 120 stop', "sh",
                      str(self.data / "postmaster.pid"), str(self.data))
        finally:
            if self._disk is not None:
                self._disk.communicate()  # its end of the pipe closed: the namespace's holder exits
            shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *arguments: str) -> None:
        command = [program if "/" in program or program in ("sh", "rm") else str(self.bin / program), *arguments]
        done = subprocess.run([*self._enter, *command], cwd=self.folder, capture_output=True,
                              text=True, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"}, **self._as)
        if done.returncode:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stdout}{done.stderr}{log}")


def _folder() -> Path:
    """A new folder the server's user owns (0700), where that user can reach it, with a short path (a
    unix socket's path is at most 107 bytes)."""
    owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    for base in dict.fromkeys([tempfile.gettempdir(), "/tmp", "/var/tmp"]):
        folder = Path(tempfile.mkdtemp(prefix="pg-suite-", dir=base))
        if owner is None:
            return folder
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        reachable = subprocess.run(["test", "-w", str(folder)], user="postgres", group="postgres",
                                   extra_groups=[]).returncode == 0
        if reachable and len(str(folder)) < 80:
            return folder
        shutil.rmtree(folder, ignore_errors=True)
    raise RuntimeError("no temporary folder the postgres user can reach")
