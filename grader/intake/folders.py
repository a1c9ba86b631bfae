"""Find submissions in the paths an instructor names.

In a folder, every ``gradient.py`` at any depth is one submission, named by its parent folder
relative to the folder (``/`` becomes ``__``); a loose ``NAME.py`` directly in the folder is
submission ``NAME``. A named file is a submission of its own.

No student is lost to a file name: every other folder that holds files (and is not inside a
student's folder) is a student too, and gets exactly one report: its file is the one that is
``gradient.py`` once case, copy suffixes (`` (1)``, ``-1``, ``_1``, `` copy``) and a trailing
``.txt`` are set aside, else its only ``.py`` file; when none or several could be, the report
says that nothing could be graded and lists what the folder holds. Every report says which file
was graded and why (``Submission.selection``). Links and special files are never followed or
read, and a folder that cannot be listed is not skipped: each becomes a submission whose report
says why it was not graded.

Folder names may be any bytes: an id is always text (bytes that are not UTF-8 are written as
``\\xNN``), ids are unique even on a case-insensitive disk, and the walk is iterative, so no
depth of folders can break it; folders deeper than ``MAX_DEPTH`` are not searched, and ``find``
says so.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from grader.text import code_span, one_line

MAX_SOURCE_BYTES = 1 << 20
MAX_DEPTH = 64
"""Folder levels searched below each path given; a class folder never needs more."""
SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules"})
COPY_SUFFIX = re.compile(r"(?: \(\d+\)| ?[-_ ]copy(?: ?\d+)?| copy(?: \d+)?|[-_ ]\d+)$", re.IGNORECASE)
"""What a download or a desktop adds to a copy of a file's name: `` (1)``, ``-1``, ``_2``, `` copy``."""


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
    selection: str | None = None
    """Why this file was graded when it is not simply the folder's ``gradient.py`` (or a file named on
    the command line, or a loose ``NAME.py``); or, when ``nothing`` is set, why no file could be."""
    nothing: bool = False
    """The folder holds nothing gradable: ``path`` is the folder, ``selection`` says why."""

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


def _checked(identifier: str, path: Path, root: Path | None, why: str | None) -> Submission:
    """A submission, marked with a problem when the path is a link or not a regular file (``root``:
    the folder it was found in, to say where a link points; None for a file named by itself)."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        target = Path(os.path.realpath(path))  # never raises, not even on a loop of links
        where = "" if root is None else (" to a file inside" if target.is_relative_to(os.path.realpath(root))
                                         else " to a file outside") + " the submissions folder"
        return Submission(identifier, path, f"is a symbolic link{where}; links are not followed", why)
    if not stat.S_ISREG(info.st_mode):
        return Submission(identifier, path, "is not a regular file", why)
    return Submission(identifier, path, None, why)


def _folder_id(parts: tuple[str, ...]) -> str:
    return "__".join(display(part) for part in parts)


def looks_like(name: str, filename: str) -> bool:
    """Whether ``name`` (or its last part) is ``filename`` once case, copy suffixes and a trailing
    ``.txt`` are set aside."""
    name = os.path.basename(name).lower().removesuffix(".txt")
    stem, dot, extension = name.rpartition(".")
    wanted_stem, _, wanted_extension = filename.lower().rpartition(".")
    while dot and COPY_SUFFIX.search(stem):
        stem = COPY_SUFFIX.sub("", stem)
    return bool(dot) and (stem, extension) == (wanted_stem, wanted_extension)


def choose(files: list[str], folders: list[str], filename: str) -> tuple[str | None, str]:
    """The file to grade in a student's folder that has no ``filename``, and why; or None and why not.

    ``files`` may be paths relative to the folder (an upload with subfolders): names are compared
    by their last part.
    """
    listing = ", ".join(display(name) for name in [*files, *(f"{name}/" for name in folders)][:20])
    alike = [name for name in files if looks_like(name, filename)]
    if len(alike) == 1:
        return alike[0], (f"{display(alike[0])} was graded as {filename} (its name once case, copy suffixes and "
                          ".txt are set aside)")
    if alike:
        return None, f"several files could be {filename}, so none was graded: {listing}"
    python = [name for name in files if name.endswith(".py")]
    if len(python) == 1:
        return python[0], f"{display(python[0])} was graded: it is the only Python file in the folder"
    if python:
        return None, f"several Python files and none named {filename}, so none was graded: {listing}"
    if filename in folders:
        return None, f"{filename} is a folder here, not a file: {listing}"
    return None, f"no Python file: {listing}" if listing else "it is empty"


def _in_folder(root: Path, filename: str, found: Found) -> None:
    stack: list[tuple[Path, tuple[str, ...], bool]] = [(root, (), False)]
    too_deep: list[str] = []
    while stack:
        here, parts, inside_student = stack.pop()
        try:
            with os.scandir(here) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as problem:
            found.submissions.append(Submission(_folder_id(parts) or display(root.name), here,
                                                f"is a folder that could not be read ({problem.strerror})"))
            continue
        folders = [entry.name for entry in entries if entry.is_dir(follow_symlinks=False)]
        linked = [entry.name for entry in entries if entry.is_symlink() and Path(entry.path).is_dir()]
        files = [entry.name for entry in entries if entry.name not in folders and entry.name not in linked]
        student = False
        if not parts:
            found.submissions += [_checked(display(name[:-3]), here / name, root, None)
                                  for name in files if name.endswith(".py")]
        elif filename in files:
            found.submissions.append(_checked(_folder_id(parts), here / filename, root, None))
            student = True
        elif not inside_student and (files or filename in folders):
            chosen, why = choose(files, folders, filename)
            found.submissions.append(_checked(_folder_id(parts), here / chosen, root, why) if chosen else
                                     Submission(_folder_id(parts), here, None, why, nothing=True))
            student = True
        if not inside_student and not student:
            found.submissions += [Submission(_folder_id((*parts, name)), here / name,
                                             "is a symbolic link to a folder; links are not followed")
                                  for name in linked]
        subfolders = [(here / name, (*parts, name), inside_student or student) for name in folders
                      if not name.startswith(".") and name not in SKIPPED_FOLDERS]
        skipped = [name for name in folders if (name.startswith(".") or name in SKIPPED_FOLDERS)
                   and os.path.lexists(here / name / filename)]
        found.notes += [f"{code_span(display(here / name))} holds a {filename} but was not searched (hidden and "
                        "tool folders are not): rename the folder to grade it" for name in skipped]
        if len(parts) >= MAX_DEPTH:
            too_deep += [display(path) for path, _, _ in subfolders[:1]]
            continue
        stack.extend(reversed(subfolders))
    if too_deep:
        found.notes.append(f"folders more than {MAX_DEPTH} levels below {code_span(display(root))} were not "
                           f"searched (the first: {code_span(too_deep[0])})")


def upload(folder: Path, filename: str) -> tuple[Path | None, str]:
    """In one student's upload (a Gradescope submission folder, files at any depth): the file to
    grade and why, or None and why not. The shallowest ``filename`` wins; else ``choose`` decides."""
    files: list[tuple[str, ...]] = []
    folders: list[str] = []
    stack: list[tuple[Path, tuple[str, ...]]] = [(folder, ())]
    while stack:
        here, parts = stack.pop()
        try:
            with os.scandir(here) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not parts:
                    folders.append(entry.name)
                if len(parts) < MAX_DEPTH and not entry.name.startswith(".") and entry.name not in SKIPPED_FOLDERS:
                    stack.append((Path(entry.path), (*parts, entry.name)))
            elif entry.is_file(follow_symlinks=False):
                files.append((*parts, entry.name))
    exact = sorted((path for path in files if path[-1] == filename), key=len)
    if exact:
        return folder.joinpath(*exact[0]), f"{'/'.join(exact[0])} is the upload's {filename}"
    chosen, why = choose(["/".join(path) for path in files], folders, filename)
    return (folder / chosen if chosen else None), why


def find(paths: Iterable[Path], filename: str = "gradient.py") -> Found:
    """Every submission under ``paths``, with unique ids, in the order of their ids (the gradebook's)."""
    found = Found()
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            _in_folder(path, filename, found)
        else:
            identifier = path.parent.resolve().name if path.name == filename else path.stem
            found.submissions.append(_checked(display(identifier or path.stem), path, None, None))
    found.submissions = sorted(unique(found.submissions), key=lambda submission: submission.id.casefold())
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
        result.append(submission if identifier == submission.id else dataclasses.replace(submission, id=identifier))
    return result
