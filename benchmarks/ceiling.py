"""The most submissions per second a sandboxed fork per submission allows on this machine.

    python benchmarks/ceiling.py [--count 1000] [--jobs N]

The same fork server, sandbox layers and cases as ``gdgrade grade`` (``grader.sandbox``, started
with the settings ``Grader`` gives it), running the same kind of distinct files, and nothing else:
no comparison, no report, no file written; each file's bytes are read once and handed over. What
gdgrade does on top of this is its own cost; ``throughput.py`` prints both in one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import cpu_seconds, make_submissions, tree_sum  # noqa: E402


def ceiling(paths: list[Path], jobs: int, seed: int = 1) -> tuple[float, float]:
    """Submissions per second for ``paths`` run through gdgrade's sandbox alone, and the CPU seconds
    per submission (this process and its children together)."""
    from grader.grade import Settings, hidden_inputs, job_settings
    from grader.quiz import load
    from grader.sandbox.supervisor import Runner

    quiz = load("gradient_descent")
    settings = Settings(seed=seed)
    cases = quiz.cases(settings.hidden_cases, seed)
    hidden = hidden_inputs(cases)
    with Runner(job_settings(quiz, settings), jobs) as sandbox:
        sandbox.submit(paths[0].read_text(), hidden).result()  # the server started and warmed
        before = tree_sum(os.getpid(), cpu_seconds)  # this process, its live descendants and those reaped
        started = time.perf_counter()
        window, pending = 4 * jobs, []
        for path in paths:
            pending.append(sandbox.submit(path.read_text(), hidden))
            if len(pending) >= window:
                pending.pop(0).result()
        for future in pending:
            future.result()
        elapsed = time.perf_counter() - started
        used = tree_sum(os.getpid(), cpu_seconds) - before
    return len(paths) / elapsed, used / len(paths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gdgrade-ceiling-") as scratch:
        paths = make_submissions(Path(scratch), options.count)
        rate, cpu = ceiling(paths, options.jobs)
    print(f"ceiling: {rate:.1f} submissions/s, {cpu * 1000:.1f} ms of CPU each "
          f"({options.count} distinct files, --jobs {options.jobs})")


if __name__ == "__main__":
    main()
