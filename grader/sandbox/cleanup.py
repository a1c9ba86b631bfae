"""Scratch folders on the host, for machines where children cannot have a private tmpfs.

There the fork server creates one folder per run (``gdgrade-scratch-*`` in the temporary folder)
with a slot folder per child running at once, and holds a lock on it for as long as it lives.
The grader empties a slot after each child and removes the whole folder at the end; a run removes
the folders of earlier runs whose lock nobody holds any more (they were killed), never another's.
Removal is iterative and never follows links, so no tree a child makes (1,500 folders deep, say)
can break it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile

PREFIX = "gdgrade-scratch-"
LOCK = ".lock"


def _unlink_entries(fd: int) -> str | None:
    """Remove every non-folder entry of the open folder ``fd``; return a subfolder's name, if any."""
    folder = None
    with os.scandir(fd) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                folder = folder or entry.name
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.name, dir_fd=fd)
    return folder


def _open_folder(name: str, parent: int | None = None) -> int:
    """Open a folder without following a link, first making it ours to empty: a child may have left
    it with no permissions at all (``chmod 0``), which would stop even its owner."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(name, flags, dir_fd=parent)
    except PermissionError:
        handle = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)
        try:
            os.chmod(f"/proc/self/fd/{handle}", 0o700)  # the folder itself: an O_PATH descriptor follows no link
        finally:
            os.close(handle)
        fd = os.open(name, flags, dir_fd=parent)
    with contextlib.suppress(OSError):
        os.fchmod(fd, 0o700)  # entries of a read-only folder cannot be removed
    return fd


def empty_folder(path: str) -> bool:
    """Remove everything inside ``path``, however deep, holding one descriptor at a time; whether it
    is empty now. Never raises: what cannot be removed is left, and the answer says so."""
    try:
        fd = _open_folder(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    names: list[str] = []  # the way down from ``path``
    stuck: set[tuple[str, ...]] = set()  # folders that could not be opened or removed
    try:
        while True:
            try:
                folder = _unlink_entries(fd)
                while folder is not None and (*names, folder) in stuck:
                    folder = next((entry.name for entry in os.scandir(fd) if entry.is_dir(follow_symlinks=False)
                                   and (*names, entry.name) not in stuck), None)
                if folder is not None:
                    try:
                        child = _open_folder(folder, fd)
                    except OSError:
                        stuck.add((*names, folder))
                        continue
                    os.close(fd)
                    fd = child
                    names.append(folder)
                    continue
            except OSError:
                stuck.add(tuple(names))
            if not names:
                return not stuck and not os.listdir(fd)
            parent = os.open("..", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = parent
            here = names.pop()
            try:
                os.rmdir(here, dir_fd=fd)
            except FileNotFoundError:
                pass
            except OSError:
                stuck.add((*names, here))
    except OSError:
        return False
    finally:
        os.close(fd)


def remove_tree(path: str) -> None:
    empty_folder(path)
    with contextlib.suppress(OSError):
        os.rmdir(path)


def create(slots: int, owner: int | None) -> tuple[str, int]:
    """A new scratch root with ``slots`` slot folders (owned by ``owner + slot`` when given); the
    root's path and the descriptor holding its lock, which marks it as in use."""
    root = tempfile.mkdtemp(prefix=PREFIX)
    os.chmod(root, 0o711)  # children reach their own slot, list nobody's
    lock = os.open(os.path.join(root, LOCK), os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    for slot in range(slots):
        folder = slot_folder(root, slot)
        os.mkdir(folder, 0o700)
        if owner is not None:
            os.chown(folder, owner + slot, owner + slot)
    return root, lock


def slot_folder(root: str, slot: int) -> str:
    return os.path.join(root, f"slot-{slot}")


def remove_stale(base: str | None = None) -> int:
    """Remove the scratch roots that killed runs left behind (their lock is free); return how many."""
    base = base or tempfile.gettempdir()
    removed = 0
    for entry in os.scandir(base):
        if not entry.name.startswith(PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        if stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode) != 0o711:
            continue  # not made by gdgrade
        try:
            lock = os.open(os.path.join(entry.path, LOCK), os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live run holds it
        finally:
            os.close(lock)
        remove_tree(entry.path)
        removed += 1
    return removed
