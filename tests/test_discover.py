"""Finding submissions: ids, duplicates, and files that must not be read."""

from __future__ import annotations

import os

import pytest

from grader.discover import MAX_SOURCE_BYTES, Submission, find


def write(path, text="h = 1\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_ids_follow_the_folder_layout(tmp_path):
    write(tmp_path / "sec1" / "ana" / "gradient.py")
    write(tmp_path / "bob" / "gradient.py")
    write(tmp_path / "carol.py")
    write(tmp_path / "bob" / "helper.py")  # not a submission: only gradient.py counts below the top
    write(tmp_path / ".git" / "x" / "gradient.py")
    write(tmp_path / "__pycache__" / "y" / "gradient.py")
    assert [(s.id, s.problem) for s in find([tmp_path]).submissions] == [
        ("carol", None), ("bob", None), ("sec1__ana", None)]


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


def test_read_refuses_oversized_files(tmp_path):
    big = write(tmp_path / "gradient.py", "#" * (MAX_SOURCE_BYTES + 1))
    with pytest.raises(OSError, match="larger than"):
        Submission("big", big).read()
    assert Submission("ok", write(tmp_path / "ok.py")).read() == b"h = 1\n"
