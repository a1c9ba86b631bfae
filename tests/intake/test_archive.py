"""Reading downloads as hostile students and careless tools make them: bounded, named, never fatal.

The archive reader's hostile members (zip slip, bombs, links, lying sizes and offsets) are in
test_adversarial.py; these are the limits of the reader itself (grader/intake/archive.py, and its members' listing,
grader/intake/listing.py). The
layouts' own traps are in test_layouts.py.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from grader.intake import IntakeError, archive, find
from tests.conftest import SUBMISSIONS
from tests.intake.conftest import zipped

RIGHT = (SUBMISSIONS / "correct_dot" / "gradient.py").read_bytes()


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
