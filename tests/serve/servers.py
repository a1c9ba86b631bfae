"""``gdgrade serve`` as a process of its own, for the tests that talk to it over the network.

The server is given port 0 and says where it serves once it listens with the grader started
(``Serving ... on URL``): the test reads that line from the server's stderr, kept in a file, so
there is no free port to guess and no race for it. ``contained`` runs the server as the process
tree of a fresh PID namespace in a pids-limited cgroup, for tests that attack it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..containment import CONTAINED, pids_cgroup

SERVING = re.compile(r"^Serving .+ on (http://[^/\s]+)/, .+ \(Ctrl-C stops\)$", re.MULTILINE)
START_DEADLINE = 180.0
"""Seconds a server may take to start on a loaded machine; only bounds a server that never starts."""


@dataclass
class Server:
    """A running ``gdgrade serve``: ``url`` without a trailing slash, its stderr in ``log``; when
    contained, ``group`` is its pids cgroup."""

    process: subprocess.Popen[bytes]
    log: Path
    group: Path | None = None
    url: str = ""

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def said(self) -> str:
        return self.log.read_text(errors="replace")


def wait_for_url(process: subprocess.Popen[bytes], log: Path) -> str:
    """The URL the server announces; fails with its stderr if it exits or never says it."""
    deadline = time.monotonic() + START_DEADLINE
    while True:
        found = SERVING.search(log.read_text(errors="replace"))
        if found:
            return found.group(1)
        assert process.poll() is None and time.monotonic() < deadline, (
            f"gdgrade serve did not start (exit {process.poll()}): {log.read_text(errors='replace')}")
        time.sleep(0.05)


def start(folder: Path, arguments: Sequence[str] = (), *, contained: bool = False) -> Server:
    """Start ``gdgrade serve --port 0 ARGUMENTS`` in ``folder`` (its working folder and log's home);
    without ``--db`` among them it keeps nothing (never in the user's own data folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"serve-{secrets.token_hex(4)}.log"
    keep = [] if any(argument == "--db" or argument.startswith("--db=") for argument in arguments) else ["--db", "none"]
    command = [sys.executable, "-m", "grader", "serve", "--port", "0", *keep, *arguments]
    group = pids_cgroup(f"gdgrade-test-serve-{secrets.token_hex(6)}") if contained else None
    with log.open("wb") as stderr:
        if group is not None:
            process = subprocess.Popen(
                ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, str(CONTAINED), "1", "--", *command],
                stdout=subprocess.DEVNULL, stderr=stderr, cwd=folder,
                preexec_fn=lambda: (group / "cgroup.procs").write_text(str(os.getpid())))
        else:
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, cwd=folder)
    server = Server(process, log, group)
    try:
        server.url = wait_for_url(process, log)
    except BaseException:
        stop(server, signal.SIGKILL)
        raise
    return server


def stop(server: Server, how: signal.Signals = signal.SIGTERM) -> None:
    """Stop a server (contained: its namespace's process 1 ends with it, taking every process in it)."""
    process = server.process
    if process.poll() is None:
        if server.group is not None:  # unshare -> the namespace's process 1 -> the server: signal the server
            with contextlib.suppress(OSError):
                for first in _children(process.pid):
                    for child in _children(first):
                        os.kill(child, how)
        else:
            process.send_signal(how)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if server.group is not None:
        with contextlib.suppress(OSError):
            server.group.rmdir()


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@contextlib.contextmanager
def serving(folder: Path, arguments: Sequence[str] = (), *, contained: bool = False) -> Iterator[Server]:
    """A started server, stopped (SIGTERM) when the block ends."""
    server = start(folder, arguments, contained=contained)
    try:
        yield server
    finally:
        stop(server)
