"""Landlock: what files the child may read and write, no TCP, and signals scoped to itself.

Without a private root the fork server builds one ruleset per slot, once, and each child applies
its slot's with one system call; inside the private root each child builds its own (three rules),
since a rule on a mount point does not cover what is mounted over it later (``layers``).
"""

from __future__ import annotations

import ctypes
import os
import struct
from collections.abc import Iterable

from grader.sandbox.kernel import check, libc

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_ALL_V1 = (1 << 13) - 1
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2
RULE_PATH_BENEATH = 1
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
READ_ONLY = FS_READ_FILE | FS_READ_DIR | FS_EXECUTE
READ_WRITE_FILE = FS_READ_FILE | FS_WRITE_FILE
EVERYTHING = -1
"""Every right the kernel handles (for the scratch directory)."""
MINIMUM_ABI = 1
"""Filesystem rules came with ABI 1; TCP rules (ABI 4) and signal scoping (ABI 6) are used when the
kernel has them. The network namespace already stops TCP, and seccomp and the pid namespace
already confine signals, so an older kernel loses no guarantee."""


def abi() -> int:
    """The kernel's Landlock ABI version, 0 where there is none."""
    return max(0, int(libc.syscall(SYS_CREATE_RULESET, None, 0, 1)))


def _handled_fs(version: int) -> int:
    rights = FS_ALL_V1
    if version >= 2:
        rights |= FS_REFER
    if version >= 3:
        rights |= FS_TRUNCATE
    if version >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def ruleset(rules: Iterable[tuple[str, int]]) -> int:
    """A ruleset fd: each (path, rights) allowed beneath ``path``, nothing else; no TCP and signals and
    abstract sockets scoped to the child, where the kernel's ABI has them (4 and 6)."""
    version = abi()
    handled = _handled_fs(version)
    attr = struct.pack("=QQQ", handled, NET_BIND_TCP | NET_CONNECT_TCP if version >= 4 else 0,
                       SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if version >= 6 else 0)
    size = 24 if version >= 6 else 16 if version >= 4 else 8
    fd = int(libc.syscall(SYS_CREATE_RULESET, ctypes.c_char_p(attr[:size]), size, 0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        for path, access in rules:
            target = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                access = handled if access == EVERYTHING else access
                if not os.path.isdir(path):
                    access &= FILE_RIGHTS
                rule = struct.pack("=Qi", access & handled, target)
                check(libc.syscall(SYS_ADD_RULE, fd, RULE_PATH_BENEATH, ctypes.c_char_p(rule), 0),
                      f"landlock_add_rule {path}")
            finally:
                os.close(target)
    except BaseException:
        os.close(fd)
        raise
    return fd


def restrict_self(fd: int) -> None:
    check(libc.syscall(SYS_RESTRICT_SELF, fd, 0), "landlock_restrict_self")
