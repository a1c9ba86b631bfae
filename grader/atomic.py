"""Files that appear whole or not at all: written under a temporary name, then renamed into place.

A killed batch therefore never leaves a half-written report or gradebook.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from types import TracebackType


class AtomicFile:
    """A text file being written to ``path``: ``commit`` puts it in place, ``discard`` drops it.

    As a context manager it commits on success and discards on an exception.
    """

    def __init__(self, path: Path):
        self.path = path
        handle, self.temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        self.stream = os.fdopen(handle, "w", encoding="utf-8", newline="")

    def commit(self) -> None:
        self.stream.close()
        os.replace(self.temporary, self.path)

    def discard(self) -> None:
        self.stream.close()
        os.unlink(self.temporary)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with AtomicFile(path) as file:
        file.stream.write(text)
