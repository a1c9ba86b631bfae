"""How the tests run hostile code: in a fresh PID namespace (``contained.py`` as its process 1)
inside a cgroup that limits its processes, so that even a broken sandbox cannot hurt the machine."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PIDS_LIMIT = 200
CONTAINED = Path(__file__).with_name("contained.py")


def _pids_hierarchies() -> list[Path]:
    """Mounted cgroup hierarchies that can limit processes: cgroup v1's pids controller, or cgroup v2."""
    found = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        _, where, kind, options, *_ = line.split()
        if kind == "cgroup2" or (kind == "cgroup" and "pids" in options.split(",")):
            found.append(Path(where))
    return found


def pids_cgroup(name: str) -> Path:
    """A cgroup limited to PIDS_LIMIT processes; the test fails rather than run uncontained.

    Only a folder the kernel filled (with its own pids.max) is a cgroup: a folder made on a plain
    tmpfs at /sys/fs/cgroup would take a pids.max file and limit nothing.
    """
    for root in _pids_hierarchies():
        if (root / "cgroup.controllers").exists():  # v2: pids must be enabled for children
            if "pids" not in (root / "cgroup.controllers").read_text().split():
                continue
            try:
                (root / "cgroup.subtree_control").write_text("+pids")
            except OSError:
                continue
        group = root / name
        try:
            group.mkdir(exist_ok=True)
            if not (group / "pids.max").exists():
                group.rmdir()
                continue
            (group / "pids.max").write_text(str(PIDS_LIMIT))
            if (group / "pids.max").read_text().strip() == str(PIDS_LIMIT):
                return group
        except OSError:
            continue
    pytest.fail("containment unavailable: no cgroup hierarchy with a pids controller could be used")


def run_contained(name: str, grace: str, command: list[str], *contained_options: str,
                  **run: object) -> tuple[subprocess.CompletedProcess[str], dict[str, object]]:
    """Run ``command`` as the process tree of a fresh PID namespace (``contained.py`` its process 1,
    given ``grace`` seconds and ``contained_options``) inside a new pids-limited cgroup named
    ``name``; return the run and the outcome ``contained.py`` printed, which names its cgroups."""
    group = pids_cgroup(name)
    prefix = ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, str(CONTAINED), grace,
              *contained_options, "--"]
    try:
        finished = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=600,
                                  preexec_fn=lambda: (group / "cgroup.procs").write_text(str(os.getpid())),
                                  **run)  # type: ignore[call-overload]
    finally:
        with contextlib.suppress(OSError):
            group.rmdir()
    outcome = json.loads(finished.stdout.strip().splitlines()[-1])
    assert f"/{group.name}\n" in outcome["cgroups"], "the run was not in its pids-limited cgroup"
    return finished, outcome
