"""Finding submissions in folders (grader/intake/folders.py): ids, duplicates, which file is graded, and
files that must not be read."""

from __future__ import annotations

import os

import pytest

from grader.intake import find
from tests.intake.conftest import write


def test_ids_follow_the_folder_layout(tmp_path):
    write(tmp_path / "sec1" / "ana" / "gradient.py")
    write(tmp_path / "bob" / "gradient.py")
    write(tmp_path / "carol.py")
    write(tmp_path / "bob" / "helper.py")  # not a submission: only gradient.py counts below the top
    write(tmp_path / ".git" / "x" / "gradient.py")
    write(tmp_path / "__pycache__" / "y" / "gradient.py")
    assert [(s.id, s.problem) for s in find([tmp_path]).submissions] == [  # in the order of the ids
        ("bob", None), ("carol", None), ("sec1__ana", None)]


def test_named_files_and_repeated_ids(tmp_path):
    first = write(tmp_path / "a" / "ana" / "gradient.py")
    second = write(tmp_path / "b" / "ana" / "gradient.py")
    loose = write(tmp_path / "answer.py")
    assert [s.id for s in find([first, second, loose]).submissions] == ["ana", "ana-2", "answer"]


def test_links_and_special_files_are_reported_not_read(tmp_path):
    outside = write(tmp_path / "outside" / "secret.py", "SECRET = 1\n")
    root = tmp_path / "class"
    (root / "link").mkdir(parents=True)
    (root / "link" / "gradient.py").symlink_to(outside)
    (root / "folder").symlink_to(outside.parent, target_is_directory=True)
    (root / "pipe").mkdir()
    os.mkfifo(root / "pipe" / "gradient.py")
    found = {s.id: s for s in find([root]).submissions}
    assert "outside the submissions folder" in found["link"].problem
    assert "link to a folder" in found["folder"].problem
    assert found["pipe"].problem == "is not a regular file"
    for submission in found.values():
        with pytest.raises(OSError):
            submission.read()


def test_every_student_folder_gets_one_submission_whatever_the_file_is_called(tmp_path):
    for relative in ("alice/Gradient.py", "bob/gradient (1).py", "carol/solution.py", "dave/gradient.py",
                     "erin/gradient.py.txt", "fay/gradient_2.py", "gus/Gradient copy.py", "frank/a.py",
                     "frank/b.py", "gina/notes.docx", "hal/gradient.py", "hal/data/x.csv", "ian/gradient.py/x.py",
                     "jo/gradient (1).py", "jo/gradient (2).py", "sec1/kim/GRADIENT.PY", "sec1/kim/old/gradient.py"):
        write(tmp_path / relative)
    (tmp_path / "empty" / "nested").mkdir(parents=True)  # no file at all: not a student
    found = {s.id: s for s in find([tmp_path]).submissions}
    graded = {identifier: (s.path.name, s.nothing) for identifier, s in found.items()}
    assert graded == {
        "alice": ("Gradient.py", False), "bob": ("gradient (1).py", False), "carol": ("solution.py", False),
        "dave": ("gradient.py", False), "erin": ("gradient.py.txt", False), "fay": ("gradient_2.py", False),
        "gus": ("Gradient copy.py", False), "frank": ("frank", True), "gina": ("gina", True),
        "hal": ("gradient.py", False), "ian": ("ian", True), "jo": ("jo", True),
        "sec1__kim": ("GRADIENT.PY", False), "sec1__kim__old": ("gradient.py", False)}
    assert found["dave"].selection is None
    assert found["carol"].selection == "`solution.py` was graded: it is the only Python file in the folder"
    assert found["bob"].selection.startswith("`gradient (1).py` was graded as gradient.py")
    assert found["frank"].selection == ("several Python files and none named gradient.py, so none was graded: "
                                        "`a.py`, `b.py`")
    assert found["gina"].selection == "no Python file: `notes.docx`"
    assert found["ian"].selection == "gradient.py is a folder here, not a file: `gradient.py/`"
    assert found["jo"].selection.startswith("several files could be gradient.py, so none was graded: `gradient (1).py`")


def test_a_folder_inside_a_students_cannot_take_another_students_id(tmp_path):
    write(tmp_path / "alice" / "gradient.py")
    write(tmp_path / "alice" / "x" / "gradient.py")  # joined, its id would be alice__x
    write(tmp_path / "alice__x" / "gradient.py")  # the real alice__x
    found = {s.id: s.path for s in find([tmp_path]).submissions}
    assert found["alice__x"] == tmp_path / "alice__x" / "gradient.py"
    assert found["alice__x-2"] == tmp_path / "alice" / "x" / "gradient.py"


def test_a_student_deep_in_a_hidden_or_tool_folder_is_named(tmp_path):
    write(tmp_path / "ana" / "gradient.py")
    write(tmp_path / ".git" / "eve" / "gradient.py")
    write(tmp_path / "node_modules" / "pkg" / "sub" / "gradient.py")
    found = find([tmp_path])
    assert [s.id for s in found.submissions] == ["ana"]
    assert sorted(note.split("`")[1] for note in found.notes) == [str(tmp_path / ".git"),
                                                                  str(tmp_path / "node_modules")]


def test_a_students_folder_is_searched_even_if_it_holds_gdgrades_marker(tmp_path):
    """Only a folder of gdgrade's own output (its marker, reports and pages, nothing a student hands
    in) is passed over; a student who once ran gdgrade into their own folder is still graded."""
    own = tmp_path / "class" / "out"
    own.mkdir(parents=True)
    for name in (".gdgrade-files", "ana.json", "ana.html", "summary.json", "moodle-feedback.zip"):
        (own / name).write_text("{}\n")
    student = tmp_path / "class" / "bo"
    student.mkdir()
    (student / ".gdgrade-files").write_text("x\n")
    (student / "gradient.py").write_text("h = 1\n")
    found = find([tmp_path / "class"])
    assert [submission.id for submission in found.submissions] == ["bo"]
    assert found.notes == [f"`{own}` holds gdgrade's own reports (an --out folder): not searched for submissions"]
