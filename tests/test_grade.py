"""Grading a batch (grader/grade.py) reliably: resume, atomic writes, interruption, runner death,
de-duplication, determinism, and a draw of hidden cases of its own."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from grader import intake, report_json
from grader.grade import Grader, Settings
from tests.conftest import SUBMISSIONS

SLEEPER = "import time\ntime.sleep(30)\n"


def gdgrade(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          timeout=120, **kwargs)


def wait_for(condition, seconds: float = 60.0):
    """Poll until ``condition()`` is true; fail after ``seconds`` (a bound, never an expected duration)."""
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)
    return result


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as stream:
        return [int(child) for child in stream.read().split()]


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
    assert report_json.load((out / "ok02.json").read_text()).score == 5
    assert report_json.load((out / "ok03.json").read_text()).score == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["submissions"] == 6 and summary["full_marks"] == 5
    assert len((out / "grades.csv").read_text().splitlines()) == 7
    seed = report_json.load(kept.read_text()).grading.seed  # drawn for the first run, reused since
    assert report_json.load((out / "ok02.json").read_text()).grading.seed == seed
    other = gdgrade("grade", folder, "--out", out, "--resume", "--rtol", "0.1")  # graded otherwise: again
    assert other.returncode == 0 and "kept" not in other.stdout


def test_interrupt_stops_cleanly_and_resume_finishes(tmp_path):
    folder, out = class_folder(tmp_path / "class", 4, sleepers=4), tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(folder), "--out", str(out),
                                "--jobs", "1", "--timeout", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    wait_for(lambda: len(list(out.glob("ok*.json"))) == 4)  # the next one sleeps for 20 s: nothing else ends
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    written = sorted(path.name for path in out.glob("*.json"))
    assert written == ["ok00.json", "ok01.json", "ok02.json", "ok03.json"]
    assert "interrupted after grading 4 of 8 submissions" in stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    assert not (out / "summary.json").exists() and not (out / "grades.csv").exists()
    assert not [path for path in out.iterdir() if "tmp" in path.name]
    for path in out.glob("*.json"):
        report_json.load(path.read_text())
    for sleeper in folder.glob("zz*"):
        shutil.rmtree(sleeper)
    (folder / "late").mkdir()
    shutil.copy(SUBMISSIONS / "correct_dot" / "gradient.py", folder / "late" / "gradient.py")
    resumed = gdgrade("grade", folder, "--out", out, "--jobs", "1", "--timeout", "20", "--resume")  # as printed
    assert resumed.returncode == 0 and "(4 kept from an earlier run)" in resumed.stdout


def test_killed_batch_leaves_only_whole_reports(tmp_path):
    folder, out = class_folder(tmp_path / "class", 30, sleepers=2), tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(folder), "--out", str(out),
                                "--jobs", "2", "--timeout", "60"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    wait_for(lambda: len(list(out.glob("ok*.json"))) >= 5)  # the sleepers keep it from finishing
    process.kill()
    process.wait()
    written = list(out.glob("*.json"))
    assert 5 <= len(written) <= 30 and not list(out.glob("zz*.json"))
    for path in written:
        assert report_json.load(path.read_text()).score == 5  # never half-written
    for sleeper in folder.glob("zz*"):
        shutil.rmtree(sleeper)
    resumed = gdgrade("grade", folder, "--out", out, "--jobs", "2", "--timeout", "60", "--resume")
    assert resumed.returncode == 0 and f"({len(written)} kept from an earlier run)" in resumed.stdout
    assert not [path for path in out.iterdir() if "tmp" in path.name]


def test_fork_server_death_is_reported_and_the_batch_goes_on(tmp_path, quiz):
    folder = class_folder(tmp_path / "class", 2, sleepers=1)
    (folder / "zz99").mkdir()
    shutil.copy(SUBMISSIONS / "correct_dot" / "gradient.py", folder / "zz99" / "gradient.py")
    reports = {}
    with Grader(quiz, Settings(timeout=20), 1) as grader:
        for report in grader.grade(intake.find([folder]).submissions):
            reports[report.submission] = report
            if len(reports) == 2:  # one slot, in order: the sleeper is next; kill once its child runs
                launcher = grader.sandbox.server_pid()
                server = wait_for(functools.partial(children, launcher))[0]
                wait_for(functools.partial(children, server))
                os.kill(launcher, signal.SIGKILL)
    assert [reports[f"ok{i:02d}"].score for i in range(2)] == [5, 5]
    victim = reports["zz00"]
    assert victim.status.value == "crashed" and victim.score == 0
    assert victim.warnings[0] == "the sandbox's fork server was killed by signal 9 while this submission ran"
    assert reports["zz99"].score == 5  # graded on a new fork server


class CountingSandbox:
    """Counts the runs a grader starts."""

    def __init__(self, sandbox):
        self.sandbox, self.runs = sandbox, 0

    def submit(self, source, hidden=None):
        self.runs += 1
        return self.sandbox.submit(source, hidden)


def test_identical_files_run_once_and_each_gets_a_report(tmp_path, quiz):
    folder = tmp_path / "class"
    for name in ("a", "b", "c"):
        (folder / name).mkdir(parents=True)
        shutil.copy(SUBMISSIONS / "error_reversed" / "gradient.py", folder / name / "gradient.py")
    (folder / "d").mkdir()
    shutil.copy(SUBMISSIONS / "correct_dot" / "gradient.py", folder / "d" / "gradient.py")
    with Grader(quiz, Settings(), 2) as grader:
        counting = grader.sandbox = CountingSandbox(grader.sandbox)
        reports = list(grader.grade(intake.find([folder]).submissions, window=2))
        grader.sandbox = counting.sandbox
    assert counting.runs == 2
    assert [r.submission for r in reports] == ["a", "b", "c", "d"]
    assert [r.score for r in reports] == [4, 4, 4, 5]
    assert len({r.source_sha256 for r in reports}) == 2


def test_same_submission_twice_gives_the_same_report(fork_grader):
    submission = intake.find([SUBMISSIONS / "two_input_h" / "gradient.py"]).submissions
    first, second = (next(fork_grader.grade(submission)) for _ in range(2))
    assert replace(first, duration_s=0.0) == replace(second, duration_s=0.0)


READS_ITS_DOCSTRING = (  # the scale of del_w is the docstring's number, read through a name no list could hold
    'def f():\n    """{scale}"""\n\n\nscale = float(np.ma.core.operator.attrgetter("__doc__")(f))\n')


def test_only_byte_identical_files_share_a_run(tmp_path, quiz):
    """Copies of one file run once; files that differ in anything (a docstring, a comment, the
    layout) run for themselves, so that a file which reads its own text is graded on its own run:
    two files with one syntax tree that score 5/5 and 4/5 alone get 5/5 and 4/5 in one batch."""
    right = (SUBMISSIONS / "correct_dot" / "gradient.py").read_text()
    scaled = right.replace("del_w = learnrate * error_term * x", "del_w = scale * learnrate * error_term * x")
    assert scaled != right
    reads = {scale: scaled.replace("# TODO: Calculate change in weights", READS_ITS_DOCSTRING.format(scale=scale)
                                   + "# TODO: Calculate change in weights") for scale in ("1.0", "2.0")}
    crash = (SUBMISSIONS / "crash_halfway" / "gradient.py").read_text()
    files = {"a": right, "a-copy": right, "b": "# mine\n" + right, "one": reads["1.0"], "two": reads["2.0"],
             "two-copy": reads["2.0"], "c": crash, "d": "\n\n" + crash}
    folder = tmp_path / "class"
    for name, text in files.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "gradient.py").write_text(text)
    with Grader(quiz, Settings(seed=5), 2) as grader:
        reports = {r.submission: r for r in grader.grade(intake.find([folder]).submissions)}
        assert grader.runs == len(set(files.values())) == 6
    assert {name: r.score for name, r in reports.items()} == {
        "a": 5, "a-copy": 5, "b": 5, "one": 5, "two": 4, "two-copy": 4, "c": 4, "d": 4}
    assert [reports[name].error.line for name in ("c", "d")] == [49, 51]  # each file's own line


def test_resume_keeps_no_report_of_another_gdgrade_or_quiz_version_and_says_why(tmp_path):
    folder, out = class_folder(tmp_path / "class", 3), tmp_path / "out"
    assert gdgrade("grade", folder, "--out", out).returncode == 0
    for path in out.glob("ok*.json"):  # as an older gdgrade wrote them
        data = json.loads(path.read_text())
        data["grader_version"] = "0.0.9"
        path.write_text(json.dumps(data))
    older = gdgrade("grade", folder, "--out", out, "--resume")
    assert older.returncode == 0 and "kept" not in older.stdout
    assert ("gdgrade: note: --resume keeps no report: " f"{out} holds none this batch can keep (3 made by gdgrade "
            "0.0.9 (this is 0.1.0)); grading all 3") in older.stderr
    for path in out.glob("ok*.json"):  # graded by another version of the quiz's files
        data = json.loads(path.read_text())
        data["grading"]["quiz_digest"] = "0" * 64
        path.write_text(json.dumps(data))
    changed = gdgrade("grade", folder, "--out", out, "--resume")
    assert changed.returncode == 0 and "kept" not in changed.stdout
    assert "(3 graded with another version of quiz gradient_descent)" in changed.stderr
    assert "(3 kept from an earlier run)" in gdgrade("grade", folder, "--out", out, "--resume").stdout


def test_a_draw_of_its_own_grades_the_file_on_those_cases(fork_grader):
    """The quiz page draws fresh hidden cases per attempt: the report is graded on them, not on the batch's."""
    submission = intake.Submission("right", SUBMISSIONS / "correct_dot" / "gradient.py")
    fresh = fork_grader.draw()
    assert fresh.grading.seed != fork_grader.seed
    report = fork_grader.report(fork_grader.submit(submission, fresh))
    assert report.score == 5 and report.grading == fresh.grading
    del_w = next(check for check in report.checks if check.name == "del_w")
    expected = [case.expected for case in del_w.cases]
    assert expected[0] == fork_grader.reference.expected[0]["del_w"].plain  # the public case stays
    assert expected[1:] == [fresh.reference.expected[i]["del_w"].plain for i in range(1, len(expected))]
    assert expected[1:] != [fork_grader.reference.expected[i]["del_w"].plain for i in range(1, len(expected))]
