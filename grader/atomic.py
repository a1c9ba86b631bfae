"""Files that appear whole or not at all: written under a temporary name, then renamed into place.

A killed batch therefore never leaves a half-written report or gradebook. Temporary names end in
``.gdgrade-tmp``, so a later run can remove what a killed one left (``remove_leftovers``) without
touching anyone else's files. Files get the mode any file the user creates gets (``0o666`` less the
umask), so pages can be shared or served.

Ctrl-C and SIGTERM must not land between creating a temporary and renaming it: ``deferred``
holds them back until the file is in place, when ``interrupt_handler`` is installed.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

SUFFIX = ".gdgrade-tmp"
LEFTOVER = re.compile(r"^\..+\.[0-9a-f]{16}\.gdgrade-tmp$"
                      r"|^\..+\.(json|html|csv|xml|md)\.[a-z0-9_]{8}\.tmp$")  # the second: gdgrade 0.1's mkstemp names
"""Names of gdgrade's own temporaries (a run killed mid-write leaves one)."""


class _Deferral:
    depth = 0
    pending: int | None = None


def interrupt_handler(signum: int, frame: FrameType | None) -> None:
    """SIGINT/SIGTERM handler: KeyboardInterrupt now, or once the file being written is in place."""
    if _Deferral.depth:
        _Deferral.pending = signum
    else:
        raise KeyboardInterrupt


def _release() -> None:
    """End one hold on interrupts; the last one raises an interrupt that arrived meanwhile."""
    _Deferral.depth -= 1
    if not _Deferral.depth and _Deferral.pending is not None:
        _Deferral.pending = None
        raise KeyboardInterrupt


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold back interrupts (with ``interrupt_handler`` installed) until the block is done."""
    _Deferral.depth += 1
    try:
        yield
    finally:
        _release()


def install_interrupt_handler() -> None:
    """Make Ctrl-C and SIGTERM raise KeyboardInterrupt, never inside ``deferred``."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, interrupt_handler)


CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
"""How a temporary is opened: a new file of this run's, never one that is there already."""


def _temporary_name(name: str) -> str:
    return f".{name}.{secrets.token_hex(8)}{SUFFIX}"


class AtomicFile:
    """A file being written to ``path`` (text, or bytes when ``binary``): ``commit`` puts it in place,
    ``discard`` drops it.

    As a context manager it commits on success and discards on an exception; interrupts wait
    until either is done.
    """

    def __init__(self, path: Path, binary: bool = False):
        self.path = path
        self._deferral = deferred()
        self._deferral.__enter__()
        try:
            self.temporary = path.with_name(_temporary_name(path.name))
            handle = os.open(self.temporary, CREATE, 0o666)
            # backslashreplace: a lone surrogate a student's text smuggled in is written, never fatal
            self.stream: Any = (os.fdopen(handle, "wb") if binary else
                                os.fdopen(handle, "w", encoding="utf-8", errors="backslashreplace", newline=""))
        except BaseException:
            self._deferral.__exit__(None, None, None)
            raise

    def commit(self) -> None:
        try:
            self.stream.close()
            os.replace(self.temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(self.temporary)
            raise
        finally:
            self._deferral.__exit__(None, None, None)

    def discard(self) -> None:
        try:
            self.stream.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.temporary)
        finally:
            self._deferral.__exit__(None, None, None)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            if kind is None:
                self.commit()
            else:
                self.discard()
        except OSError as failed:
            if failed.filename is None:
                raise _named(failed, self.path) from failed
            raise
        if isinstance(value, OSError) and value.filename is None:
            raise _named(value, self.path) from value


def _named(failed: OSError, path: Path) -> OSError:
    """A write's failure (a full disk) names no file: it is said of the file being written."""
    return type(failed)(failed.errno, failed.strerror, str(path))


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8, a lone surrogate as ``AtomicFile`` writes it)."""
    write_bytes(path, text.encode("utf-8", "backslashreplace"))


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: what ``AtomicFile`` does, with no stream objects around
    the descriptor (a batch writes two files per submission, and the objects cost more than the writes)."""
    folder, name = os.path.split(path)
    temporary = os.path.join(folder, _temporary_name(name))
    _Deferral.depth += 1
    try:
        handle = os.open(temporary, CREATE, 0o666)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(handle, view):]
            finally:
                os.close(handle)
            os.replace(temporary, path)
        except BaseException as failed:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            if isinstance(failed, OSError) and failed.filename is None:
                raise _named(failed, path) from failed
            raise
    finally:
        _release()


def remove_leftovers(folder: Path) -> int:
    """Remove the temporaries a killed gdgrade run left in ``folder``; return how many."""
    removed = 0
    for entry in os.scandir(folder):
        if LEFTOVER.match(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed += 1
    return removed
