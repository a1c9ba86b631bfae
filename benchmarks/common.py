"""Shared by the benchmarks: synthetic submissions, and the peak memory of a process tree."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "submissions" / "gradient_descent").glob("*/gradient.py"))
PAGE = os.sysconf("SC_PAGE_SIZE")


def make_submissions(folder: Path, count: int) -> list[Path]:
    """``count`` submissions cycling through the samples (correct ones and every mistake).

    Each gets a statement of its own, so no two files are identical and the
    grader's de-duplication cannot make the batch cheaper than real work.
    """
    texts = [path.read_text() for path in SAMPLES]
    paths = []
    for index in range(count):
        folder_of_one = folder / f"student{index:06d}"
        folder_of_one.mkdir(parents=True, exist_ok=True)
        path = folder_of_one / "gradient.py"
        path.write_text(f"student_number = {index}\n" + texts[index % len(texts)])
        paths.append(path)
    return paths


def filesystem(path: Path) -> str:
    """The type of the filesystem ``path`` is on (``ext4``, ``tmpfs``), as /proc/mounts says: what a
    file's creation costs depends on it (see the README's Performance section)."""
    real, best, kind = os.path.realpath(path), "", "unknown"
    try:
        with open("/proc/mounts") as mounts:
            for line in mounts:
                fields = line.split()
                point = fields[1].replace("\\040", " ")
                if (real == point or real.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
                    best, kind = point, fields[2]
    except OSError:
        pass
    return kind


def tree_sum(root: int, value: Callable[[list[str]], float], include_root: bool = True) -> float:
    """``value`` of each process's /proc stat fields (after the command name), summed over ``root``
    and all its descendants (or the descendants alone)."""
    parents: dict[int, int] = {}
    values: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stream:
                fields = stream.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        values[int(entry)] = value(fields)
    total, frontier = 0.0, [root] if include_root else [child for child, parent in parents.items() if parent == root]
    while frontier:
        pid = frontier.pop()
        total += values.get(pid, 0.0)
        frontier.extend(child for child, parent in parents.items() if parent == pid)
    return total


def resident_bytes(fields: list[str]) -> float:
    return int(fields[21]) * PAGE


def cpu_seconds(fields: list[str]) -> float:
    """User and system time, the process's own and that of the children it has reaped."""
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def run_measured(command: list[str]) -> tuple[float, int, subprocess.CompletedProcess]:
    """Run ``command``; return its wall time, the peak resident memory of its whole process tree, the result."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, int(tree_sum(process.pid, resident_bytes)))
            done.wait(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    stdout, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    return elapsed, peak, subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def gdgrade(*args: str) -> list[str]:
    return [sys.executable, "-m", "grader", *args]
