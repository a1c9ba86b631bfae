"""The LMS downloads' own traps (grader/intake/layouts.py): a Blackboard receipt that names another
student, Gradescope metadata of any shape, Moodle folder names in any bytes."""

from __future__ import annotations

import os

import pytest

from grader.intake import find
from tests.conftest import SUBMISSIONS
from tests.intake.conftest import zipped

RIGHT = (SUBMISSIONS / "correct_dot" / "gradient.py").read_bytes()


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
