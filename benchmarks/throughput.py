"""gdgrade's grading rate beside the ceiling of its sandbox, and beside plain ``python FILE``.

    python benchmarks/throughput.py [--count 2000] [--jobs N] [--baseline 200] [--scratch DIR]

Builds COUNT synthetic submissions from the samples (mixed correct and wrong, no two alike even as
programs), grades them with every default on (hidden cases, full sandbox, pages, gradebook), then
runs the same files through the sandbox alone (``ceiling.py``: the most a fork per submission
allows), then BASELINE of them with plain ``python FILE`` two at a time (which grades nothing).
Prints the rates, gdgrade's share of the ceiling, the CPU per submission of the grader's own
process and of the sandbox (fork server and children), the per-submission latency percentiles
from the reports, and the peak resident memory of the grader's whole process tree.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ceiling import ceiling  # noqa: E402
from common import filesystem, make_submissions, percentile, run_measured  # noqa: E402

MEASURED = (
    "import atexit, json, resource, runpy, sys\n"
    "def said():\n"
    "    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "    print('CPU ' + json.dumps([own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime]),"
    " file=sys.stderr)\n"
    "atexit.register(said)\nsys.argv = ['gdgrade', *sys.argv[1:]]\nrunpy.run_module('grader', run_name='__main__')\n")
"""``gdgrade`` that says, as it exits, the CPU seconds of its own process and of its children."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--baseline", type=int, default=200, help="files run with plain python")
    parser.add_argument("--scratch", type=Path, default=None,
                        help="where the submissions and reports go (default: the temporary folder)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gdgrade-bench-", dir=options.scratch) as scratch:
        where = filesystem(Path(scratch))
        folder, out = Path(scratch) / "submissions", Path(scratch) / "out"
        paths = make_submissions(folder, options.count)
        elapsed, peak, result = run_measured([sys.executable, "-c", MEASURED, "grade", str(folder), "--out", str(out),
                                              "--jobs", str(options.jobs)])
        if result.returncode != 0:
            sys.exit(f"gdgrade failed: {result.stderr}")
        rate = options.count / elapsed
        own_cpu, sandbox_cpu = json.loads(result.stderr.rpartition("CPU ")[2])
        limit, limit_cpu = ceiling(paths, options.jobs)
        durations = [json.loads(p.read_text())["duration_s"] * 1000 for p in out.glob("student*.json")]
        ran = [report["sandbox"] for report in (json.loads(p.read_text()) for p in list(out.glob("student*.json"))[:50])
               if report.get("sandbox")]  # a file with a syntax error never runs
        sandboxed = sum("seccomp" in sandbox.get("applied", []) for sandbox in ran)

        sample = paths[: options.baseline]
        environment = dict(os.environ, OPENBLAS_NUM_THREADS="1")
        started = time.perf_counter()
        with ThreadPoolExecutor(2) as two:
            list(two.map(lambda p: subprocess.run([sys.executable, str(p)], capture_output=True,
                                                  env=environment, timeout=60), sample))
        baseline = len(sample) / (time.perf_counter() - started)

    print(f"machine: {os.cpu_count()} cores; files on {where}; {options.count} submissions, --jobs {options.jobs}, "
          f"public case + hidden cases, full sandbox ({sandboxed} of {len(ran)} sampled runs with seccomp)")
    print(f"gdgrade grade:              {rate:8.1f} submissions/s  ({elapsed:.1f} s)")
    print(f"ceiling (sandbox alone):    {limit:8.1f} submissions/s  ({limit_cpu * 1000:.1f} ms of CPU each)")
    print(f"share of the ceiling:       {100 * rate / limit:8.1f} %")
    print(f"CPU per submission:         grader process {own_cpu / options.count * 1000:.1f} ms, "
          f"fork server and children {sandbox_cpu / options.count * 1000:.1f} ms")
    print(f"python FILE, two at a time: {baseline:8.1f} files/s        (grades nothing; {len(sample)} files)")
    print(f"ratio:                      {rate / baseline:8.1f} x")
    print(f"latency per submission (run + comparison, from the reports): p50 {percentile(durations, .5):.1f} ms, "
          f"p90 {percentile(durations, .9):.1f} ms, p99 {percentile(durations, .99):.1f} ms, "
          f"max {max(durations):.1f} ms, mean {statistics.fmean(durations):.1f} ms")
    print(f"peak resident memory of the whole grader (all processes): {peak / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
