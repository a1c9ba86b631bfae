"""How long a student waits for ``gdgrade check``, beside ``python gradient.py`` itself.

    python benchmarks/check_latency.py [--runs 9] [FILE]

Prints the median wall time of: ``python FILE`` (numpy's import included), ``python -c 'import
numpy'``, importing ``grader.cli``, and ``gdgrade check FILE``; then, inside one process, where
``check``'s time goes: imports, the sandbox's start (the fork server ready), the run, and the
comparison and report. The target is ``check`` within 1.6 times ``python FILE``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "submissions" / "gradient_descent" / "correct_dot" / "gradient.py"
STAGES = """
import sys, time
started = time.perf_counter()
marks = []
import grader.cli
from grader import intake
from grader.grade import Grader, Settings
from grader.quiz import load
marks.append(("imports", time.perf_counter()))
quiz = load("gradient_descent")
(submission,) = intake.find([__import__("pathlib").Path(sys.argv[1])]).submissions
grader = Grader(quiz, Settings(hidden_cases=None), 1)
grader.missing_layers()
marks.append(("sandbox started", time.perf_counter()))
ticket = grader.submit(submission)
ticket.answer.result()
marks.append(("file run, all cases", time.perf_counter()))
report = grader.report(ticket)
from grader.formats import render
render.text(report)
marks.append(("compared and reported", time.perf_counter()))
grader.close()
previous = started
for name, at in marks:
    print(f"{name}\\t{(at - previous) * 1000:.0f}")
    previous = at
"""


def median_time(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("file", nargs="?", default=str(SAMPLE))
    options = parser.parse_args()
    python = median_time([sys.executable, options.file], options.runs)
    numpy = median_time([sys.executable, "-c", "import numpy"], options.runs)
    imports = median_time([sys.executable, "-c", "import grader.cli"], options.runs)
    check = median_time([sys.executable, "-m", "grader", "check", options.file], options.runs)
    print(f"python FILE:            {python * 1000:6.0f} ms")
    print(f"python -c import numpy: {numpy * 1000:6.0f} ms")
    print(f"import grader.cli:      {imports * 1000:6.0f} ms")
    print(f"gdgrade check FILE:     {check * 1000:6.0f} ms  ({check / python:.2f} x python FILE; target 1.6 x)")
    stages: dict[str, list[float]] = {}
    for _ in range(options.runs):
        out = subprocess.run([sys.executable, "-c", STAGES, options.file], capture_output=True, text=True, check=True)
        for line in out.stdout.splitlines():
            name, milliseconds = line.split("\t")
            stages.setdefault(name, []).append(float(milliseconds))
    print("inside check (medians):")
    for name, values in stages.items():
        print(f"  {name + ':':24}{statistics.median(values):6.0f} ms")


if __name__ == "__main__":
    main()
