"""The child's syscall filter: a classic BPF program for x86_64, assembled once per fork server
(and by a spawned child, from the plan).

Denied calls return EPERM, so the student sees an ordinary ``PermissionError``; ``clone3``
returns ENOSYS so that libc falls back to ``clone``, which is denied. Calls that take a target
(``kill``, ``tkill``, ``tgkill``) are allowed only at the child itself; the child's pid is
patched into the program just before it is loaded. ``prlimit64`` may read a limit, never set one,
and ``prctl`` may not undo a layer (``DENIED_PRCTL``).
"""

from __future__ import annotations

import ctypes
import os
import struct
from dataclasses import dataclass

from grader.sandbox.kernel import check, libc

SYS_SECCOMP, SECCOMP_SET_MODE_FILTER = 317, 1
AUDIT_ARCH_X86_64 = 0xC000003E
RET_KILL_PROCESS, RET_ALLOW = 0x80000000, 0x7FFF0000
RET_EPERM, RET_ENOSYS = 0x00050000 | 1, 0x00050000 | 38
LD_ABS, JEQ, JGE, RET = 0x20, 0x15, 0x35, 0x06

DENIED_SYSCALLS = {
    # new processes, threads and programs
    "fork": 57, "vfork": 58, "clone": 56, "execve": 59, "execveat": 322,
    # signals to other processes, handles on them
    "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297, "pidfd_open": 434, "pidfd_send_signal": 424,
    "pidfd_getfd": 438,
    # the network and local sockets
    "socket": 41, "socketpair": 53,
    # reading or changing other processes
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312,
    "migrate_pages": 256, "move_pages": 279,
    # mounts, namespaces, roots
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "unshare": 272, "setns": 308,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442, "open_by_handle_at": 304, "name_to_handle_at": 303,
    # watching the filesystem (Landlock does not cover it): other students' reports appearing
    "inotify_init": 253, "inotify_init1": 294, "inotify_add_watch": 254, "fanotify_init": 300,
    "fanotify_mark": 301,
    # memory the address-space limit does not count
    "memfd_create": 319, "memfd_secret": 447,
    # kernel attack surface
    "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "keyctl": 250, "add_key": 248, "request_key": 249,
    # the machine itself
    "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
    "delete_module": 176, "reboot": 169, "swapon": 167, "swapoff": 168, "acct": 163,
    "settimeofday": 164, "clock_settime": 227, "clock_adjtime": 305, "adjtimex": 159,
    "mknod": 133, "mknodat": 259, "iopl": 172, "ioperm": 173, "syslog": 103, "vhangup": 153,
    "quotactl": 179,
    # limits (raising them) and channels between submissions
    "setrlimit": 160, "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65, "semctl": 66,
    "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "mq_open": 240,
}
SELF_ONLY = {"kill": 62, "tkill": 200, "tgkill": 234}
"""Allowed only when the first argument is the child's own pid (or 0 for kill: its own group)."""
PRLIMIT64, CLONE3, PRCTL = 302, 435, 157
DENIED_PRCTL = {
    "PR_SET_PDEATHSIG": 1, "PR_SET_DUMPABLE": 4, "PR_SET_KEEPCAPS": 8, "PR_SET_SECUREBITS": 28,
    "PR_SET_MM": 35, "PR_SET_CHILD_SUBREAPER": 36, "PR_CAP_AMBIENT": 47, "PR_SET_PTRACER": 0x59616D61,
}
"""prctl options that would undo a layer: resetting the parent-death signal, becoming dumpable or
traceable again, keeping or regaining capabilities."""
PID_PLACEHOLDER = 0x7FFFFFF0


Instruction = tuple[int, int | str, int | str, int]
"""One BPF instruction: its code, where to jump when true and when false (an offset, or the name of a
label), and its operand."""
Label = tuple[str, str]
"""``("label", name)``: the place the next instruction has, named for the jumps."""


def _assemble(instructions: list[Instruction | Label]) -> bytes:
    """Resolve ``("label", name)`` markers and label jump targets into a BPF program."""
    labels, position = {}, 0
    for instruction in instructions:
        if len(instruction) == 2:
            labels[instruction[1]] = position
        else:
            position += 1
    program, position = bytearray(), 0
    for instruction in instructions:
        if len(instruction) == 2:
            continue
        code, jt, jf, k = instruction
        jt = labels[jt] - position - 1 if isinstance(jt, str) else jt
        jf = labels[jf] - position - 1 if isinstance(jf, str) else jf
        if not (0 <= jt < 256 and 0 <= jf < 256):
            raise ValueError("a seccomp jump does not fit in 8 bits: the program is too long")
        program += struct.pack("=HBBI", code, jt, jf, k)
        position += 1
    return bytes(program)


def program() -> bytes:
    """The child's syscall filter; the child's pid is patched in at ``PID_PLACEHOLDER``."""
    arg0, arg2_low, arg2_high = 16, 32, 36
    body: list[Instruction | Label] = [
        (LD_ABS, 0, 0, 4), (JEQ, 1, 0, AUDIT_ARCH_X86_64), (RET, 0, 0, RET_KILL_PROCESS),
        (LD_ABS, 0, 0, 0), (JGE, "deny", 0, 0x40000000),  # x32 numbers
        (JEQ, "enosys", 0, CLONE3),  # so libc falls back to clone, which is denied
        (JEQ, "prlimit", 0, PRLIMIT64),
        (JEQ, "prctl", 0, PRCTL),
        *((JEQ, "deny", 0, number) for number in DENIED_SYSCALLS.values()),
        (JEQ, "kill", 0, SELF_ONLY["kill"]),
        *((JEQ, "self", 0, SELF_ONLY[name]) for name in ("tkill", "tgkill")),
        (RET, 0, 0, RET_ALLOW),
        ("label", "kill"), (LD_ABS, 0, 0, arg0), (JEQ, "allow", 0, 0), (JEQ, "allow", "deny", PID_PLACEHOLDER),
        ("label", "self"), (LD_ABS, 0, 0, arg0), (JEQ, "allow", "deny", PID_PLACEHOLDER),
        ("label", "prlimit"), (LD_ABS, 0, 0, arg2_low), (JEQ, 0, "deny", 0),
        (LD_ABS, 0, 0, arg2_high), (JEQ, "allow", "deny", 0),
        ("label", "prctl"), (LD_ABS, 0, 0, arg0),
        *((JEQ, "deny", 0, option) for option in DENIED_PRCTL.values()),
        ("label", "allow"), (RET, 0, 0, RET_ALLOW),
        ("label", "deny"), (RET, 0, 0, RET_EPERM),
        ("label", "enosys"), (RET, 0, 0, RET_ENOSYS),
    ]
    return _assemble(body)


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


@dataclass
class Filter:
    """The assembled program in a ctypes buffer, ready to load after the pid is patched in."""

    buffer: ctypes.Array[ctypes.c_char]
    fprog: _Fprog
    pid_offsets: list[int]

    @classmethod
    def build(cls) -> Filter:
        template = program()
        placeholder = struct.pack("=I", PID_PLACEHOLDER)
        offsets = [i for i in range(0, len(template), 8) if template[i + 4:i + 8] == placeholder]
        buffer = ctypes.create_string_buffer(template, len(template))
        return cls(buffer, _Fprog(len(template) // 8, ctypes.addressof(buffer)), [o + 4 for o in offsets])

    def load(self) -> None:
        pid = struct.pack("=I", os.getpid())
        for offset in self.pid_offsets:
            ctypes.memmove(ctypes.addressof(self.buffer) + offset, pid, 4)
        check(libc.syscall(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, 0, ctypes.byref(self.fprog)), "seccomp")
