"""Reading downloads as hostile students and careless tools make them: bounded, named, never fatal.

The archive reader's hostile members (zip slip, bombs, links, lying sizes and offsets) are in
test_adversarial.py; these are the limits of the reader itself and the layouts' own traps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.intake import IntakeError, archive, find
from grader.intake.notebook import script
from tests.conftest import SUBMISSIONS

RIGHT = (SUBMISSIONS / "correct_dot" / "gradient.py").read_bytes()


def zipped(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in files.items():
            out.writestr(name, data)
    return path


def test_an_archive_of_more_folders_than_any_class_is_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "MAX_FOLDERS", 40)
    bomb = zipped(tmp_path / "bomb.zip", {f"f{i}/g{i}/": b"" for i in range(25)} | {"ana/gradient.py": RIGHT})
    with pytest.raises(IntakeError, match="more than 40 folders"):
        find([bomb])
    fits = zipped(tmp_path / "fits.zip", {f"f{i}/": b"" for i in range(30)} | {"ana/gradient.py": RIGHT})
    assert [submission.id for submission in find([fits]).submissions] == ["ana"]


def test_all_reads_of_one_archive_are_bounded_together(tmp_path, monkeypatch):
    """Each member is within its own limit, but together they decompress to more than the budget."""
    filler = b"# " + b"x" * 60_000 + b"\n"
    download = zipped(tmp_path / "class.zip", {f"s{i}/gradient.py": filler + RIGHT for i in range(6)})
    monkeypatch.setattr(archive, "MAX_READ_BYTES", 4 * len(filler + RIGHT) + 10)
    read, refused = [], []
    for submission in find([download]).submissions:
        try:
            read.append(submission.read())
        except OSError as problem:
            refused.append(str(problem))
    assert len(read) == 4 and all(data == filler + RIGHT for data in read)
    assert len(refused) == 2 and all("already decompress to" in said for said in refused)


def test_a_thousand_zips_are_read_with_few_descriptors(tmp_path):
    """No archive keeps a descriptor open between reads: a class of students' zips, each one file,
    given on the command line, is listed and read under a limit of 64 open files."""
    folder = tmp_path / "class"
    folder.mkdir()
    for i in range(1000):
        zipped(folder / f"student{i:04}.zip", {"gradient.py": RIGHT})
    program = (
        "import resource, sys\nfrom pathlib import Path\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n"
        "from grader.intake import find\n"
        "found = find(sorted(Path(sys.argv[1]).iterdir()))\n"
        "print(len(found.submissions), sum(s.read() == Path(sys.argv[2]).read_bytes() for s in found.submissions),"
        " found.submissions[0].id, found.submissions[-1].id)\n")
    right = SUBMISSIONS / "correct_dot" / "gradient.py"
    done = subprocess.run([sys.executable, "-c", program, str(folder), str(right)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1000", "1000", "student0000", "student0999"]


def test_an_empty_archive_and_a_one_student_zip(tmp_path):
    empty = zipped(tmp_path / "nothing.zip", {})
    found = find([empty])
    assert found.submissions == [] and found.notes == [f"{empty} is an empty archive"]
    mine = zipped(tmp_path / "ana_lee.zip", {"gradient.py": RIGHT})
    (single,) = find([mine]).submissions
    assert (single.id, single.read()) == ("ana_lee", RIGHT)


def test_a_zip_named_zip_that_is_not_one_is_a_usage_error(tmp_path):
    fake = tmp_path / "download.zip"
    fake.write_bytes(b"this is a text file\n" * 10)
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(fake), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{fake} cannot be read as a zip archive: it is not a zip archive" in done.stderr


def _receipt(name: str, user: str, stored: str) -> bytes:
    return (f"Name: {name} ({user})\nAssignment: Quiz 3\n\nFiles:\n\tOriginal filename: gradient.py\n"
            f"\tFilename: {stored}\n").encode()


def test_a_blackboard_receipt_cannot_name_another_student(tmp_path):
    """Bob names his file as Blackboard would and adds a receipt that says he is Ann: the file name's
    username decides, so he is graded as bob and Ann's own attempt stays hers."""
    bob = "Quiz 3_bob_attempt_2026-11-20-10-00-00"
    ann = "Quiz 3_ann_attempt_2026-11-20-09-00-00"
    download = zipped(tmp_path / "bb.zip", {
        f"{bob}_gradient.py": b"h = 1\n", f"{bob}.txt": _receipt("Ann Lee", "ann", f"{bob}_gradient.py"),
        f"{ann}_gradient.py": RIGHT, f"{ann}.txt": _receipt("Ann Lee", "ann", f"{ann}_gradient.py"),
        "Quiz 3_carl_attempt_2026-13-45-10-00-00_gradient.py": RIGHT,  # no such date: not a Blackboard name
    })
    found = find([download])
    by_id = {submission.id: submission for submission in found.submissions}
    assert by_id["ann"].read() == RIGHT and by_id["ann"].student.name == "Ann Lee"
    assert by_id["bob"].read() == b"h = 1\n" and by_id["bob"].student.lms_id == "bob"
    assert by_id["bob"].student.name is None  # the receipt's name belongs to another username
    assert "Quiz 3_carl_attempt_2026-13-45-10-00-00_gradient" in by_id
    assert [submission.student.system for submission in found.submissions if submission.student] == ["blackboard"] * 2


@pytest.mark.parametrize("metadata", [
    b"submission_1: &a\n  :submitters: [*a, *a, *a]\n",  # aliases: refused, never expanded
    b"submission_1:\n  :submitters:\n  - :name: 12345\n    :sid: 678\n  :created_at: not a date\n",
    b"- just\n- a list\n",
    b"submission_1: {:submitters: {:name: Ann}}\n",
    b"\xff\xfe not yaml at all {{{",
])
def test_gradescope_metadata_of_any_shape_grades_the_students(tmp_path, metadata):
    download = zipped(tmp_path / "gs.zip", {"submission_1/gradient.py": RIGHT,
                                            "submission_metadata.yml": metadata})
    (graded,) = find([download]).submissions
    assert graded.read() == RIGHT and graded.student.system == "gradescope"
    if b"12345" in metadata:
        assert (graded.id, graded.student.lms_id, graded.student.attempt) == ("12345_1", "678", "not a date")


def test_moodle_folder_names_in_any_bytes_are_graded_and_shown_printably(tmp_path):
    folder = tmp_path / "moodle"
    for raw in (b"Ana L\xf3pez_101_assignsubmission_file_", b"Bo\x1b[2J Ng_102_assignsubmission_file_"):
        path = folder / os.fsdecode(raw)
        path.mkdir(parents=True)
        (path / "gradient.py").write_bytes(RIGHT)
    found = find([folder])
    students = sorted((submission.student.name, submission.student.lms_id) for submission in found.submissions)
    assert students == [("Ana L\\xf3pez", "101"), ("Bo\\x1b[2J Ng", "102")]
    assert all(submission.read() == RIGHT for submission in found.submissions)


def test_a_notebook_of_many_lines_is_read_in_linear_time(tmp_path):
    """A cell of 200,000 lines, each opening a string it never closes on the line: read in one pass."""
    lines = ['s = """' if i % 2 == 0 else '"""' for i in range(200_000)]
    document = {"nbformat": 4, "cells": [{"cell_type": "code", "source": "\n".join(lines)},
                                         {"cell_type": "code", "source": "%time h = 1\n!ls"}]}
    code = script(json.dumps(document).encode())
    assert code.count("\n") >= 200_000 and code.rstrip().endswith("# !ls")
