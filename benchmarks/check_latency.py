"""How long a student waits for ``gdgrade check``, beside ``python gradient.py`` itself.

    python benchmarks/check_latency.py [--runs 21] [--before PYTHON] [FILE]

Runs, interleaved round by round (so that a machine's changing load falls on all alike): ``python
FILE`` (numpy's import included), ``python -c 'import numpy'``, ``gdgrade --version`` and
``gdgrade check FILE``; with ``--before``, also the ``gdgrade check`` of another install (a
virtual environment's python whose ``-m grader`` is an earlier gdgrade), so before and after are
measured under the same load. Prints each median and the check's ratio to ``python FILE``; then,
inside one process, where the check's time goes. The target is ``check`` within 2 times
``python FILE``. Every command runs once first, so each has its bytecode cached as an installed
gdgrade has.
"""

from __future__ import annotations

import argparse
import os
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
from grader.sandbox import launch
launch.early()
marks.append(("launcher started", time.perf_counter()))
import grader.selfcheck
from grader import intake
from grader.grade import Grader, Settings
from grader.quiz import load
marks.append(("imports", time.perf_counter()))
quiz = load("gradient_descent")
submission = intake.one(__import__("pathlib").Path(sys.argv[1]), quiz.filename)
grader = Grader(quiz, Settings(), 1)
grader.missing_layers()
marks.append(("sandbox ready", time.perf_counter()))
ticket = grader.submit(submission)
ticket.answer.result()
marks.append(("file run, all cases", time.perf_counter()))
report = grader.report(ticket)
from grader.formats import render
render.text(report)
marks.append(("compared and reported", time.perf_counter()))
grader.close()
marks.append(("sandbox closed", time.perf_counter()))
previous = started
for name, at in marks:
    print(f"{name}\\t{(at - previous) * 1000:.1f}")
    previous = at
"""
ENVIRONMENT = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
"""As a student's shell has it: bytecode is cached."""
WORKING_FOLDER = "/"
"""Where every command runs: ``python -m grader`` finds the package in the working folder first, so
from a checkout it would run that checkout's gdgrade whatever python is asked."""


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False, env=ENVIRONMENT, cwd=WORKING_FOLDER)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--before", metavar="PYTHON", help="the python of an earlier gdgrade, run interleaved")
    parser.add_argument("file", nargs="?", default=str(SAMPLE))
    options = parser.parse_args()
    options.file = os.path.abspath(options.file)
    commands = {
        "python FILE": [sys.executable, options.file],
        "python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
        "gdgrade --version": [sys.executable, "-m", "grader", "--version"],
        "gdgrade check FILE": [sys.executable, "-m", "grader", "check", options.file],
    }
    if options.before:
        commands["before: gdgrade --version"] = [options.before, "-m", "grader", "--version"]
        commands["before: gdgrade check FILE"] = [options.before, "-m", "grader", "check", options.file]
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():
        timed(command)
    names = list(commands)
    for round_number in range(options.runs):
        shift = round_number % len(names)  # each command takes each place in the round in turn
        for name in names[shift:] + names[:shift]:
            times[name].append(timed(commands[name]))
    print(f"medians of {options.runs} interleaved runs (load before: {os.getloadavg()[0]:.2f})")
    python = statistics.median(times["python FILE"])
    for name, values in times.items():
        median = statistics.median(values)
        quartiles = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3  # --runs 1: a smoke run
        ratio = f"  {median / python:.2f} x python FILE" if "check" in name else ""
        print(f"  {name + ':':30}{median * 1000:6.0f} ms  (quartiles {quartiles[0] * 1000:.0f}-"
              f"{quartiles[2] * 1000:.0f}){ratio}")
    stages: dict[str, list[float]] = {}
    for _ in range(options.runs):
        out = subprocess.run([sys.executable, "-c", STAGES, options.file], capture_output=True, text=True, check=True,
                             env=ENVIRONMENT, cwd=WORKING_FOLDER)
        for line in out.stdout.splitlines():
            name, milliseconds = line.split("\t")
            stages.setdefault(name, []).append(float(milliseconds))
    print("inside check, one process (medians):")
    for name, values in stages.items():
        print(f"  {name + ':':30}{statistics.median(values):6.1f} ms")


if __name__ == "__main__":
    main()
