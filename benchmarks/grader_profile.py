"""Where the grader process's own CPU goes in a batch, in milliseconds per submission, by part.

    python benchmarks/grader_profile.py [--count 500] [--jobs 2] [--scratch DIR] [--unshared]

Grades COUNT synthetic submissions (as ``throughput.py`` builds them) with every default on, twice
in this process: once plainly, for the CPU of the main thread and of the rest of the process (the
sandbox's supervisor thread), and once under cProfile timing the main thread's CPU, to split it by
part. The profiler slows what it measures unevenly; each part is shown as profiled and scaled to
the plain run's main-thread CPU (the estimate to read). Parts are the cumulative CPU of the
functions named, counted only from the caller named where one is, so that none is counted twice.
The files go to the temporary folder or ``--scratch``, whose filesystem it names: creating a file
costs the kernel 4 us on a tmpfs and up to a millisecond on an ext4 without a journal (README).

The synthetic files cycle through the samples, so most runs send result lines another run sent,
and a batch judges those values once (``grader.protocol.Lines``); ``--unshared`` reads every line
for itself, as in a class where no two students' values are the same bits: the worst case.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import filesystem, make_submissions  # noqa: E402

PARTS = (
    # (what, function, called from: None for any caller)
    ("read the file, parse its tree", ("grade.py", "_prepare"), None),
    ("hand its run to the supervisor", ("grade.py", "_run"), None),
    ("validate the run's lines", ("protocol.py", "parse_run"), None),
    ("judge: compare each value", ("compare.py", "_compared"), None),
    ("judge: explain wrong values", ("diagnose.py", "explained"), ("compare.py", "_incorrect")),
    ("judge: explain wrong values", ("diagnose.py", "with_idioms"), ("compare.py", "_incorrect")),
    ("judge: explain wrong values", ("diagnose.py", "matching_mistake"), ("compare.py", "_raised")),
    ("judge: explain wrong values", ("diagnose.py", "diagnose"), ("compare.py", "_raised")),
    ("judge: explain wrong values", ("diagnose.py", "with_idioms"), ("compare.py", "_raised")),
    ("report: adjustments", ("adjust.py", "apply"), ("gradebook.py", "add")),
    ("report: JSON text", ("report_json.py", "dump_bytes"), ("gradebook.py", "add")),
    ("report: student view (level, hidden cases)", ("audience.py", "view"), ("writer.py", "add")),
    ("page: render the feedback page", ("html.py", "student"), ("html.py", "add")),
    ("rows: class page row", ("html.py", "student_row"), ("gradebook.py", "add")),
    ("rows: JUnit", ("junit.py", "add"), ("writer.py", "add")),
    ("rows: class tallies", ("summary.py", "add"), ("writer.py", "add")),
    ("write the report and page files", ("atomic.py", "write_bytes"), ("gradebook.py", "add")),
    ("write the report and page files", ("atomic.py", "write"), ("html.py", "add")),
)
WHOLES = {
    "judge": (("compare.py", "check_all"), None),
    "finish": (("grade.py", "_finish"), None),
    "add": (("gradebook.py", "add"), ("cli.py", "grade_command")),
    "batch files": (("gradebook.py", "finish"), ("cli.py", "grade_command")),
    "command": (("cli.py", "grade_command"), None),
}
"""Whole steps, each a function (and the caller it is counted from: the batch's ``Gradebook`` alone,
not its writers, which share the method's name)."""


def grade(folder: Path, out: Path, jobs: int, profile: cProfile.Profile | None) -> tuple[float, float]:
    """Grade ``folder`` into ``out`` in this process; the CPU seconds of the main thread and of the process."""
    try:
        from grader.entry import main
    except ImportError:  # a gdgrade from before the lazy root, measured for comparison
        from grader.cli import main  # type: ignore[no-redef]

    thread, process = time.thread_time(), resource.getrusage(resource.RUSAGE_SELF)
    if profile is not None:
        profile.enable()
    try:
        main(["grade", str(folder), "--out", str(out), "--jobs", str(jobs), "--seed", "1"])
    except SystemExit as done:
        if done.code:
            raise
    finally:
        if profile is not None:
            profile.disable()
    after = resource.getrusage(resource.RUSAGE_SELF)
    return (time.thread_time() - thread,
            after.ru_utime + after.ru_stime - process.ru_utime - process.ru_stime)


def missing_functions() -> list[str]:
    """The functions ``PARTS`` and ``WHOLES`` name that no module of gdgrade defines (renamed since):
    a part of such a name would read 0 without a word."""
    package = Path(__file__).resolve().parent.parent / "grader"
    texts: dict[str, str] = {}
    for path in package.rglob("*.py"):
        texts[path.name] = texts.get(path.name, "") + path.read_text()
    named = [entry for _, entry, _ in PARTS] + [entry for entry, _ in WHOLES.values()]
    named += [caller for _, _, caller in PARTS if caller] + [caller for _, caller in WHOLES.values() if caller]
    return sorted({f"{file}: {name}" for file, name in named
                   if not re.search(rf"^\s*def {name}\(", texts.get(file, ""), re.MULTILINE)})


def cumulative(stats: pstats.Stats, function: tuple[str, str], caller: tuple[str, str] | None) -> float:
    total = 0.0
    for (path, _, name), (_, _, _, cum, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if not (path.endswith(function[0]) and name == function[1]):
            continue
        if caller is None:
            total += cum
        else:
            total += sum(timing[3] for (where, _, by), timing in callers.items()
                         if where.endswith(caller[0]) and by == caller[1])
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scratch", type=Path, default=None,
                        help="where the submissions and reports go (default: the temporary folder)")
    parser.add_argument("--unshared", action="store_true",
                        help="read every result line for itself, as if no two students sent the same one")
    options = parser.parse_args()
    if missing := missing_functions():
        sys.exit(f"grader_profile.py names functions gdgrade no longer has: {', '.join(missing)}")
    if options.unshared:  # no line is kept, so no run shares a value object and nothing is judged once for many
        import grader.protocol
        grader.protocol.LINE_KEPT_CHARS = -1
    with tempfile.TemporaryDirectory(prefix="grader-profile-", dir=options.scratch) as scratch:
        where = filesystem(Path(scratch))
        folder = Path(scratch) / "submissions"
        make_submissions(folder, options.count)
        grade(folder, Path(scratch) / "warm", options.jobs, None)  # imports and first-use builds out of the way
        main_cpu, process_cpu = grade(folder, Path(scratch) / "plain", options.jobs, None)
        profile = cProfile.Profile(time.thread_time)
        profiled_cpu, _ = grade(folder, Path(scratch) / "profiled", options.jobs, profile)
    stats = pstats.Stats(profile)
    per = 1000 / options.count
    scale = main_cpu / profiled_cpu
    print(f"{options.count} submissions, --jobs {options.jobs}, files on {where}, "
          f"{'no lines shared, ' if options.unshared else ''}load {os.getloadavg()[0]:.2f}; "
          "grader process CPU "
          f"{process_cpu * per:.2f} ms per submission: main thread {main_cpu * per:.2f}, supervisor thread and "
          f"the rest {(process_cpu - main_cpu) * per:.2f} (profiled main thread: {profiled_cpu * per:.2f}, "
          f"scaled by {scale:.2f})")
    parts: dict[str, float] = {}
    for what, function, caller in PARTS:
        parts[what] = parts.get(what, 0.0) + cumulative(stats, function, caller)
    wholes = {name: cumulative(stats, function, caller) for name, (function, caller) in WHOLES.items()}
    judged = sum(value for what, value in parts.items() if what.startswith("judge: "))
    parts["judge: the rest of check_all"] = wholes["judge"] - judged
    parts["report: build it (_finish but judging)"] = wholes["finish"] - wholes["judge"]
    parts["rows: grades.csv row and the rest of add"] = wholes["add"] - sum(
        value for what, value in parts.items()
        if what.split(":")[0] in ("report", "page", "rows", "write the report and page files")
        and not what.startswith("report: build"))
    parts["batch files at the end (finish)"] = wholes["batch files"]
    parts["everything else in the main thread"] = profiled_cpu - sum(parts.values())
    print(f"{'part':<48}{'profiled':>10}{'estimate':>10}  ms per submission")
    for what, value in parts.items():
        print(f"{what:<48}{value * per:>10.3f}{value * per * scale:>10.3f}")


if __name__ == "__main__":
    main()
