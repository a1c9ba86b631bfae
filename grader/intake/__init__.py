"""Finding what students handed in: one ``Submission`` per student, or a named reason.

``find`` takes folders, archives (a learning-management system's download) and files. A folder or
an archive is listed (``listing``, ``archive``), its layout recognised (``layouts``: Canvas,
Moodle, Blackboard, Brightspace, a Gradescope export; else ``folders``, the plain layout of
students' folders), and each student's file chosen (``folders.choose``); a notebook is graded as
the script its code cells make (``notebook``). Whatever a path holds, every student in it becomes
a submission, and whatever could not be searched is named in ``Found.notes``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import UserError
from grader.intake import folders
from grader.intake.folders import plain, unique
from grader.intake.listing import InMemory, Item, Listing, OnDisk, display, is_archive, list_folder
from grader.intake.submission import MAX_SOURCE_BYTES, Submission
from grader.text import code_span, count, one_line

log = logging.getLogger("gdgrade.intake")

__all__ = ["MAX_SOURCE_BYTES", "Found", "InMemory", "IntakeError", "Submission", "find", "one", "reopen",
           "upload"]


@dataclass
class Found:
    """What ``find`` found: the submissions, and notes on what could not be searched or was read
    otherwise than asked (a layout that could not be read, files not named as the layout names them)."""

    submissions: list[Submission] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _named(path: Path, filename: str) -> Submission:
    """A file named by itself: a submission under its own name (its folder's, for ``gradient.py``)."""
    stem = path.name.rpartition(".")[0] or path.name
    identifier = path.parent.resolve().name if path.name in (filename, folders.notebook_name(filename)) else stem
    problem = ("is a symbolic link; links are not followed" if path.is_symlink() else
               None if path.is_file() else "is not a regular file")
    return folders.graded(display(identifier or stem), path, Item(path.name, OnDisk(path), problem), None)


class IntakeError(UserError):
    """A path given to gdgrade cannot be read at all (an archive that is damaged or is not one, a
    named file that is not Python)."""


def _named_file(path: Path, filename: str) -> Submission:
    """``_named``, for a file named on the command line: one that is plainly not Python (``README.md``,
    a picture) is an ``IntakeError``, not a report of a syntax error. A ``.py`` file, a notebook,
    a name without a suffix and one that is the quiz's file once copy suffixes and ``.txt`` are set
    aside (``gradient.py.txt``) are graded."""
    suffix = path.suffix.lower()
    if path.is_file() and not path.is_symlink() and suffix and suffix not in (".py", ".ipynb") and \
            not folders.looks_like(path.name, filename):
        raise IntakeError(f"{display(path)} is not Python: give a .py file, a notebook (.ipynb) or a .zip of the "
                          f"work, such as {filename} (rename a file that holds Python to end in .py)")
    return _named(path, filename)


def _listing(path: Path) -> Listing:
    if path.is_dir() and not path.is_symlink():
        return list_folder(path)
    from grader.intake.archive import Archive, ArchiveError  # a check of one .py file reads no archive

    try:
        return Archive(path).listing()
    except (ArchiveError, OSError) as problem:
        why = problem if isinstance(problem, ArchiveError) else problem.strerror
        raise IntakeError(f"{display(path)} cannot be read as a zip archive: {why}") from None


def _archive(path: Path) -> bool:
    """Whether ``path`` is to be read as an archive: it starts like one, or is named ``.zip``."""
    return is_archive(path) or (path.suffix.lower() == ".zip" and path.is_file() and not path.is_symlink())


def upload(path: Path, filename: str) -> Submission:
    """One student's upload, a folder or an archive, files at any depth, as their submission: one with
    ``nothing`` set, and why, when nothing in it could be graded (see ``folders.upload``)."""
    return folders.upload(_listing(path), filename)


def one(path: Path, filename: str) -> Submission:
    """The submission a student checks: a file, or their work as an archive."""
    return upload(path, filename) if _archive(path) else _named_file(path, filename)


@functools.lru_cache(maxsize=8)
def _archive_listing(path: Path) -> Listing | None:
    from grader.intake.archive import Archive, ArchiveError

    try:
        return Archive(path).listing()
    except (ArchiveError, OSError):
        return None


def reopen(identifier: str, shown: str) -> Submission:
    """The submission a report's ``path`` names again, a file on disk or a member of an archive, to
    read its text once more (merging shards' reports)."""
    path = Path(shown)
    for archive in path.parents:
        if is_archive(archive):
            listing = _archive_listing(archive)
            relative = path.relative_to(archive).parts
            folder = listing.folders.get(relative[:-1]) if listing else None
            item = folder.files.get(relative[-1]) if folder else None
            if item is not None:
                return Submission(identifier, path, item.problem, origin=item.origin)
            break
    return Submission(identifier, path)


def find(paths: Iterable[Path], filename: str = "gradient.py", layout: str = "auto",
         attempts: str = "latest") -> Found:
    """Every submission under ``paths``, with unique ids, in the order of their ids (the gradebook's);
    ``IntakeError`` when a path is an archive that cannot be read at all.

    ``layout``: ``auto`` recognises each download's layout, ``plain`` reads every folder as
    students' folders, a system's name reads downloads as that system's. ``attempts``: ``latest``
    grades each student's latest attempt in a download, ``all`` every attempt."""
    from grader.intake import layouts  # LMS downloads: a batch's, never a check's

    found = Found()
    for path in paths:
        if not (path.is_dir() and not path.is_symlink()) and not _archive(path):
            found.submissions.append(_named_file(path, filename))
            continue
        listing = _listing(path)
        found.notes += listing.notes
        root = listing.folders.get((), None)
        loose = [name for name in (root.files if root else ()) if name.lower().endswith((".py", ".ipynb"))]
        if path.is_file() and layout in ("auto", "plain") and len(loose) == 1:
            found.submissions.append(folders.upload(listing, filename))  # one student's zip, named after it
            continue
        try:
            system, hand_ins, base = (None, [], ()) if layout == "plain" else layouts.detect(
                listing, None if layout == "auto" else layout)
        except Exception as problem:  # noqa: BLE001 - a download's names are students' too: never end the batch
            log.warning("the layout of %s could not be read (%s, a fault in gdgrade: please report it); its students "
                        "are graded under their plain names", one_line(display(path)), type(problem).__name__,
                        exc_info=problem)
            found.notes.append(f"the layout of {code_span(display(path))} could not be read ({type(problem).__name__}: "
                               f"{problem}): its students were graded under their plain names; please report it")
            system, hand_ins, base = None, [], ()
        claimed = {entry for hand_in in hand_ins for entry in hand_in.entries}
        if system is not None:
            graded = layouts.submissions(listing, system, hand_ins, filename, attempts)
            found.submissions += graded
            if not graded:
                found.notes.append(f"--layout {system.name}: nothing in {code_span(display(path))} is named as "
                                   f"{system.title} names a student's files")
        rest, notes = plain(listing, filename, claimed, base)
        found.submissions += rest
        found.notes += notes
        if system is not None and rest:
            found.notes.append(f"{count(len(rest), 'submission')} in {code_span(display(path))} "
                               f"{'is' if len(rest) == 1 else 'are'} not named as {system.title} names a student's "
                               "files, so graded under their plain names")
    # of two alike ids, the shallower keeps it: alice/x/gradient.py must not take the id of a folder alice__x
    by_depth = sorted(found.submissions, key=lambda submission: (submission.id.casefold(), len(submission.path.parts)))
    found.submissions = sorted(unique(by_depth), key=lambda submission: submission.id.casefold())
    return found
