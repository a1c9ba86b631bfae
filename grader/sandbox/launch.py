"""Starting the fork server's launcher: possibly early, before the grader knows the batch's settings.

A launcher spends about 100 ms starting Python and importing numpy before it reads its settings
on stdin. ``gdgrade check`` spends longer than that importing the grader itself, so the command
line starts a launcher first (``early``) and the sandbox takes it once the settings are known
(``take``): a student waits for the longer of the two, not for both. This module imports nothing
of the grader's but the launcher's command line, so that starting early costs nothing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass

from grader import ONE_THREAD

SAFE_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0",
                    **ONE_THREAD}
"""The whole environment a submission sees: nothing from the grader's (CI tokens stay out)."""


def package_root() -> str:
    """The folder holding the grader package, for a spawned interpreter's PYTHONPATH."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass
class Launcher:
    """A started launcher, waiting for its settings: the process and the grader's end of the control socket."""

    process: subprocess.Popen[bytes]
    control: socket.socket
    parent: int
    """The process that started it: a launcher is never handed to another (a forked grader's child)."""

    def configure(self, settings: bytes) -> None:
        """Send the batch's settings; the launcher then builds the sandbox and says it is ready."""
        assert self.process.stdin is not None
        with self.process.stdin:
            self.process.stdin.write(settings)


def start() -> Launcher:
    control, remote = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with remote:
        # -P and cwd="/": the working folder (perhaps the submissions folder, holding a student's
        # selectors.py) must never be on the server's import path: it runs as root, unsandboxed.
        process = subprocess.Popen(
            [sys.executable, "-P", "-m", "grader.sandbox.forkserver", str(os.getpid()), str(remote.fileno())],
            stdin=subprocess.PIPE, pass_fds=(remote.fileno(),), start_new_session=True, cwd="/",
            env=dict(SAFE_ENVIRONMENT, PYTHONPATH=package_root(), PYTHONDONTWRITEBYTECODE="1"))
    return Launcher(process, control, os.getpid())


_early: Launcher | None = None


def early() -> None:
    """Start a launcher now, for the sandbox to ``take`` later; if it cannot start, the sandbox
    tries again and says why. Unused, it exits with this process (its stdin closes without settings)."""
    global _early
    if _early is None:
        try:
            _early = start()
        except OSError:  # said in its place, when the sandbox starts (after any usage error)
            _early = None


def take() -> Launcher:
    """The launcher started ``early``, if this process started one that still runs; else a new one."""
    global _early
    launcher, _early = _early, None
    if launcher is not None and launcher.parent == os.getpid() and launcher.process.poll() is None:
        return launcher
    if launcher is not None:
        launcher.control.close()
    return start()
