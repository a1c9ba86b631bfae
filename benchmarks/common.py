"""Shared by the benchmarks: synthetic submissions, and the peak memory of a process tree."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
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


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stream:
                fields = stream.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * PAGE
    total, frontier = 0, [root]
    while frontier:
        pid = frontier.pop()
        total += rss.get(pid, 0)
        frontier.extend(child for child, parent in parents.items() if parent == pid)
    return total


def run_measured(command: list[str]) -> tuple[float, int, subprocess.CompletedProcess]:
    """Run ``command``; return its wall time, the peak resident memory of its whole process tree, the result."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
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
