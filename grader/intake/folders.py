"""The plain layout: a folder of students' folders, and which file in a student's files is graded.

In a folder, every ``gradient.py`` at any depth is one submission, named by its parent folder
relative to the folder (``/`` becomes ``__``); a loose ``NAME.py`` (or ``NAME.ipynb``) directly in
the folder is submission ``NAME``. A named file is a submission of its own.

No student is lost to a file name: every other folder that holds files (and is not inside a
student's folder) is a student too, and gets exactly one report: its file is the one that is
``gradient.py`` once case, copy suffixes (`` (1)``, ``-1``, ``_1``, `` copy``) and a trailing
``.txt`` are set aside, else the notebook that could be ``gradient.ipynb``, else its only ``.py``
file, else its only notebook (``choose``); when none or several could be, the report says that
nothing could be graded and lists what the folder holds. Every report says which file was graded
and why (``Submission.selection``). Links and special files are never followed or read, and a
folder that cannot be listed is not skipped: each becomes a submission whose report says why it
was not graded.

Folder names may be any bytes: an id is always text (bytes that are not UTF-8 are written as
``\\xNN``), and ids are unique even on a case-insensitive disk (``unique``).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Collection
from pathlib import Path

from grader.intake.listing import Item, Listing, Parts, display, searched
from grader.intake.submission import Submission, is_notebook
from grader.report import Student
from grader.text import code_span

COPY_SUFFIX = re.compile(r"(?: \(\d+\)| ?[-_ ]copy(?: ?\d+)?| copy(?: \d+)?|[-_ ]\d+)$", re.IGNORECASE)
"""What a download or a desktop adds to a copy of a file's name: `` (1)``, ``-1``, ``_2``, `` copy``."""
LITTER = re.compile(r"^(?:\._.*|\.DS_Store|Thumbs\.db|desktop\.ini)$", re.IGNORECASE)
"""Files an operating system leaves beside a student's (macOS's ``._NAME`` twins, folder settings)."""


def looks_like(name: str, filename: str) -> bool:
    """Whether ``name`` (or its last part) is ``filename`` once case, copy suffixes and a trailing
    ``.txt`` are set aside."""
    name = os.path.basename(name).lower().removesuffix(".txt")
    stem, dot, extension = name.rpartition(".")
    wanted_stem, _, wanted_extension = filename.lower().rpartition(".")
    while dot and COPY_SUFFIX.search(stem):
        stem = COPY_SUFFIX.sub("", stem)
    return bool(dot) and (stem, extension) == (wanted_stem, wanted_extension)


def notebook_name(filename: str) -> str:
    """The notebook a student may hand in where ``filename`` is asked for."""
    return f"{filename.rpartition('.')[0] or filename}.ipynb"


NO_CODE, EMPTY = "no Python file", "it is empty"
"""Why ``choose`` chose nothing when there was no code at all to choose from: the one case where
``pick`` looks inside a zip the student handed in."""


def choose(files: list[str], folders: list[str], filename: str) -> tuple[str | None, str]:
    """The file to grade in a student's files that include no ``filename``, and why; or None and why not.

    ``files`` may be paths relative to the student's folder (an upload with subfolders): names are
    compared by their last part. In order: the file that could be ``filename``, the notebook that
    could be its notebook, the only Python file, the only notebook.
    """
    files = [name for name in files if not LITTER.match(os.path.basename(name))]
    listing = ", ".join(code_span(display(name)) for name in [*files, *(f"{name}/" for name in folders)][:20])
    notebook = notebook_name(filename)
    for wanted in (filename, notebook):
        alike = [name for name in files if looks_like(name, wanted)]
        if len(alike) == 1:
            return alike[0], (f"{code_span(display(alike[0]))} was graded as {wanted} (its name once case, copy "
                              "suffixes and .txt are set aside)")
        if alike:
            return None, f"several files could be {wanted}, so none was graded: {listing}"
    for kind, suffix in (("Python file", ".py"), ("notebook", ".ipynb")):
        found = [name for name in files if name.lower().endswith(suffix)]
        if len(found) == 1:
            return found[0], f"{code_span(display(found[0]))} was graded: it is the only {kind} in the folder"
        if found:
            return None, f"several {kind}s and none named {filename}, so none was graded: {listing}"
    if filename in folders:
        return None, f"{filename} is a folder here, not a file: {listing}"
    return None, f"{NO_CODE}: {listing}" if listing else EMPTY


def graded(identifier: str, path: Path, item: Item, why: str | None, student: Student | None = None) -> Submission:
    """The submission of one chosen file; a notebook's report says how it was read."""
    if is_notebook(item.name):
        how = (f"{code_span(display(item.name))} is a notebook, graded as its code cells joined in order (IPython "
               "magics and shell lines as comments)")
        why = f"{why}; {how}" if why else how
    return Submission(identifier, path, item.problem, why, origin=item.origin, student=student)


def _also(files: list[tuple[str, Parts, Item]], chosen: str) -> str | None:
    """The student's other Python files and notebooks, which were not graded: said, never silent."""
    others = [name for name, _, _ in files if name != chosen and name.lower().endswith((".py", ".ipynb"))
              and not LITTER.match(os.path.basename(name))]
    if not others:
        return None
    shown = ", ".join(code_span(display(name)) for name in others[:5]) + (" and more" if len(others) > 5 else "")
    return f"also handed in, not graded: {shown}"


def _joined(*parts: str | None) -> str | None:
    said = "; ".join(part for part in parts if part)
    return said or None


def pick(listing: Listing, where: Parts, files: list[tuple[str, Parts, Item]], filename: str, identifier: str,
         student: Student | None = None, own_folder: bool = True, nested: bool = True) -> Submission:
    """The submission of one student whose files are ``files`` (each: its name as the student gave it,
    with ``/`` between folders; where it is in the listing; the item): the shallowest ``filename``,
    else what ``choose`` decides, else, when they handed in one zip and nothing to grade beside it,
    what that zip holds (``nested``: one level, never a zip in a zip). ``where`` is the student's
    folder (``own_folder``), or the folder their loose files lie in among others'."""
    exact = [handed for handed in files if handed[0].rpartition("/")[2] == filename]
    if exact:
        name, location, item = min(exact, key=lambda handed: handed[0].count("/"))
        why = f"{code_span(display(name))} is the upload's {filename}" if "/" in name else None
        return graded(identifier, listing.path(location), item, _joined(why, _also(files, name)), student)
    top = listing.folders.get(where)
    chosen, why = choose([name for name, _, _ in files], top.folders if top and own_folder else [], filename)
    if chosen is not None:
        name, location, item = next(handed for handed in files if handed[0] == chosen)
        return graded(identifier, listing.path(location), item, _joined(why, _also(files, chosen)), student)
    archives = [handed for handed in files if handed[0].lower().endswith(".zip") and not handed[2].problem]
    if nested and len(archives) == 1 and (why == EMPTY or why.startswith(NO_CODE)):
        name, location, item = archives[0]
        from grader.intake.archive import ArchiveError, nested_listing  # only for a zip inside a hand-in

        try:
            inner = nested_listing(listing.path(location), item.origin)
        except (ArchiveError, OSError) as problem:
            why = f"{why}; {code_span(display(name))} could not be opened: {problem}"
        else:
            found = pick(inner, (), inner.handed_below(()), filename, identifier, student, nested=False)
            said = f"{code_span(display(name))} is a zip the student handed in, graded from what it holds"
            return dataclasses.replace(found, selection=_joined(said, found.selection))
    shown = where if own_folder or not files else files[0][1]  # loose files: the first, not the whole download
    return Submission(identifier, listing.path(shown), None, why, nothing=True, student=student)


def _folder_id(parts: Parts) -> str:
    return "__".join(display(part) for part in parts)


def plain(listing: Listing, filename: str, claimed: Collection[Parts] = (),
          base: Parts = ()) -> tuple[list[Submission], list[str]]:
    """The submissions of a listing read as student folders (see the module's docstring), leaving out
    the entries a download's layout ``claimed``; and notes on what was not searched. ``base``, the
    folder a download was found in, is read as the top, as are the folders around it."""
    submissions: list[Submission] = []
    notes: list[str] = []
    notebook = notebook_name(filename)
    stack: list[tuple[Parts, bool]] = [((), False)]
    while stack:
        parts, inside_student = stack.pop()
        folder = listing.folders.get(parts)
        if folder is None:
            continue
        if folder.problem:
            submissions.append(Submission(_folder_id(parts) or display(listing.root.name), listing.path(parts),
                                          folder.problem))
            continue
        files = {name: item for name, item in folder.files.items()
                 if (*parts, name) not in claimed and not LITTER.match(name)}
        subfolders = [name for name in folder.folders if (*parts, name) not in claimed]
        student = False
        if base[:len(parts)] == parts:  # the top, or the folders a download sits in
            loose = [name for name in files if name.lower().endswith((".py", ".ipynb"))]
            submissions += [graded(display(name.rpartition(".")[0]), listing.path((*parts, name)), files[name], None)
                            for name in loose]
            others = [name for name in files if name not in loose]
            if parts and others:
                notes.append(f"{', '.join(code_span(display(name)) for name in others[:10])} beside the download in "
                             f"{code_span(display(listing.path(parts)))} {'is' if len(others) == 1 else 'are'} no "
                             "student's: not graded")
        elif filename in files or (notebook in files and not inside_student):
            name = filename if filename in files else notebook
            handed = [] if inside_student else [(other, (*parts, other), item) for other, item in files.items()]
            submissions.append(graded(_folder_id(parts), listing.path((*parts, name)), files[name],
                                      _also(handed, name)))
            student = True
        elif not inside_student and (files or filename in subfolders):
            submissions.append(pick(listing, parts, [(name, (*parts, name), item) for name, item in files.items()],
                                    filename, _folder_id(parts)))
            student = True
        if not inside_student and not student:
            submissions += [Submission(_folder_id((*parts, name)), listing.path((*parts, name)),
                                       "is a symbolic link to a folder; links are not followed")
                            for name in folder.linked if (*parts, name) not in claimed]
        below, unsearched = _below(listing, parts, subfolders, filename)
        stack += [(path, inside_student or student) for path in below]
        notes += unsearched
    return submissions, notes


def _below(listing: Listing, parts: Parts, subfolders: list[str], filename: str) -> tuple[list[Parts], list[str]]:
    """The subfolders of ``parts`` to search, last first (so that a stack pops them in order), and a
    note on each that is not searched although it may hold a student's work."""
    below: list[Parts] = []
    notes: list[str] = []
    for name in reversed(subfolders):
        path = (*parts, name)
        if searched(name):
            below.append(path)
        elif listing.holds(path, filename):
            notes.append(f"{code_span(display(listing.path(path)))} holds a {filename} but was not searched "
                         "(hidden and tool folders are not): rename the folder to grade it")
        elif path in listing.partial:
            notes.append(f"{code_span(display(listing.path(path)))} was not searched, and holds too many files "
                         f"to look for a {filename} in: rename the folder if a student's work is in it")
    return below, notes


def upload(listing: Listing, filename: str) -> Submission:
    """One student's upload (a Gradescope submission folder, a zip they made; files at any depth) as
    their submission, named after it: the shallowest ``filename``, else what ``choose`` decides, else
    ``nothing`` and why (its ``selection``)."""
    return pick(listing, (), listing.handed_below(()), filename, display(listing.root.stem))


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
