"""From an LMS's download to its import file in one command, for each system, zipped and unzipped.

Each test builds a download in the system's own layout and a gradebook export in its own format
(see grader/intake/layouts.py and grader/formats/lms/ for the sources), runs ``gdgrade grade``
once, and compares the import file and unmatched.csv byte for byte. The graded files are samples
whose scores do not depend on the hidden cases: correct_dot (5/5) and forgot_learnrate (4/5).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from dataclasses import asdict
from pathlib import Path

import pytest

from grader import report_json
from grader.report import Report
from grader.text import exported_cell
from tests.conftest import SEED, SUBMISSIONS

RIGHT = (SUBMISSIONS / "correct_dot" / "gradient.py").read_bytes()
FOUR = (SUBMISSIONS / "forgot_learnrate" / "gradient.py").read_bytes()
BOM = b"\xef\xbb\xbf"


def gdgrade(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          timeout=180, cwd=cwd)


def build(tmp_path: Path, files: dict[str, bytes], zipped: bool) -> Path:
    """The download as the LMS hands it over: a zip, or the folder it unzips to."""
    if zipped:
        archive = tmp_path / "download.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
            for name, data in files.items():
                out.writestr(name, data)
        return archive
    folder = tmp_path / "download"
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def run(tmp_path: Path, files: dict[str, bytes], export: bytes, zipped: bool, *options: str) -> Path:
    download = build(tmp_path, files, zipped)
    roster = tmp_path / "export.csv"
    roster.write_bytes(export)
    out = tmp_path / "out"
    result = gdgrade("grade", download, "--out", out, "--roster", roster, "--seed", SEED, *options)
    assert result.returncode == 0, result.stderr
    return out


def reports(out: Path) -> dict[str, Report]:
    return {report.submission: report for report in (report_json.load(path.read_text())
                                                     for path in out.glob("*.json") if path.name != "summary.json")}


CANVAS_DOWNLOAD = {
    "smithjohn_12345_678_gradient.py": RIGHT,
    "doejane_LATE_23456_789_gradient-1.py": FOUR,  # late, and Canvas's -1 for a second file of one name
    "leebo_34567_790_Gradient Descent.ipynb": json.dumps({"nbformat": 4, "cells": [
        {"cell_type": "markdown", "source": ["# My work"]},
        {"cell_type": "code", "source": RIGHT.decode().splitlines(keepends=True)}]}).encode(),
    "ghostgus_99999_800_gradient.py": RIGHT,  # dropped the course: not on the roster
}
CANVAS_EXPORT = (
    b'Student,ID,SIS User ID,SIS Login ID,Section,Gradient Descent Quiz (1001),Essay (1002),Current Score,'
    b'Unposted Current Score,Final Score,Unposted Final Score\n'
    b'    Points Possible,,,,,10.00,20.00,(read only),(read only),(read only),(read only)\n'
    b'"Smith, John",12345,S001,jsmith,Section A,,15.00,75.00,75.00,50.00,50.00\n'
    b'"Doe, Jane",23456,S002,jdoe,Section A,,,0.00,0.00,0.00,0.00\n'
    b'"Lee, Bo",34567,S003,blee,Section B,,18.00,90.00,90.00,60.00,60.00\n'
    b'"Nobody, Ned",45678,S004,nnobody,Section B,,,0.00,0.00,0.00,0.00\n'
    b'"Student, Test",99998,,,,,,0.00,0.00,0.00,0.00\n'
)


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "folder"])
def test_canvas_round_trip(tmp_path, zipped):
    out = run(tmp_path, CANVAS_DOWNLOAD, CANVAS_EXPORT, zipped, "--assignment", "Gradient Descent Quiz")
    assert (out / "canvas-import.csv").read_bytes() == (
        b'Student,ID,SIS User ID,SIS Login ID,Section,Gradient Descent Quiz (1001)\n'
        b'    Points Possible,,,,,10.00\n'
        b'"Smith, John",12345,S001,jsmith,Section A,10\n'
        b'"Doe, Jane",23456,S002,jdoe,Section A,8\n'
        b'"Lee, Bo",34567,S003,blee,Section B,10\n'
        b'"Nobody, Ned",45678,S004,nnobody,Section B,\n'
        b'"Student, Test",99998,,,,\n')
    assert (out / "unmatched.csv").read_bytes() == (
        b"id,student,lms_id,download,score,max_score,reason\n"
        b"ghostgus_99999,ghostgus,99999,Canvas,5,5,no roster row's ID is '99999'\n")
    with zipfile.ZipFile(out / "canvas-feedback.zip") as feedback:  # as Canvas's "Re-Upload Submissions" reads it
        names = sorted(feedback.namelist())
        page = feedback.read("feedback_23456_789_gdgrade.html").decode()
    assert names == ["feedback_12345_678_gdgrade.html", "feedback_23456_789_gdgrade.html",
                     "feedback_34567_790_gdgrade.html", "feedback_99999_800_gdgrade.html"]
    assert "4/5" in page and "class overview" not in page and "Handed in by doejane (Canvas id 23456, late)" in page
    got = reports(out)
    assert asdict(got["doejane_23456"].student) == {
        "system": "canvas", "name": "doejane", "lms_id": "23456", "email": None, "late": True, "attempt": None,
        "entry": "doejane_23456", "members": []}
    assert "is a notebook" in got["leebo_34567"].selection and got["leebo_34567"].score == 5
    rows = (out / "grades.csv").read_text().splitlines()
    assert rows[0].startswith("id,student,lms_id,late,status,score")
    assert any(row.startswith("doejane_23456,doejane,23456,yes,completed,4,5,") for row in rows)


MOODLE_DOWNLOAD = {
    "Jane Doe_101_assignsubmission_file/gradient.py": RIGHT,
    "John Smith_102_assignsubmission_file/work/Gradient.py": FOUR,  # a student's own subfolder is kept
    "Bo Lee_103_assignsubmission_onlinetext/onlinetext.html": b"<p>I pasted my code here</p>",
    "Gus Ghost_999_assignsubmission_file/gradient.py": RIGHT,
}
MOODLE_EXPORT = BOM + (
    b'Identifier,"Full name","Email address",Status,Grade,"Maximum Grade","Grade can be changed",'
    b'"Last modified (submission)","Last modified (grade)","Feedback comments"\n'
    b'"Participant 101","Jane Doe",jane@example.edu,"Submitted for grading",,100.00,Yes,'
    b'"Monday, 23 November 2026, 9:00 AM",-,\n'
    b'"Participant 102","John Smith",john@example.edu,"Submitted for grading",,100.00,Yes,'
    b'"Monday, 23 November 2026, 9:05 AM",-,\n'
    b'"Participant 103","Bo Lee",bo@example.edu,"Submitted for grading",,100.00,Yes,'
    b'"Monday, 23 November 2026, 9:07 AM",-,\n'
    b'"Participant 104","Ned Nobody",ned@example.edu,"No submission",,100.00,Yes,-,-,\n'
)


def test_a_late_penalty_a_download_cannot_apply_is_said(tmp_path):
    """A Moodle download says neither when work came in nor whether it was late: a late penalty there
    takes nothing, and the closing line says so rather than nothing."""
    out = run(tmp_path, MOODLE_DOWNLOAD, MOODLE_EXPORT, False, "--late-penalty", "10%/day", "--due", "2026-11-26")
    assert all(report.adjustments == [] for report in reports(out).values())
    notes = json.loads((out / "summary.json").read_text())["notes"]
    assert ("--late-penalty took nothing from 4 of 4 submissions: their download says neither when they were "
            "handed in nor whether they were late") in notes


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "folder"])
def test_moodle_round_trip(tmp_path, zipped):
    out = run(tmp_path, MOODLE_DOWNLOAD, MOODLE_EXPORT, zipped)
    summary = "h correct; nn_output correct; error correct; error_term correct; del_w"
    assert (out / "moodle-import.csv").read_bytes() == BOM + (
        b"Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
        b"Last modified (submission),Last modified (grade),Feedback comments\n"
        b'Participant 101,Jane Doe,jane@example.edu,Submitted for grading,100.00,100.00,Yes,'
        b'"Monday, 23 November 2026, 9:00 AM",-,gdgrade: 5/5 (completed). ' + summary.encode()
        + b" correct. Your feedback page says why.\n"
        b'Participant 102,John Smith,john@example.edu,Submitted for grading,80.00,100.00,Yes,'
        b'"Monday, 23 November 2026, 9:05 AM",-,gdgrade: 4/5 (completed). ' + summary.encode()
        + b" wrong. Your feedback page says why.\n"
        b'Participant 103,Bo Lee,bo@example.edu,Submitted for grading,,100.00,Yes,'  # work, but none to grade
        b'"Monday, 23 November 2026, 9:07 AM",-,\n'
        b"Participant 104,Ned Nobody,ned@example.edu,No submission,,100.00,Yes,-,-,\n")
    assert (out / "unmatched.csv").read_bytes() == (
        b"id,student,lms_id,download,score,max_score,reason\n"
        b"Bo Lee_103,Bo Lee,103,Moodle,0,5,\"it matches a roster row, but nothing in it could be graded (nothing "
        b"gradable): its cell is left blank for you to grade by hand\"\n"
        b"Gus Ghost_999,Gus Ghost,999,Moodle,5,5,no roster row's Identifier is '999'\n")
    with zipfile.ZipFile(out / "moodle-feedback.zip") as feedback:  # Moodle's "upload feedback files" layout
        names = sorted(feedback.namelist())
        page = feedback.read("John Smith_102_assignsubmission_file/gdgrade-feedback.html").decode()
    assert names == [f"{who}_assignsubmission_file/gdgrade-feedback.html"
                     for who in ("Bo Lee_103", "Gus Ghost_999", "Jane Doe_101", "John Smith_102")]
    assert "4/5" in page and "class overview" not in page and "Handed in by John Smith (Moodle id 102)" in page


def _receipt(name: str, user: str, stored: str, original: str) -> bytes:
    return (f"Name: {name} ({user})\nAssignment: Quiz 3\nDate Submitted: Friday, November 20, 2026 10:11:12 AM EST\n"
            "Current Grade: Needs Grading\n\nSubmission Field:\nThere is no student submission text data for this "
            "assignment.\n\nComments:\nThere are no student comments for this assignment.\n\nFiles:\n"
            f"\tOriginal filename: {original}\n\tFilename: {stored}\n").encode()


BLACKBOARD_DOWNLOAD = {
    "Quiz 3_jdoe_attempt_2026-11-20-10-11-12_gradient.py": RIGHT,  # an earlier attempt, not graded
    "Quiz 3_jdoe_attempt_2026-11-20-10-11-12.txt": _receipt(
        "Jane Doe", "jdoe", "Quiz 3_jdoe_attempt_2026-11-20-10-11-12_gradient.py", "gradient.py"),
    "Quiz 3_jdoe_attempt_2026-11-21-09-00-00_gradient.py": FOUR,
    "Quiz 3_jdoe_attempt_2026-11-21-09-00-00.txt": _receipt(
        "Jane Doe", "jdoe", "Quiz 3_jdoe_attempt_2026-11-21-09-00-00_gradient.py", "gradient.py"),
    "Quiz 3_ann_lee_attempt_2026-11-20-11-00-00_my work.py": RIGHT,  # a username with an underscore
    "Quiz 3_ann_lee_attempt_2026-11-20-11-00-00.txt": _receipt(
        "Ann Lee", "ann_lee", "Quiz 3_ann_lee_attempt_2026-11-20-11-00-00_my work.py", "gradient.py"),
}
BLACKBOARD_EXPORT = BOM + (
    b'"Last Name","First Name","Username","Student ID","Last Access","Availability",'
    b'"Quiz 3 [Total Pts: 10 Score] |664617","Weighted Total [Total Pts: up to 0 Percentage] |3032235"\r\n'
    b'"Doe","Jane","jdoe","1001","2026-11-21","Available","",""\r\n'
    b'"Lee","Ann","ann_lee","1002","2026-11-20","Available","",""\r\n'
    b'"Nobody","Ned","nnobody","1003","","Available","",""\r\n'
)


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "folder"])
def test_blackboard_round_trip(tmp_path, zipped):
    out = run(tmp_path, BLACKBOARD_DOWNLOAD, BLACKBOARD_EXPORT, zipped)
    assert (out / "blackboard-import.csv").read_bytes() == BOM + (
        b'"Username","Quiz 3 [Total Pts: 10 Score] |664617"\r\n'
        b'"jdoe","8"\r\n"ann_lee","10"\r\n"nnobody",""\r\n')
    assert (out / "unmatched.csv").read_bytes() == b"id,student,lms_id,download,score,max_score,reason\n"
    jdoe = reports(out)["jdoe"]
    assert (jdoe.student.name, jdoe.student.attempt) == ("Jane Doe", "2026-11-21 09:00:00")
    assert "the latest of 2 attempts in the Blackboard download was graded; the earlier one " \
           "(2026-11-20 10:11:12) was not" in jdoe.selection


def test_blackboard_every_attempt_graded_and_the_best_imported(tmp_path):
    out = run(tmp_path, BLACKBOARD_DOWNLOAD, BLACKBOARD_EXPORT, False, "--attempts", "all")
    assert {name: report.score for name, report in reports(out).items()} == {
        "jdoe_attempt1": 5, "jdoe_attempt2": 4, "ann_lee": 5}
    assert (out / "blackboard-import.csv").read_bytes().splitlines()[1] == b'"jdoe","10"'


BRIGHTSPACE_DOWNLOAD = {
    "123-456 - Jane Doe - Nov 20, 2026 1012 AM/gradient.py": RIGHT,
    "124-457 - John Smith - Nov 20, 2026 926 PM/gradient.py": FOUR,
    "125-456 - Jane Doe - Nov 19, 2026 812 AM/gradient.py": FOUR,  # her earlier submission: the same second number
    "126-459 - Gus Ghost - Nov 20, 2026 1100 AM/gradient.py": RIGHT,
    "127-460 - Chris Lee - Nov 20, 2026 1000 AM/gradient.py": RIGHT,  # two students of one name:
    "128-461 - Chris Lee - Nov 20, 2026 1001 AM/gradient.py": FOUR,  # neither can be told apart by name
    "index.html": b"<html><body>Submissions</body></html>",
}
BRIGHTSPACE_EXPORT = (
    b"OrgDefinedId,Username,Last Name,First Name,Email,Gradient Quiz Points Grade <Numeric MaxPoints:10 "
    b"Weight:10 Category:Quizzes CategoryWeight:20>,End-of-Line Indicator\n"
    b"#1001,#jdoe,Doe,Jane,jane@example.edu,,#\n"
    b"#1002,#jsmith,Smith,John,john@example.edu,,#\n"
    b"#1003,#nnobody,Nobody,Ned,ned@example.edu,,#\n"
    b"#1004,#clee1,Lee,Chris,chris1@example.edu,,#\n"
    b"#1005,#clee2,Lee,Chris,chris2@example.edu,,#\n"
)


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "folder"])
def test_brightspace_round_trip(tmp_path, zipped):
    out = run(tmp_path, BRIGHTSPACE_DOWNLOAD, BRIGHTSPACE_EXPORT, zipped, "--missing", "zero")
    assert (out / "brightspace-import.csv").read_bytes() == (
        b"OrgDefinedId,Username,Gradient Quiz Points Grade <Numeric MaxPoints:10 Weight:10 Category:Quizzes "
        b"CategoryWeight:20>,End-of-Line Indicator\n"
        b"#1001,#jdoe,10,#\n#1002,#jsmith,8,#\n#1003,#nnobody,0,#\n#1004,#clee1,,#\n#1005,#clee2,,#\n")
    assert (out / "unmatched.csv").read_bytes() == (
        b"id,student,lms_id,download,score,max_score,reason\n"
        b"Chris Lee,Chris Lee,460,Brightspace,5,5,2 roster rows' First Name and Last Name is 'Chris Lee': "
        b"grade it by hand\n"
        b"Chris Lee-2,Chris Lee,461,Brightspace,4,5,2 roster rows' First Name and Last Name is 'Chris Lee': "
        b"grade it by hand\n"
        b"Gus Ghost,Gus Ghost,459,Brightspace,5,5,no roster row's First Name and Last Name is 'Gus Ghost'\n")
    jane = reports(out)["Jane Doe"]
    assert "the latest of 2 attempts in the Brightspace download was graded" in jane.selection


def test_gradescope_export_names_every_submitter(tmp_path):
    files = {
        "assignment_77_export/submission_1001/src/gradient.py": RIGHT,
        "assignment_77_export/submission_1002/gradient.py": FOUR,
        "assignment_77_export/submission_metadata.yml": (
            b"submission_1001:\n  :submitters:\n  - :name: Jane Doe\n    :sid: '123456789'\n"
            b"    :email: jane@example.edu\n  :created_at: 2026-11-26 17:34:00.861687000 Z\n  :score: 2.0\n"
            b"submission_1002:\n  :submitters:\n  - :name: John Smith\n    :sid: '987654321'\n"
            b"    :email: john@example.edu\n  - :name: Ann Lee\n    :sid: ''\n    :email: ann@example.edu\n"
            b"  :created_at: 2026-11-26 18:00:00.000000000 Z\n"),
    }
    out = tmp_path / "out"
    result = gdgrade("grade", build(tmp_path, files, True), "--out", out, "--seed", SEED)
    assert result.returncode == 0 and "(from a Gradescope download)" in result.stdout
    got = reports(out)
    assert {name: (r.student.name, r.student.lms_id, r.score) for name, r in got.items()} == {
        "Jane Doe_1001": ("Jane Doe", "123456789", 5), "John Smith_1002": ("John Smith, Ann Lee", "987654321", 4)}


def test_a_canvas_column_that_is_not_in_the_export_is_a_new_assignment(tmp_path):
    out = run(tmp_path, CANVAS_DOWNLOAD, CANVAS_EXPORT, False, "--assignment", "Quiz 2", "--points", "20")
    lines = (out / "canvas-import.csv").read_bytes().splitlines()
    assert lines[:3] == [b"Student,ID,SIS User ID,SIS Login ID,Section,Quiz 2", b"    Points Possible,,,,,20",
                         b'"Smith, John",12345,S001,jsmith,Section A,20']
    summary = json.loads((out / "summary.json").read_text())["lms_import"]
    assert "Canvas will create a new assignment" in summary["notes"][0]


@pytest.mark.parametrize("export, options, said", [
    (CANVAS_EXPORT, (), "the Canvas export has 2 assignment columns (Gradient Descent Quiz (1001); Essay (1002)): "
                        "name the one to fill with --assignment"),
    (b"name,score\nana,3\n", (), "is no gradebook export gdgrade knows"),
    (BLACKBOARD_EXPORT, ("--assignment", "Quiz 9"), "Blackboard would upload a new column as text worth 0 points"),
])
def test_a_roster_that_cannot_be_filled_is_one_line_before_any_grading(tmp_path, export, options, said):
    roster = tmp_path / "export.csv"
    roster.write_bytes(export)
    result = gdgrade("grade", build(tmp_path, CANVAS_DOWNLOAD, False), "--out", tmp_path / "out",
                     "--roster", roster, *options)
    assert result.returncode == 2 and said in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_a_notebook_is_graded_like_the_same_code_in_a_file(tmp_path):
    code = (SUBMISSIONS / "forgot_learnrate" / "gradient.py").read_text()
    lines = code.splitlines(keepends=True)
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["## Gradient descent"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1,
         "source": ["%matplotlib inline\n", "!pip install numpy\n", *lines[:10]]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 2, "source": lines[10:]}]}
    (tmp_path / "gradient.ipynb").write_text(json.dumps(notebook))
    (tmp_path / "gradient.py").write_text(code)
    as_notebook, as_script = (report_json.load(gdgrade("check", tmp_path / name, "--json", "--seed", SEED)
                                                         .stdout) for name in ("gradient.ipynb", "gradient.py"))
    assert [(c.name, c.outcome, c.score) for c in as_notebook.checks] == [
        (c.name, c.outcome, c.score) for c in as_script.checks]
    assert as_notebook.score == 4 and "notebook" in as_notebook.selection
    assert as_notebook.stdout == as_script.stdout


def test_a_download_zipped_on_a_mac_beside_the_instructors_files(tmp_path):
    """A Mac's zip adds __MACOSX/ and .DS_Store; the instructor kept the export beside the download.
    The download is still found in its folder, and no litter becomes a student."""
    files = {f"submissions/{name}": data for name, data in CANVAS_DOWNLOAD.items()}
    files.update({"__MACOSX/submissions/._smithjohn_12345_678_gradient.py": b"\0\5\26\7", "submissions/.DS_Store": b"x",
                  "submissions/gradebook.csv": CANVAS_EXPORT})
    out = run(tmp_path, files, CANVAS_EXPORT, True, "--assignment", "1001")
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["submissions"], summary["downloads"]) == (4, {"Canvas": 4})
    assert any("`gradebook.csv` beside the download" in note for note in summary["notes"])
    assert (out / "canvas-import.csv").read_bytes().splitlines()[2].endswith(b",10")


def test_a_student_who_handed_in_a_zip_is_graded_from_it(tmp_path):
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("quiz/Gradient.py", FOUR)
        archive.writestr("quiz/notes.txt", b"my notes")
    files = {**CANVAS_DOWNLOAD, "muellerjoerg_56789_801_quiz.zip": inner.read_bytes()}
    export = CANVAS_EXPORT.replace(b'"Nobody, Ned",45678', b'"M\xc3\xbcller, J\xc3\xb6rg",56789')
    out = run(tmp_path, files, export, False, "--assignment", "1001")
    report = reports(out)["muellerjoerg_56789"]
    assert report.score == 4 and "`quiz.zip` is a zip the student handed in" in report.selection
    assert report.path.endswith("muellerjoerg_56789_801_quiz.zip/quiz/Gradient.py")
    assert b'"M\xc3\xbcller, J\xc3\xb6rg",56789,S004,nnobody,Section B,8' in (out / "canvas-import.csv").read_bytes()


def test_an_export_a_spreadsheet_resaved_is_imported_as_the_system_exports(tmp_path):
    rows = list(csv.reader(io.StringIO(CANVAS_EXPORT.decode().replace("Nobody, Ned", "Müller, Jörg"))))
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(rows)  # as a spreadsheet saves it
    resaved = text.getvalue().encode("cp1252")
    out = run(tmp_path, CANVAS_DOWNLOAD, resaved, False, "--assignment", "Gradient Descent Quiz")
    written = (out / "canvas-import.csv").read_bytes()
    assert written.startswith(b"Student,ID,SIS User ID,SIS Login ID,Section,Gradient Descent Quiz (1001)\r\n")
    assert '"Müller, Jörg",45678,S004,nnobody,Section B,\r\n'.encode() in written
    notes = json.loads((out / "summary.json").read_text())["lms_import"]["notes"]
    assert notes == ["the export was cp1252, separated by ';' (a spreadsheet saved it): canvas-import.csv is UTF-8 "
                     "with commas, as Canvas exports"]


def test_what_an_instructor_gets_wrong_is_caught(tmp_path):
    download = build(tmp_path, CANVAS_DOWNLOAD, False)
    roster = tmp_path / "export.csv"
    roster.write_bytes(CANVAS_EXPORT)
    typo = gdgrade("grade", download, "--out", tmp_path / "a", "--roster", roster,
                   "--assignment", "Gradient Decent Quiz")
    assert typo.returncode == 2 and "did you mean 'Gradient Descent Quiz (1001)'?" in typo.stderr
    out = tmp_path / "b"
    scaled = gdgrade("grade", download, "--out", out, "--roster", roster, "--assignment", "1001", "--points", "5")
    assert "scores are scaled to --points 5, but the export gives the column 10 points" in scaled.stdout
    (tmp_path / "x").mkdir()
    (tmp_path / "broken.zip").write_bytes(build(tmp_path / "x", CANVAS_DOWNLOAD, True).read_bytes()[:500])
    broken = gdgrade("grade", tmp_path / "broken.zip", "--out", tmp_path / "c")
    assert broken.returncode == 2 and "broken.zip cannot be read as a zip archive" in broken.stderr
    (tmp_path / "fake.zip").write_text("h = 1\n")
    assert gdgrade("grade", tmp_path / "fake.zip", "--out", tmp_path / "d").returncode == 2
    forced = gdgrade("grade", SUBMISSIONS, "--out", tmp_path / "e", "--layout", "moodle")
    assert "--layout moodle: nothing in" in forced.stdout and "Graded 22 submissions" in forced.stdout


def test_a_gradescope_export_fills_a_moodle_worksheet_by_email(tmp_path):
    files = {"submission_1/gradient.py": RIGHT, "submission_metadata.yml": (
        b"submission_1:\n  :submitters:\n  - :name: Jane Doe\n    :sid: '77'\n    :email: Jane@example.edu\n")}
    out = run(tmp_path, files, MOODLE_EXPORT, False)
    assert b"Participant 101,Jane Doe,jane@example.edu,Submitted for grading,100.00" in (
        out / "moodle-import.csv").read_bytes()


def test_every_other_python_file_a_student_handed_in_is_named(tmp_path):
    folder = tmp_path / "class" / "kim"
    folder.mkdir(parents=True)
    (folder / "gradient.py").write_bytes(b"h = (\n")
    (folder / "gradient (1).py").write_bytes(RIGHT)
    out = tmp_path / "out"
    assert gdgrade("grade", tmp_path / "class", "--out", out).returncode == 0
    assert reports(out)["kim"].selection == "also handed in, not graded: `gradient (1).py`"


def test_every_member_of_a_gradescope_group_gets_the_groups_grade(tmp_path):
    """A group submission's second and third submitters get the group's grade, or are in unmatched.csv."""
    files = {"submission_1/gradient.py": RIGHT, "submission_2/gradient.py": FOUR, "submission_metadata.yml": (
        b"submission_1:\n  :submitters:\n  - :name: Jane Doe\n    :sid: '77'\n    :email: jane@example.edu\n"
        b"  - :name: John Smith\n    :sid: '78'\n    :email: john@example.edu\n"
        b"  - :name: Zed Stranger\n    :sid: '79'\n    :email: zed@example.edu\n"
        b"submission_2:\n  :submitters:\n  - :name: Bo Lee\n    :sid: '80'\n    :email: bo@example.edu\n")}
    out = run(tmp_path, files, MOODLE_EXPORT, False, "--missing", "zero")
    rows = {row[0]: row[4] for row in csv.reader(io.StringIO((out / "moodle-import.csv").read_text("utf-8-sig")))}
    assert (rows["Participant 101"], rows["Participant 102"], rows["Participant 103"], rows["Participant 104"]) == (
        "100.00", "100.00", "80.00", "0.00")
    assert (out / "unmatched.csv").read_text().splitlines()[1:] == [
        "Jane Doe_1,Zed Stranger,79,Gradescope,5,5,\"it came from a Gradescope download, and no roster row's "
        "Email address, ID number or Username is its id or email\""]
    group = reports(out)["Jane Doe_1"].student
    assert [member.name for member in group.members] == ["Jane Doe", "John Smith", "Zed Stranger"]


def test_a_roster_of_another_system_or_course_is_refused_and_a_partial_match_said(tmp_path):
    """No submission matching any row is a usage error naming the likely cause, before anything is
    graded; a roster that matches only some is said on stderr with the counts."""
    download = build(tmp_path, CANVAS_DOWNLOAD, True)
    (tmp_path / "moodle.csv").write_bytes(MOODLE_EXPORT)
    other_course = CANVAS_EXPORT.replace(b",123", b",923").replace(b",234", b",934").replace(b",345", b",945")
    (tmp_path / "other.csv").write_bytes(other_course)
    (tmp_path / "canvas.csv").write_bytes(CANVAS_EXPORT)
    moodle = gdgrade("grade", download, "--out", tmp_path / "a", "--roster", tmp_path / "moodle.csv")
    assert moodle.returncode == 2 and not (tmp_path / "a").exists()
    assert moodle.stderr == (f"gdgrade: error: --roster {tmp_path / 'moodle.csv'} matches none of the 4 submissions: "
                             "it is a Moodle export, but the submissions come from a Canvas download: give that "
                             "system's gradebook export\n")
    other = gdgrade("grade", download, "--out", tmp_path / "b", "--roster", tmp_path / "other.csv",
                    "--assignment", "Gradient Descent Quiz")
    assert other.returncode == 2 and other.stderr == (
        f"gdgrade: error: --roster {tmp_path / 'other.csv'} matches none of the 4 submissions: no row's ID is one "
        "the download names: is it the export of another course or section?\n")
    plain = gdgrade("grade", SUBMISSIONS, "--out", tmp_path / "c", "--roster", tmp_path / "canvas.csv",
                    "--assignment", "Gradient Descent Quiz")
    assert plain.returncode == 2 and "matches none of the 22 submissions: no row's SIS Login ID, SIS User ID or " \
        "ID is a submission's id, email or folder name" in plain.stderr
    partial = gdgrade("grade", download, "--out", tmp_path / "d", "--roster", tmp_path / "canvas.csv",
                      "--assignment", "Gradient Descent Quiz", "--seed", SEED)
    assert partial.returncode == 0 and partial.stderr == (
        f"gdgrade: note: --roster {tmp_path / 'canvas.csv'} matches 3 of the 4 submissions: 1 goes to unmatched.csv, "
        "with the reason\n")


def test_formula_cells_of_the_export_are_neutralised_in_the_import_file(tmp_path):
    """A name that starts like a formula goes back with a leading ', as in grades.csv; the columns the
    LMS finds rows by, numbers and Moodle's "-" go back as exported, so the file still imports."""
    canvas = CANVAS_EXPORT.replace(b'"Smith, John"', b'"=HYPERLINK(""http://x"",""a"")"').replace(
        b"Section A,,15.00", b"@Section,,15.00")
    (tmp_path / "canvas").mkdir()
    (tmp_path / "moodle").mkdir()
    out = run(tmp_path / "canvas", CANVAS_DOWNLOAD, canvas, True, "--assignment", "Gradient Descent Quiz")
    rows = (out / "canvas-import.csv").read_text().splitlines()
    assert rows[2] == "\"'=HYPERLINK(\"\"http://x\"\",\"\"a\"\")\",12345,S001,jsmith,'@Section,10"
    assert rows[3] == '"Doe, Jane",23456,S002,jdoe,Section A,8'
    moodle = MOODLE_EXPORT.replace(b'"Jane Doe"', b'"+Jane Doe"')
    files = {"Jane Doe_101_assignsubmission_file/gradient.py": RIGHT}
    out = run(tmp_path / "moodle", files, moodle, False)
    rows = (out / "moodle-import.csv").read_text("utf-8-sig").splitlines()
    assert rows[1].startswith("Participant 101,'+Jane Doe,jane@example.edu,Submitted for grading,100.00,100.00,Yes,")
    assert rows[4] == "Participant 104,Ned Nobody,ned@example.edu,No submission,,100.00,Yes,-,-,"
    assert [exported_cell(cell) for cell in ("-2.5", "+3", "-", "1,499.00", "-1+2", "=1", "@x", "-x")] == [
        "-2.5", "+3", "-", "1,499.00", "'-1+2", "'=1", "'@x", "'-x"]


def test_a_late_penalty_and_overrides_reach_every_output_and_survive_resume(tmp_path):
    """10% off late work (Canvas's late flag), a variable set by hand and a total set by hand: the
    report, grades.csv, the import file, the class page's rows and the student's page all agree; a
    rerun with --resume changes nothing, and one without the options gives the grader's scores back."""
    download = build(tmp_path, CANVAS_DOWNLOAD, True)
    (tmp_path / "export.csv").write_bytes(CANVAS_EXPORT)
    (tmp_path / "overrides.csv").write_text("student,score,variable,comment\n34567,0,del_w,copied from a friend\n"
                                            "34567,0,del_w,copied from a friend\n"  # pasted twice: counts once
                                            "Smith_John_typo,5,,\nsmithjohn_12345,4.5,,late by agreement\n")
    out = tmp_path / "out"
    options = ["--roster", tmp_path / "export.csv", "--assignment", "Gradient Descent Quiz", "--seed", SEED,
               "--late-penalty", "10%", "--overrides", tmp_path / "overrides.csv"]
    first = gdgrade("grade", download, "--out", out, *options)
    assert first.returncode == 0, first.stderr

    def scores() -> tuple[dict[str, float], list[str], list[str]]:
        got = {name: r.score for name, r in reports(out).items()}
        csv_rows = [line.split(",")[0] + "," + line.split(",")[5] for line in
                    (out / "grades.csv").read_text().splitlines()[1:]]
        imported = (out / "canvas-import.csv").read_text().splitlines()[2:5]
        return got, csv_rows, imported

    assert "Note: 1 of the overrides names no student of this batch: smith_john_typo." in first.stdout
    got, csv_rows, imported = scores()
    assert got == {"doejane_23456": 3.5, "leebo_34567": 4.0, "smithjohn_12345": 4.5, "ghostgus_99999": 5.0}
    assert csv_rows == ["doejane_23456,3.5", "ghostgus_99999,5", "leebo_34567,4", "smithjohn_12345,4.5"]
    assert imported == ['"Smith, John",12345,S001,jsmith,Section A,9', '"Doe, Jane",23456,S002,jdoe,Section A,7',
                        '"Lee, Bo",34567,S003,blee,Section B,8']
    jane = reports(out)["doejane_23456"]
    assert (jane.graded_score, [(a.kind, a.points) for a in jane.adjustments]) == (4.0, [("late_penalty", -0.5)])
    assert '"doejane_23456", "doejane_23456.html", "completed", 3.5' in (out / "students.js").read_text()
    page = (out / "leebo_34567.html").read_text()
    assert "Your instructor set <code>del_w</code> to 0 of 1: copied from a friend." in page
    assert "The grader gave 5/5; your score is 4/5." in page
    resumed = gdgrade("grade", download, "--out", out, "--resume", *options)
    assert resumed.returncode == 0 and "(4 kept from an earlier run)" in resumed.stdout
    assert scores() == (got, csv_rows, imported)
    plain = gdgrade("grade", download, "--out", out, "--resume", *options[:6])
    assert plain.returncode == 0 and {name: r.score for name, r in reports(out).items()} == {
        "doejane_23456": 4.0, "leebo_34567": 5.0, "smithjohn_12345": 5.0, "ghostgus_99999": 5.0}
    assert all(r.adjustments == [] and r.graded_score is None for r in reports(out).values())


@pytest.mark.parametrize("options, needle", [
    (["--late-penalty", "ten"], "--late-penalty 'ten' is not a share of the score"),
    (["--late-penalty", "10%/day"], "a penalty per day needs --due"),
    (["--due", "2026-11-26"], "--due needs --late-penalty"),
    (["--late-penalty", "10%/day", "--due", "26/11/2026"], "--due '26/11/2026' is not a deadline"),
    (["--overrides", "BAD"], "line 2: give a student and a score of 0 or more"),
    (["--overrides", "VARIABLE"], "line 2: 'dw' is not a variable of the quiz"),
])
def test_a_bad_late_penalty_or_overrides_file_is_one_line(tmp_path, options, needle):
    (tmp_path / "BAD").write_text("student,score\nana,lots\n")
    (tmp_path / "VARIABLE").write_text("student,score,variable\nana,1,dw\n")
    result = gdgrade("grade", SUBMISSIONS, "--out", tmp_path / "out", *options, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and needle in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()


def test_a_penalty_per_day_counts_days_from_the_download_times():
    from datetime import datetime

    from grader.adjust import LatePenalty, submitted_at
    from grader.report import Status, Student

    penalty = LatePenalty.parse("20%/day", datetime(2026, 11, 20, 9, 0))
    assert submitted_at("Nov 26, 2026 517 PM") == datetime(2026, 11, 26, 17, 17)
    assert submitted_at("2026-11-26 17:34:00.861687000 Z") == datetime(2026, 11, 26, 17, 34)
    for attempt, days, points in (("2026-11-20 08:59:59", 0, None), ("2026-11-20 09:00:01", 1, -1.0),
                                  ("2026-11-22 10:00:00", 3, -3.0), ("2026-12-30 10:00:00", 41, -4.0)):
        report = Report(quiz="q", submission="s", path="p", status=Status.COMPLETED, score=4.0, max_score=5.0,
                        checks=[], duration_s=0.0, student=Student(system="blackboard", attempt=attempt, entry="e"))
        assert penalty.days_late(report) == days
        change = penalty.adjustment(report, 4.0, penalty.days_late(report))
        assert (change.points if change else None) == points


def test_a_deadline_given_as_a_date_is_the_end_of_that_day():
    from datetime import datetime

    from grader.adjust import deadline

    assert deadline("2026-11-26") == datetime(2026, 11, 27, 0, 0)  # work handed in on the 26th is on time
    assert deadline("2026-11-26T17:00") == deadline("2026-11-26 17:00") == datetime(2026, 11, 26, 17, 0)
