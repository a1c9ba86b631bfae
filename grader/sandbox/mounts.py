"""The child's view of the filesystem: Python, numpy and the shared libraries, read-only, and a
private scratch folder bounded in bytes and files; nothing else of the machine.

The fork server builds the root once, in its own mount namespace (private: nothing propagates to
the host): a small tmpfs where each needed host folder is bind-mounted read-only at its own path,
so imports resolve exactly as outside, and the folders in between are created world-traversable
(a Python installed under /root is readable without any capability, and nothing else of /root
exists). Each child then enters a mount namespace of its own, mounts a fresh tmpfs at
``/scratch`` (size- and inode-limited, no exec) and chroots into the root. The scratch vanishes
with the child, so there is never anything to clean up, however deep or large the tree it made.
"""

from __future__ import annotations

import os
import platform
import stat
import sysconfig
from pathlib import PurePosixPath

from grader.sandbox.kernel import (
    CLONE_NEWNS,
    MS_BIND,
    MS_NODEV,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_REMOUNT,
    chroot,
    mount,
    unshare,
)

ROOT_MOUNTPOINTS = ("/dev/shm", "/mnt", "/media")
"""Where the fork server mounts the children's root, in its own mount namespace only: the first
that exists (it hides that folder from the fork server and its children, nothing else)."""
SCRATCH = "/scratch"
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom")
HIDDEN_PACKAGES = ("site-packages", "dist-packages")
"""Installed packages are not the student's to import; numpy alone is bound back in."""


def stdlib() -> str:
    return sysconfig.get_paths()["stdlib"]


def library_paths() -> list[str]:
    """What a child must read, besides the standard library: numpy and the system's shared libraries."""
    import numpy

    numpy_dir = os.path.dirname(numpy.__file__)
    multiarch = sysconfig.get_config_var("MULTIARCH") or f"{platform.machine()}-linux-gnu"
    paths = [numpy_dir, numpy_dir + ".libs", f"/usr/lib/{multiarch}", f"/lib/{multiarch}", "/lib64",
             "/etc/ld.so.cache"]
    return [path for path in paths if os.path.exists(path)]


def readable_paths() -> list[str]:
    """Without a private root, what Landlock lets a child read: the standard library entry by entry
    (its site-packages left out), then the library paths."""
    entries = [entry.path for entry in os.scandir(stdlib()) if entry.name not in HIDDEN_PACKAGES]
    return entries + library_paths() + ["/dev/urandom"]


def _place(root: str, path: str) -> str:
    """Create ``path``'s parent folders under ``root``, copying any symbolic link on the way.

    Returns the host path with every link resolved, whose parents now exist under ``root``: the
    place to bind the host folder or file at.
    """
    parts = PurePosixPath(path).parts
    current = "/"
    for index, part in enumerate(parts[1:], start=1):
        current = os.path.join(current, part)
        inside = root + current
        info = os.lstat(current)
        if stat.S_ISLNK(info.st_mode):
            if not os.path.lexists(inside):
                os.symlink(os.readlink(current), inside)
            resolved = os.path.realpath(current)
            return _place(root, os.path.join(resolved, *parts[index + 1:]))
        if index < len(parts) - 1 and not os.path.lexists(inside):
            os.mkdir(inside, 0o755)
    return current


def _bind(root: str, path: str) -> None:
    """Bind host ``path`` read-only at the same path under ``root``."""
    real = _place(root, path)
    target = root + real
    if not os.path.lexists(target):
        if os.path.isdir(real):
            os.mkdir(target, 0o755)
        else:
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    mount(real, target, None, MS_BIND)
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)


def _hide(root: str, path: str) -> str:
    """Cover ``path`` under ``root`` with an empty tmpfs; return the mountpoint."""
    target = root + _place(root, path)
    mount("gdgrade-hidden", target, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
    return target


def build_root() -> str:
    """In the fork server's own mount namespace: the children's root; return where it is."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = next(path for path in ROOT_MOUNTPOINTS if os.path.isdir(path))
    mount("gdgrade-root", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    _bind(root, stdlib())
    covers = [_hide(root, path) for path in (os.path.join(stdlib(), name) for name in HIDDEN_PACKAGES)
              if os.path.isdir(path)]
    for path in sorted(library_paths() + list(DEVICES), key=lambda p: p.count("/")):
        _bind(root, path)  # numpy may lie inside a cover: its folders are made there
    os.mkdir(root + SCRATCH, 0o755)
    for target in [*covers, root]:
        mount(None, target, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    return root


def enter(root: str, scratch_bytes: int, scratch_files: int, uid: int | None) -> None:
    """In the child: its own mount namespace, a fresh bounded scratch, and the root as ``/``."""
    unshare(CLONE_NEWNS)
    owner = f",uid={uid},gid={uid}" if uid is not None else ""
    mount("gdgrade-scratch", root + SCRATCH, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
          f"size={scratch_bytes},nr_inodes={scratch_files},mode=0700{owner}")
    chroot(root)
    os.chdir(SCRATCH)
