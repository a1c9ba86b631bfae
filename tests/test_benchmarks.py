"""Every script in benchmarks/ runs on tiny counts, exits 0 and prints its figures: each named figure
appears with a number. A smoke run, so that a change elsewhere cannot break a benchmark unseen; it
measures nothing and asserts no time (speed goals are the scripts' own, run by hand on a quiet
machine; the README gives their figures)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

BENCHMARKS = ROOT / "benchmarks"
N = r"-?\d+(?:\.\d+)?"
"""A figure: a number, negative where one layer's cost is measured as a difference."""

SMOKE: dict[str, tuple[list[str], list[str]]] = {
    "ceiling.py": (["--count", "4", "--jobs", "1"],
                   [rf"^ceiling: {N} submissions/s, {N} ms of CPU each \(4 distinct files, --jobs 1\)$"]),
    "check_latency.py": (["--runs", "1"],
                         [rf"^  python FILE: +{N} ms +\(quartiles {N}-{N}\)$",
                          rf"^  gdgrade --version: +{N} ms +\(quartiles {N}-{N}\)$",
                          rf"^  gdgrade check FILE: +{N} ms +\(quartiles {N}-{N}\) +{N} x python FILE$",
                          rf"^  sandbox ready: +{N} ms$", rf"^  file run, all cases: +{N} ms$"]),
    "explain_cost.py": (["1"],
                        [rf"^error: {N} terms$", rf"^del_w: {N} terms$",
                         rf"^  nothing explains it +{N} ms +found: none$",
                         rf"^nearby, error_term: brackets dropped +{N} ms +found: "]),
    "grader_profile.py": (["--count", "4", "--jobs", "1"],
                          [rf"^4 submissions, --jobs 1, files on \w+, load {N}; grader process CPU {N} ms per "
                           "submission: ",
                           rf"^judge: explain wrong values +{N} +{N}$",
                           rf"^everything else in the main thread +{N} +{N}$"]),
    "large_class.py": (["--count", "5", "--jobs", "1"],
                       [rf"^5 submissions, --jobs 1: {N} min, {N} submissions/s, peak resident memory {N} MiB$",
                        rf"^  grades\.csv +{N} MiB$", rf"^  students\.js +{N} MiB$",
                        rf"^class page: first rows shown {N} s after opening \(median of 3\), "
                        rf"sorted by score in {N} s"]),
    "memory_curve.py": (["3"],
                        [rf"^ +3 submissions: peak +{N} MiB, +{N} s \({N}/s\)$", rf"^relative to the first: 3: {N}x$"]),
    "same_program.py": (["--count", "6"],
                        [rf"^6 submissions, {N} distinct files, {N} runs \({N}% of runs saved\); graded in {N} s$"]),
    "sandbox_cost.py": (["3"],
                        [rf"^prepare, once per fork server .*: {N} ms$", rf"^full sandbox +{N} +{N} +{N} +{N}$",
                         rf"^  without seccomp +{N} +{N} +{N} +{N} +seccomp: {N} in enter, {N} of child CPU$"]),
    "serve_load.py": (["--seconds", "0.5", "--clients", "1", "--jobs", "1", "--count", "3", "--stores", "none",
                       "--honest", "0"],
                      [rf"^none +1 clients: +{N} checks/s +p50 +{N} ms +p99 +{N} ms +503s: {N}$",
                       rf"^grade: +{N} submissions/s \(3 files, {N} s\)$"]),
    "throughput.py": (["--count", "4", "--jobs", "1", "--baseline", "2"],
                      [rf"^machine: {N} cores; files on \w+; 4 submissions",
                       rf"^gdgrade grade: +{N} submissions/s", rf"^ceiling \(sandbox alone\): +{N} submissions/s",
                       rf"^share of the ceiling: +{N} %$", rf"^python FILE, two at a time: +{N} files/s",
                       rf"^latency per submission .*: p50 {N} ms, p90 {N} ms, p99 {N} ms",
                       rf"^peak resident memory of the whole grader \(all processes\): {N} MiB$"]),
}
"""Each script's tiny arguments, and the figures its output must hold (regular expressions, one line each)."""


def scripts() -> list[str]:
    """The runnable scripts of benchmarks/ (common.py is their shared library)."""
    return sorted(path.name for path in BENCHMARKS.glob("*.py") if 'if __name__ == "__main__":' in path.read_text())


def test_every_benchmark_has_a_smoke_run():
    assert scripts() == sorted(SMOKE), (
        "each script in benchmarks/ needs an entry in SMOKE (tests/test_benchmarks.py): arguments that make it "
        "tiny (every script takes a size) and the figures it prints")


@pytest.mark.parametrize("name", sorted(SMOKE))
def test_a_benchmark_runs_on_tiny_counts_and_prints_its_figures(name, tmp_path):
    arguments, figures = SMOKE[name]
    environment = dict(os.environ, TMPDIR=str(tmp_path))  # its scratch folders and Chromium's, removed with it
    done = subprocess.run([sys.executable, str(BENCHMARKS / name), *arguments], capture_output=True, text=True,
                          cwd=tmp_path, env=environment, timeout=600)
    assert done.returncode == 0, done.stderr
    missing = [figure for figure in figures if not re.search(figure, done.stdout, re.MULTILINE)]
    assert not missing, f"{name} printed no line matching {missing}:\n{done.stdout}"
