"""What a folder holds, as one ``Listing`` that the layouts read, whether it is on disk or in an archive.

Listing a folder never reads a file and never follows a link: links and special files are listed
with the reason they must not be read, a folder that cannot be listed is listed with its error,
and the walk is iterative and stops ``MAX_DEPTH`` levels down, so no tree of folders can break it.
Names are kept as the file system gives them (bytes that are not UTF-8 as surrogates); ``display``
turns any of them into printable text.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from grader.text import code_span, name_text

MAX_DEPTH = 64
"""Folder levels listed below each path given; a class folder never needs more."""
SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules", "__MACOSX"})
"""Folders that hold tools' files, never a student's: with hidden folders, they are never searched."""
SKIPPED_ENTRIES = 20_000
"""Entries listed in each hidden or tool folder, to find a student's file there and name it."""

Parts = tuple[str, ...]


def display(text: str | os.PathLike[str]) -> str:
    """A file name or path as printable text on one line, whatever its bytes: bytes that are not
    UTF-8, and control characters, become ``\\xNN``."""
    return name_text(os.fspath(text))


def searched(name: str) -> bool:
    """Whether a folder of this name is searched for students (hidden and tool folders are not)."""
    return not name.startswith(".") and name not in SKIPPED_FOLDERS


class Origin(Protocol):
    """Where a file's bytes come from: a file on disk or a member of an archive."""

    def read(self, limit: int) -> bytes:
        """The bytes, refusing (``OSError``, with a message for the student) anything over ``limit``."""
        ...


@dataclass(frozen=True)
class InMemory:
    """Bytes that were never a file of their own: what the page was sent, a notebook's cells."""

    data: bytes

    def read(self, limit: int) -> bytes:
        if len(self.data) > limit:
            raise OSError(f"the file is larger than {limit} bytes")
        return self.data


@dataclass(frozen=True)
class OnDisk:
    """A file on disk, opened without following a link and read only if it is a regular file."""

    path: Path

    def read(self, limit: int) -> bytes:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(self.path, flags)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise OSError(f"{display(self.path)} is not a regular file")
            if info.st_size > limit:
                raise OSError(f"{display(self.path)} is larger than {limit} bytes")
            parts, size, want = [], 0, info.st_size + 1  # read from the descriptor: no stream object per file
            while size < limit:
                part = os.read(fd, min(limit - size, want))
                if not part:
                    break
                parts.append(part)
                size, want = size + len(part), 1 << 16
            return b"".join(parts)
        finally:
            os.close(fd)


@dataclass(frozen=True)
class Item:
    """A file in a listing."""

    name: str
    origin: Origin
    problem: str | None = None
    """Why it must not be read (a link, a special file, an archive member refused), if so."""


@dataclass
class Folder:
    """One folder of a listing: its files by name, its subfolders, and links to folders."""

    files: dict[str, Item] = field(default_factory=dict)
    folders: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    """Symbolic links to folders: never followed."""
    problem: str | None = None
    """Why it could not be listed, if it could not."""


@dataclass
class Listing:
    """Every folder below ``root`` (the root itself is ``()``), and what could not be listed."""

    root: Path
    folders: dict[Parts, Folder] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    partial: set[Parts] = field(default_factory=set)
    """Hidden or tool folders listed only in part (``SKIPPED_ENTRIES``)."""
    _holding: dict[str, set[Parts]] = field(default_factory=dict, repr=False)
    """Per file name: every folder that holds one at any depth (``holds``)."""

    def path(self, parts: Parts) -> Path:
        """Where ``parts`` is, for reports and messages (inside an archive: the archive's path, then the member's)."""
        return self.root.joinpath(*parts)

    def files_below(self, parts: Parts) -> list[tuple[Parts, Item]]:
        """Every file in the folder ``parts`` and its searched subfolders, paths relative to it, shallowest first."""
        found: list[tuple[Parts, Item]] = []
        stack: list[Parts] = [()]
        while stack:
            relative = stack.pop()
            folder = self.folders.get((*parts, *relative))
            if folder is None:
                continue
            found += [((*relative, name), item) for name, item in sorted(folder.files.items())]
            stack += [(*relative, name) for name in sorted(folder.folders, reverse=True) if searched(name)]
        return sorted(found, key=lambda pair: len(pair[0]))

    def handed_below(self, parts: Parts) -> list[tuple[str, Parts, Item]]:
        """``files_below`` as a student's files: the name they gave it (``/`` between folders), where it is
        in the listing, the item."""
        return [("/".join(relative), (*parts, *relative), item) for relative, item in self.files_below(parts)]

    def holds(self, parts: Parts, filename: str) -> bool:
        """Whether ``filename`` is anywhere in the listed folder ``parts``, hidden folders included."""
        if filename not in self._holding:
            self._holding[filename] = {below[:depth] for below, folder in self.folders.items()
                                       if filename in folder.files for depth in range(len(below) + 1)}
        return parts in self._holding[filename]

    def too_deep(self, first: Parts) -> None:
        """Note that folders deeper than ``MAX_DEPTH`` were not listed, naming the first."""
        self.notes.append(f"folders more than {MAX_DEPTH} levels below {code_span(display(self.root))} were not "
                          f"searched (the first: {code_span(display(self.path(first)))})")


def _link(path: Path, root: Path) -> str:
    target = Path(os.path.realpath(path))  # never raises, not even on a loop of links
    where = "inside" if target.is_relative_to(os.path.realpath(root)) else "outside"
    return f"is a symbolic link to a file {where} the submissions folder; links are not followed"


HANDED_IN = (".py", ".ipynb", ".zip", ".txt")
"""What a student's work may be: a folder holding any of it (but gdgrade's own feedback zip) is
searched, whatever else it holds."""


def _own_output(folder: Folder) -> bool:
    """Whether a folder is an --out folder of gdgrade's inside the graded one: its marker, no
    subfolder, and nothing a student hands in (a student who ran gdgrade into their own folder is
    still graded)."""
    from grader.outdir import CANVAS_FEEDBACK_ZIP, FEEDBACK_ZIP, MANIFEST  # names it writes; a check lists no folder

    return MANIFEST in folder.files and not folder.folders and not any(
        name.lower().endswith(HANDED_IN) and name not in (FEEDBACK_ZIP, CANVAS_FEEDBACK_ZIP)
        for name in folder.files)


def list_folder(root: Path) -> Listing:
    """The listing of a folder on disk; nothing is followed or read. Hidden and tool folders are
    listed too (so that a ``gradient.py`` inside one can be named), up to ``SKIPPED_ENTRIES``
    entries each: a ``node_modules`` of a million files must not cost a batch its time."""
    listing = Listing(root)
    stack: list[tuple[Parts, Parts | None]] = [((), None)]
    budget: dict[Parts, int] = {}
    deepest: Parts | None = None
    while stack:
        parts, skipped = stack.pop()
        here = root.joinpath(*parts)
        folder = listing.folders[parts] = Folder()
        try:
            with os.scandir(here) as entries:
                ordered = sorted(entries, key=lambda entry: entry.name)
        except OSError as problem:
            folder.problem = f"is a folder that could not be read ({problem.strerror})"
            continue
        for entry in ordered:
            if entry.is_dir(follow_symlinks=False):
                folder.folders.append(entry.name)
            elif entry.is_symlink() and Path(entry.path).is_dir():
                folder.linked.append(entry.name)
            else:
                path = Path(entry.path)
                refused = (_link(path, root) if entry.is_symlink() else
                           None if entry.is_file(follow_symlinks=False) else "is not a regular file")
                folder.files[entry.name] = Item(entry.name, OnDisk(path), refused)
        if parts and _own_output(folder):
            listing.notes.append(f"{code_span(display(here))} holds gdgrade's own reports (an --out folder): "
                                 "not searched for submissions")
            listing.folders[parts] = Folder()
            continue
        if skipped is None and parts and not searched(parts[-1]):
            skipped = parts
        if skipped is not None:
            budget[skipped] = budget.get(skipped, SKIPPED_ENTRIES) - len(ordered)
            if budget[skipped] <= 0:
                listing.partial.add(skipped)
                continue
        below = [(*parts, name) for name in folder.folders]
        if len(parts) >= MAX_DEPTH:
            deepest = deepest or (below[0] if below else None)
            continue
        stack.extend((path, skipped) for path in reversed(below))
    if deepest:
        listing.too_deep(deepest)
    return listing


def is_archive(path: Path) -> bool:
    """Whether ``path`` is a regular file that starts like a zip archive (named ``.zip`` or not)."""
    if path.is_symlink() or not path.is_file():  # never open a FIFO: it would block
        return False
    try:
        with open(path, "rb") as stream:
            return stream.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError:
        return False
