"""Where each student's page lands in an LMS's feedback zip (grader/formats/lms/feedback.py)."""

from __future__ import annotations

import pytest

from grader.formats.lms.feedback import LAYOUTS
from grader.report import Student


@pytest.mark.parametrize("entry", ["..\\..\\Windows\\evil_101_assignsubmission_file", "../up_101_assignsubmission_file",
                                   "C:evil_101_assignsubmission_file", ".hidden_101_assignsubmission_file"])
def test_a_moodle_folder_name_that_would_unzip_elsewhere_gets_no_page(entry):
    """A download's folder name is a student's to choose: one that climbs out of the folder it is
    unzipped in (on Windows a backslash does) gets no member, and is counted as left out."""
    _, place = LAYOUTS["moodle"]
    assert place(Student(system="moodle", name="x", entry=entry), "gradient.py") is None


def test_a_moodle_folder_keeps_its_name():
    _, place = LAYOUTS["moodle"]
    student = Student(system="moodle", name="Ana Lima", entry="Ana Lima_101_assignsubmission_file")
    assert place(student, "gradient.py") == "Ana Lima_101_assignsubmission_file/gdgrade-feedback.html"
