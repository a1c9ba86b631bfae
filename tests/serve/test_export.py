"""gdgrade export: the page's stored submits written exactly as gdgrade grade writes a batch."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from grader import intake, quiz
from grader.outdir import student_files
from grader.serve import export
from grader.serve.store import Attempt, open_store
from tests.conftest import SEED, SUBMISSIONS
from tests.formats.test_lms import CANVAS_EXPORT
from tests.test_cli import gdgrade

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CLASS = {"jsmith": "correct_dot", "jdoe": "error_reversed", "blee": "syntax_error", "ana@uni.edu": "forgot_learnrate"}
"""Each student's last submit; "ana@uni.edu" is not a safe file name, so it gets a digest-named one."""


def sample(name: str) -> Path:
    return SUBMISSIONS / name / "gradient.py"


@pytest.fixture(scope="module")
def graded(fork_grader):
    """The reports the page's grader gives each sample, as the server keeps them (full, hidden cases in)."""
    names = {*CLASS.values(), "starter"}
    return {name: next(fork_grader.grade([intake.one(sample(name), "gradient.py")])) for name in names}


def record_class(url: str, graded) -> None:
    """Each student: a test run of the starter, a Submit of the starter, then a Submit of their sample."""
    with open_store(url) as store:
        for user, name in CLASS.items():
            for minute, (kind, file) in enumerate([("run", "starter"), ("submit", "starter"), ("submit", name)]):
                store.record(Attempt(user=f"proxy:{user}", name=user, quiz="gradient_descent", kind=kind,
                                     at=T0 + timedelta(minutes=minute), source=sample(file).read_text(),
                                     report=graded[file]))


def test_an_export_is_what_grade_writes_for_the_same_files(store_url, graded, tmp_path):
    record_class(store_url, graded)
    batch = tmp_path / "batch"
    for user, name in CLASS.items():
        (batch / user).mkdir(parents=True)
        (batch / user / "gradient.py").write_bytes(sample(name).read_bytes())
    by_grade = gdgrade("grade", batch, "--out", tmp_path / "graded", "--seed", SEED)
    assert by_grade.returncode == 0, by_grade.stderr
    exported = gdgrade("export", "--db", store_url, "--out", tmp_path / "exported", "--which", "last")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("Graded 4 submissions (each student's last submit, from ")

    graded_out, export_out = tmp_path / "graded", tmp_path / "exported"
    names = sorted(path.name for path in graded_out.iterdir())
    assert sorted(path.name for path in export_out.iterdir()) == names
    assert {"jsmith.json", "jsmith.html", "grades.csv", "junit.xml", "summary.json", "summary.md", "index.html",
            "students.js", ".gdgrade-files"} <= set(names)
    assert len([name for name in names if name.startswith("ana_uni.edu~")]) == 2
    for name in ("grades.csv", "summary.json", "summary.md"):
        assert (export_out / name).read_text() == (graded_out / name).read_text(), name
    claims = [json.loads((folder / ".gdgrade-files").read_text()) for folder in (graded_out, export_out)]
    assert claims[0]["files"] == claims[1]["files"]  # the same files claimed; each names its own batch
    assert claims[1]["batch"]["command"] == "export --which last" and claims[0]["batch"]["command"] == "grade"
    for user in CLASS:
        report_name, page_name = student_files(user)
        from_grade, from_store = (json.loads((folder / report_name).read_text()) for folder in (graded_out, export_out))
        assert from_store["submission"] == user
        for field in ("quiz", "status", "score", "max_score", "checks", "grading", "error", "stdout", "warnings",
                      "source_sha256"):
            assert from_store[field] == from_grade[field], (user, field)
        page = (export_out / page_name).read_text()
        assert "sigmoid" in page  # the student's own code, as on grade's page
    junit = (export_out / "junit.xml").read_text()
    assert all(f'name="{user}"' in junit for user in CLASS)


def test_best_takes_each_students_highest_score_and_last_their_latest(tmp_path, graded):
    url = str(tmp_path / "attempts.db")
    record_class(url, graded)
    with open_store(url) as store:  # jsmith submits the starter once more, after full marks
        store.record(Attempt(user="proxy:jsmith", name="jsmith", quiz="gradient_descent", kind="submit",
                             at=T0 + timedelta(hours=1), source=sample("starter").read_text(),
                             report=graded["starter"]))
    for which, expected in (("best", graded["correct_dot"].score), ("last", graded["starter"].score)):
        result = gdgrade("export", "--db", f"sqlite:///{url}", "--out", tmp_path / which, "--which", which)
        assert result.returncode == 0, result.stderr
        assert json.loads((tmp_path / which / "jsmith.json").read_text())["score"] == expected
    assert graded["correct_dot"].score > graded["starter"].score


def test_a_roster_gets_the_lms_import_file(tmp_path, graded):
    url = str(tmp_path / "attempts.db")
    record_class(url, graded)
    roster = tmp_path / "canvas.csv"
    roster.write_bytes(CANVAS_EXPORT)
    result = gdgrade("export", "--db", url, "--out", tmp_path / "out", "--roster", roster, "--assignment", "1001")
    assert result.returncode == 0, result.stderr
    rows = (tmp_path / "out" / "canvas-import.csv").read_text().splitlines()
    assert rows[2].startswith('"Smith, John",12345,S001,jsmith,Section A,10')  # 5/5 of 10 points
    assert rows[3].startswith('"Doe, Jane",23456,S002,jdoe,Section A,8')
    unmatched = (tmp_path / "out" / "unmatched.csv").read_text()
    assert "ana@uni.edu" in unmatched and "jsmith" not in unmatched


def test_the_servers_download_is_the_same_export_in_a_zip(tmp_path, graded):
    url = str(tmp_path / "attempts.db")
    record_class(url, graded)
    with open_store(url) as store:
        summary = export.archive(store, quiz.load("gradient_descent"), tmp_path / "class.zip", "last")
    assert summary.submissions == 4 and summary.full_marks == 1
    assert gdgrade("export", "--db", url, "--out", tmp_path / "folder", "--which", "last").returncode == 0
    with zipfile.ZipFile(tmp_path / "class.zip") as bundle:
        assert sorted(bundle.namelist()) == sorted(path.name for path in (tmp_path / "folder").iterdir()
                                                   if not path.name.startswith("."))
        assert bundle.read("grades.csv") == (tmp_path / "folder" / "grades.csv").read_bytes()
    left = {path.name for path in tmp_path.iterdir()} - {"attempts.db-shm", "attempts.db-wal"}
    assert left == {"attempts.db", "class.zip", "folder"}  # no temporary of the zip's


def test_bad_input_is_one_line_and_a_non_zero_exit(tmp_path, graded, postgres):
    empty, two = tmp_path / "empty.db", tmp_path / "two.db"
    open_store(str(empty)).close()
    record_class(str(two), graded)
    with open_store(str(two)) as store:
        store.record(Attempt(user="cy", name=None, quiz="backprop", kind="run", at=T0, source="x = 1\n",
                             report=graded["starter"]))
    gone = postgres.url("db_that_does_not_exist")
    for arguments, code, said in (
            (["--db", tmp_path / "missing.db"], 2, f"there is no database file {tmp_path / 'missing.db'}"),
            (["--db", "mysql://host/db"], 2, "gdgrade keeps attempts in SQLite"),
            (["--db", gone], 1, 'database "db_that_does_not_exist" does not exist'),
            (["--db", "postgresql://u:secret@/db?host=/nonexistent"], 1, "cannot open --db postgresql://u:***@/db"),
            (["--db", empty], 2, "the database holds no attempts yet"),
            (["--db", two], 2, "the database holds attempts of 2 quizzes (backprop, gradient_descent): give --quiz"),
            (["--db", two, "--quiz", "backprop"], 2, "holds no submit of quiz backprop (it holds attempts of "
                                                     "backprop, gradient_descent)"),
            (["--db", two, "--quiz", "no_such_quiz"], 2, "no_such_quiz")):
        result = gdgrade("export", *arguments, "--out", tmp_path / "out")
        assert result.returncode == code, (arguments, result.stderr)
        assert said in result.stderr and "secret" not in result.stderr, (arguments, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "missing.db").exists()  # export reads a database; it never makes one
