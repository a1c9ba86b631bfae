"""Find submissions in the paths an instructor names.

In a folder, every ``gradient.py`` at any depth is one submission, named by its parent folder
relative to the folder (``/`` becomes ``__``); a loose ``NAME.py`` directly in the folder is
submission ``NAME``. A named file is a submission of its own. Links and special files are never
followed or read, and a folder that cannot be listed is not skipped: each becomes a submission
whose report says why it was not graded.

Folder names may be any bytes: an id is always text (bytes that are not UTF-8 are written as
``\\xNN``), ids are unique even on a case-insensitive disk, and the walk is iterative, so no
depth of folders can break it; folders deeper than ``MAX_DEPTH`` are not searched, and ``find``
says so.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from grader.text import code_span, one_line

MAX_SOURCE_BYTES = 1 << 20
MAX_DEPTH = 64
"""Folder levels searched below each path given; a class folder never needs more."""
SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules"})


def display(text: str | os.PathLike[str]) -> str:
    """A file name or path as printable text on one line, whatever its bytes: bytes that are not
    UTF-8, and control characters, become ``\\xNN``."""
    return one_line(os.fsencode(text).decode("utf-8", "backslashreplace"))


@dataclass(frozen=True)
class Submission:
    id: str
    path: Path
    problem: str | None = None
    """Why the file must not be read (a link, a special file, a folder that cannot be listed), if so."""

    @property
    def shown_path(self) -> str:
        """The path as text, for reports and messages."""
        return display(self.path)

    def read(self) -> bytes:
        """The file's bytes, refusing links, special files and anything over 1 MiB."""
        if self.problem:
            raise OSError(self.problem)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(self.path, flags)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise OSError(f"{self.shown_path} is not a regular file")
            if info.st_size > MAX_SOURCE_BYTES:
                raise OSError(f"{self.shown_path} is larger than {MAX_SOURCE_BYTES} bytes")
            with os.fdopen(fd, "rb", closefd=False) as stream:
                return stream.read(MAX_SOURCE_BYTES + 1)[:MAX_SOURCE_BYTES]
        finally:
            os.close(fd)


@dataclass
class Found:
    """What ``find`` found: the submissions, and what it could not search (each named)."""

    submissions: list[Submission] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _checked(identifier: str, path: Path, root: Path) -> Submission:
    """A submission, marked with a problem when the path is a link or not a regular file."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        target = path.resolve()
        where = "inside" if target.is_relative_to(root.resolve()) else "outside"
        return Submission(identifier, path, f"is a symbolic link to a file {where} the submissions folder; "
                                            "links are not followed")
    if not stat.S_ISREG(info.st_mode):
        return Submission(identifier, path, "is not a regular file")
    return Submission(identifier, path)


def _folder_id(parts: tuple[str, ...]) -> str:
    return "__".join(display(part) for part in parts)


def _in_folder(root: Path, filename: str, found: Found) -> None:
    stack: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    too_deep: list[str] = []
    while stack:
        here, parts = stack.pop()
        try:
            with os.scandir(here) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as problem:
            found.submissions.append(Submission(_folder_id(parts) or display(root.name), here,
                                                f"is a folder that could not be read ({problem.strerror})"))
            continue
        folders = []
        for entry in entries:
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith(".") and entry.name not in SKIPPED_FOLDERS:
                    folders.append((path, (*parts, entry.name)))
            elif entry.is_symlink() and path.is_dir():
                found.submissions.append(Submission(_folder_id((*parts, entry.name)), path,
                                                    "is a symbolic link to a folder; links are not followed"))
            elif entry.name == filename and parts:
                found.submissions.append(_checked(_folder_id(parts), path, root))
            elif not parts and entry.name.endswith(".py"):
                found.submissions.append(_checked(display(entry.name[:-3]), path, root))
        if len(parts) >= MAX_DEPTH:
            too_deep += [display(path) for path, _ in folders[:1]]
            continue
        stack.extend(reversed(folders))
    if too_deep:
        found.notes.append(f"folders more than {MAX_DEPTH} levels below {code_span(display(root))} were not "
                           f"searched (the first: {code_span(too_deep[0])})")


def find(paths: Iterable[Path], filename: str = "gradient.py") -> Found:
    """Every submission under ``paths``, with unique ids, in a stable order."""
    found = Found()
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            _in_folder(path, filename, found)
        else:
            identifier = path.parent.resolve().name if path.name == filename else path.stem
            found.submissions.append(_checked(display(identifier or path.stem), path, path.parent))
    found.submissions = unique(found.submissions)
    return found


def unique(submissions: list[Submission]) -> list[Submission]:
    """The same submissions, each id made unique (``-2``, ``-3``, ...), ignoring case as some disks do."""
    taken: set[str] = set()
    result = []
    for submission in submissions:
        identifier, count = submission.id, 1
        while identifier.casefold() in taken:
            count += 1
            identifier = f"{submission.id}-{count}"
        taken.add(identifier.casefold())
        result.append(submission if identifier == submission.id else
                      Submission(identifier, submission.path, submission.problem))
    return result
