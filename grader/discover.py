"""Find submissions in the paths an instructor names.

In a folder, every ``gradient.py`` at any depth is one submission, named by
its parent folder relative to the folder (``/`` becomes ``__``); a loose
``NAME.py`` directly in the folder is submission ``NAME``. A named file is a
submission of its own. Links and special files are never followed or read:
they become submissions that report why they were not graded.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MAX_SOURCE_BYTES = 1 << 20
SKIPPED_FOLDERS = frozenset({"__pycache__", "node_modules"})


@dataclass(frozen=True)
class Submission:
    id: str
    path: Path
    problem: str | None = None
    """Why the file must not be read (a link, a special file), if so."""

    def read(self) -> bytes:
        """The file's bytes, refusing links, special files and anything over 1 MiB."""
        if self.problem:
            raise OSError(self.problem)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(self.path, flags)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise OSError(f"{self.path} is not a regular file")
            if info.st_size > MAX_SOURCE_BYTES:
                raise OSError(f"{self.path} is larger than {MAX_SOURCE_BYTES} bytes")
            with os.fdopen(fd, "rb", closefd=False) as stream:
                return stream.read(MAX_SOURCE_BYTES + 1)[:MAX_SOURCE_BYTES]
        finally:
            os.close(fd)


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


def _in_folder(root: Path, filename: str) -> list[Submission]:
    found: list[Submission] = []
    for folder, subfolders, files in os.walk(root, followlinks=False):
        here = Path(folder)
        relative = here.relative_to(root)
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d not in SKIPPED_FOLDERS)
        for name in [d for d in subfolders if (here / d).is_symlink()]:
            subfolders.remove(name)
            found.append(Submission("__".join((*relative.parts, name)), here / name,
                                    "is a symbolic link to a folder; links are not followed"))
        for name in sorted(files):
            path = here / name
            if name == filename and relative.parts:
                found.append(_checked("__".join(relative.parts), path, root))
            elif not relative.parts and name.endswith(".py"):
                found.append(_checked(name[:-3], path, root))
    return found


def find(paths: Iterable[Path], filename: str = "gradient.py") -> list[Submission]:
    """Every submission under ``paths``, with unique ids, in a stable order."""
    found: list[Submission] = []
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            found.extend(_in_folder(path, filename))
        else:
            identifier = path.parent.resolve().name if path.name == filename else path.stem
            found.append(_checked(identifier or path.stem, path, path.parent))
    seen: dict[str, int] = {}
    unique = []
    for submission in found:
        count = seen.get(submission.id, 0) + 1
        seen[submission.id] = count
        unique.append(submission if count == 1 else
                      Submission(f"{submission.id}-{count}", submission.path, submission.problem))
    return unique
