"""The zip of feedback pages an LMS hands out to each student: ``moodle-feedback.zip`` and
``canvas-feedback.zip``.

Each system finds the student a file is for from its name in the zip:

- Moodle, "Upload multiple feedback files in a zip", takes the participant id from a folder named
  ``<name>_<participant id>_assignsubmission_file`` (the download's own name for the student's
  folder) and gives the student the file inside (moodle/moodle ``importziplib.php``).
- Canvas, "Re-Upload Submissions" in the gradebook, splits each file's name at ``_`` and takes the
  first two parts that are all digits as the user id and the id of a file of that user's submission,
  and attaches the file to the submission as a comment ("See attached file"); a file whose ids do
  not name a submission's file is ignored (instructure/canvas-lms ``app/models/assignment.rb``,
  ``infer_comment_context_from_filename``). The ids come from the graded file's name in the download.

Built in an anonymous temporary file; ``finish`` puts it in place whole.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from grader import atomic
from grader.outdir import CANVAS_FEEDBACK_ZIP, FEEDBACK_ZIP
from grader.report import Student


def _moodle(student: Student, graded: str) -> str | None:
    """``<the download's folder>/gdgrade-feedback.html``; None for a folder name that could land
    anywhere else when unzipped (``..``, a slash or backslash, a drive): Moodle could not place it."""
    folder = student.entry if "_assignsubmission_" in student.entry else f"{student.entry}_assignsubmission_file"
    if any(mark in folder for mark in ("/", "\\", ":", "\0")) or folder.startswith(".") or not folder.isprintable():
        return None
    return f"{folder}/gdgrade-feedback.html"


def _canvas(student: Student, graded: str) -> str | None:
    """``feedback_<user id>_<file id>_gdgrade.html``, from the graded file's download name; None when it
    names no file of the student's (a text entry, anonymous grading): Canvas would ignore the page."""
    ids = [part for part in PurePosixPath(graded).name.split("_") if part.isascii() and part.isdigit()]
    if student.lms_id is None or len(ids) < 2 or ids[0] != student.lms_id:
        return None
    return f"feedback_{ids[0]}_{ids[1]}_gdgrade.html"


LAYOUTS: dict[str, tuple[str, Callable[[Student, str], str | None]]] = {
    "moodle": (FEEDBACK_ZIP, _moodle), "canvas": (CANVAS_FEEDBACK_ZIP, _canvas)}
"""The systems a feedback zip is written for: its file name, and each student's member in it."""


class FeedbackZip:
    """One system's zip of feedback pages (see the module's docstring)."""

    def __init__(self, folder: Path, system: str):
        self.folder = folder
        self.name, self._member = LAYOUTS[system]
        self._temporary = tempfile.TemporaryFile(dir=folder)
        self._zip = zipfile.ZipFile(self._temporary, "w", zipfile.ZIP_DEFLATED)
        self.left_out = 0
        """Students whose page could not be placed where the system finds it."""

    def add(self, student: Student, graded: str, page: str) -> None:
        """``page`` for ``student``, whose graded file is ``graded`` (its path as the report shows it)."""
        member = self._member(student, graded)
        if member is None:
            self.left_out += 1
        else:
            self._zip.writestr(member, page)

    def finish(self) -> None:
        self._zip.close()
        self._temporary.seek(0)
        with atomic.AtomicFile(self.folder / self.name, binary=True) as out:
            shutil.copyfileobj(self._temporary, out.stream)
        self._temporary.close()

    def abandon(self) -> None:
        self._zip.close()
        self._temporary.close()
