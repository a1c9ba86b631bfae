"""Batch reliability: resume, atomic writes, interruption, runner death, de-duplication, determinism."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from grader import discover
from grader.grade import Settings, grade
from grader.pool import Pool
from grader.report import Report

from .conftest import SUBMISSIONS

SLEEPER = "import time\ntime.sleep(30)\n"


def gdgrade(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          timeout=120, **kwargs)


def class_folder(root: Path, honest: int, sleepers: int = 0) -> Path:
    for index in range(honest):
        (root / f"ok{index:02d}").mkdir(parents=True)
        (root / f"ok{index:02d}" / "gradient.py").write_text(
            f"student = {index}\n" + (SUBMISSIONS / "correct_dot" / "gradient.py").read_text())
    for index in range(sleepers):
        (root / f"zz{index:02d}").mkdir(parents=True)
        (root / f"zz{index:02d}" / "gradient.py").write_text(SLEEPER)
    return root


def test_resume_grades_only_what_has_no_valid_report(tmp_path):
    folder, out = class_folder(tmp_path / "class", 6), tmp_path / "out"
    assert gdgrade("grade", folder, "--out", out).returncode == 0
    kept = out / "ok00.json"
    kept_stamp = kept.stat().st_mtime_ns
    (out / "ok01.json").unlink()
    (out / "ok02.json").write_text('{"half": ')  # a broken report is graded again
    (folder / "ok03" / "gradient.py").write_text("h = 1\n")  # a changed file is graded again
    result = gdgrade("grade", folder, "--out", out, "--resume")
    assert result.returncode == 0, result.stderr
    assert "(3 kept from an earlier run)" in result.stdout
    assert kept.stat().st_mtime_ns == kept_stamp
    assert Report.model_validate_json((out / "ok02.json").read_text()).score == 5
    assert Report.model_validate_json((out / "ok03.json").read_text()).score == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["submissions"] == 6 and summary["full_marks"] == 5
    assert len((out / "grades.csv").read_text().splitlines()) == 7


def test_interrupt_stops_cleanly_and_resume_finishes(tmp_path):
    folder, out = class_folder(tmp_path / "class", 4, sleepers=4), tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(folder), "--out", str(out),
                                "--jobs", "1", "--timeout", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 60
    while len(list(out.glob("ok*.json"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # now busy with a sleeper
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "interrupted after grading 4 of 8 submissions" in stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    assert not (out / "summary.json").exists() and not list(out.glob(".*.tmp"))
    for path in out.glob("*.json"):
        Report.model_validate_json(path.read_text())
    for sleeper in folder.glob("zz*"):
        shutil.rmtree(sleeper)
    (folder / "late").mkdir()
    shutil.copy(SUBMISSIONS / "correct_dot" / "gradient.py", folder / "late" / "gradient.py")
    resumed = gdgrade("grade", folder, "--out", out, "--resume")
    assert resumed.returncode == 0 and "(4 kept from an earlier run)" in resumed.stdout


def test_killed_batch_leaves_only_whole_reports(tmp_path):
    folder, out = class_folder(tmp_path / "class", 30), tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(folder), "--out", str(out),
                                "--jobs", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(list(out.glob("ok*.json"))) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.kill()
    process.wait()
    written = list(out.glob("*.json"))
    assert 5 <= len(written) < 30
    for path in written:
        assert Report.model_validate_json(path.read_text()).score == 5  # never half-written
    resumed = gdgrade("grade", folder, "--out", out, "--resume")
    assert resumed.returncode == 0 and f"({len(written)} kept from an earlier run)" in resumed.stdout


def test_runner_death_is_reported_and_the_batch_goes_on(tmp_path, quiz):
    folder = class_folder(tmp_path / "class", 2, sleepers=1)
    submissions = discover.find([folder])
    with Pool(1) as pool:
        def kill_runner_soon():
            time.sleep(1.0)
            os.kill(pool.runners[0].process.pid, signal.SIGKILL)

        killer = threading.Thread(target=kill_runner_soon)
        killer.start()
        reports = {r.submission: r for r in grade(submissions, quiz, Settings(timeout=20), pool)}
        killer.join()
    assert [reports[f"ok{i:02d}"].score for i in range(2)] == [5, 5]
    victim = reports["zz00"]
    assert victim.status.value == "crashed" and victim.score == 0
    assert "the runner exited" in victim.warnings[0]


class CountingPool(Pool):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.jobs = 0

    def submit(self, job):
        self.jobs += 1
        return super().submit(job)


def test_identical_files_run_once_and_each_gets_a_report(tmp_path, quiz):
    folder = tmp_path / "class"
    for name in ("a", "b", "c"):
        (folder / name).mkdir(parents=True)
        shutil.copy(SUBMISSIONS / "error_reversed" / "gradient.py", folder / name / "gradient.py")
    (folder / "d").mkdir()
    shutil.copy(SUBMISSIONS / "correct_dot" / "gradient.py", folder / "d" / "gradient.py")
    with CountingPool(2) as pool:
        reports = list(grade(discover.find([folder]), quiz, Settings(), pool, window=2))
    assert pool.jobs == 2
    assert [r.submission for r in reports] == ["a", "b", "c", "d"]
    assert [r.score for r in reports] == [4, 4, 4, 5]
    assert len({r.source_sha256 for r in reports}) == 2


def test_same_submission_twice_gives_the_same_report(fork_pool, quiz):
    submission = discover.find([SUBMISSIONS / "two_input_h" / "gradient.py"])
    first, second = (next(grade(submission, quiz, Settings(), fork_pool)) for _ in range(2))
    assert first.model_dump(exclude={"duration_s"}) == second.model_dump(exclude={"duration_s"})
