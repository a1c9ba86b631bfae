"""Containment applied in the child before any student code runs.

``enter`` is called in the freshly forked (or spawned) child. Each layer is
cheap, so the whole sequence costs well under a millisecond per submission.
"""

from __future__ import annotations

import io
import os
import resource
import sys
from typing import Any

SAFE_ENVIRONMENT = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}
"""The whole environment a submission sees: nothing from the grader's (CI tokens stay out)."""


def _close_other_fds(keep: tuple[int, ...]) -> None:
    """Close every inherited descriptor except stdin/stdout/stderr and ``keep``."""
    low = 3
    for fd in sorted(keep):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, 1 << 16)


def _limit(kind: int, soft: int, hard: int | None = None) -> None:
    hard = soft if hard is None else hard
    current_soft, current_hard = resource.getrlimit(kind)
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
        soft = min(soft, hard)
    resource.setrlimit(kind, (soft, hard))


def _apply_rlimits(limits: dict[str, Any]) -> None:
    """CPU seconds, address space, file size, open files, no core dumps."""
    cpu = int(limits["cpu_seconds"])
    _limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _limit(resource.RLIMIT_AS, int(limits["memory_bytes"]))
    _limit(resource.RLIMIT_FSIZE, int(limits["file_bytes"]))
    _limit(resource.RLIMIT_NOFILE, 64)
    _limit(resource.RLIMIT_CORE, 0)


def enter(limits: dict[str, Any], keep: tuple[int, ...]) -> None:
    """Turn this process into the submission's sandbox.

    Expects fds 0, 1 and 2 already connected to empty stdin and the capture
    pipes, and ``keep`` holding the result pipe. The working directory becomes
    the scratch directory named in ``limits``.
    """
    if os.getpid() != os.getpgid(0):
        os.setsid()  # own process group: the runner kills the whole group
    _close_other_fds(keep)
    os.environ.clear()
    os.environ.update(SAFE_ENVIRONMENT)
    scratch = limits["scratch"]
    os.environ["HOME"] = os.environ["TMPDIR"] = scratch
    os.chdir(scratch)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=False)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
    _apply_rlimits(limits)
