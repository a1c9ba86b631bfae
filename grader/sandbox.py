"""Containment applied in the child before any student code runs.

The expensive parts are done once per runner (``prepare``): the seccomp
program is assembled, the Landlock ruleset with its read-only rules for the
Python standard library and numpy is built, and the runner moves into new
network and IPC namespaces that its children inherit. ``enter`` then applies
the per-child layers in the freshly forked child, each well under a
millisecond. docs/security.md describes each layer and what it stops.
"""

from __future__ import annotations

import ctypes
import fcntl
import io
import os
import platform
import resource
import struct
import sys
import sysconfig
from dataclasses import dataclass, field
from typing import Any

SAFE_ENVIRONMENT = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}
"""The whole environment a submission sees: nothing from the grader's (CI tokens stay out)."""

LAYERS = ("descriptors", "environment", "rlimits", "unprivileged", "no_new_privs", "namespaces",
          "landlock", "seccomp")
"""Every layer, in the order ``enter`` applies them."""

UID_BASE = 64000
"""Root drops to uid/gid UID_BASE + runner slot: children of different runners cannot touch each other."""

RULESET_FD_MIN = 200
"""The Landlock ruleset fd lives at or above this, out of the way of the child's stdio and result pipe."""

STRICT_EXIT = 78
"""A strict child exits with this, before any student code, when a layer could not be applied."""

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

# --- Linux constants (x86_64) -------------------------------------------------
PR_SET_DUMPABLE, PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS, PR_GET_SECCOMP = 4, 8, 38, 21
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWNET = 0x08000000, 0x10000000, 0x40000000
CAP_DAC_READ_SEARCH = 2
SYS_CAPSET = 126
SYS_SECCOMP, SECCOMP_SET_MODE_FILTER = 317, 1
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446


# --- seccomp -------------------------------------------------------------------

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
    # kernel attack surface
    "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "keyctl": 250, "add_key": 248, "request_key": 249,
    # the machine itself
    "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
    "delete_module": 176, "reboot": 169, "swapon": 167, "swapoff": 168, "acct": 163,
    "settimeofday": 164, "clock_settime": 227, "clock_adjtime": 305, "adjtimex": 159,
    "mknod": 133, "mknodat": 259, "iopl": 172, "ioperm": 173, "syslog": 103, "vhangup": 153,
    "quotactl": 179, "fanotify_init": 300,
    # limits (raising them) and channels between submissions
    "setrlimit": 160, "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65, "semctl": 66,
    "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "mq_open": 240,
}
SELF_ONLY = {"kill": 62, "tkill": 200, "tgkill": 234}
"""Allowed only when the first argument is the child's own pid (or 0 for kill: its own group)."""
PRLIMIT64, CLONE3 = 302, 435
PID_PLACEHOLDER = 0x7FFFFFF0


def _assemble(instructions: list[tuple]) -> bytes:
    """Resolve ``("label", name)`` markers and label jump targets into a BPF program."""
    labels, position = {}, 0
    for instruction in instructions:
        if instruction[0] == "label":
            labels[instruction[1]] = position
        else:
            position += 1
    program, position = bytearray(), 0
    for instruction in instructions:
        if instruction[0] == "label":
            continue
        code, jt, jf, k = instruction
        jt = labels[jt] - position - 1 if isinstance(jt, str) else jt
        jf = labels[jf] - position - 1 if isinstance(jf, str) else jf
        program += struct.pack("=HBBI", code, jt, jf, k)
        position += 1
    return bytes(program)


def seccomp_program() -> bytes:
    """The child's syscall filter; the child's pid is patched in at ``PID_PLACEHOLDER``."""
    arg0, arg2_low, arg2_high = 16, 32, 36
    body: list[tuple] = [
        (LD_ABS, 0, 0, 4), (JEQ, 1, 0, AUDIT_ARCH_X86_64), (RET, 0, 0, RET_KILL_PROCESS),
        (LD_ABS, 0, 0, 0), (JGE, "deny", 0, 0x40000000),  # x32 numbers
        (JEQ, "enosys", 0, CLONE3),  # so libc falls back to clone, which is denied
        (JEQ, "prlimit", 0, PRLIMIT64),
        *((JEQ, "deny", 0, number) for number in DENIED_SYSCALLS.values()),
        (JEQ, "kill", 0, SELF_ONLY["kill"]),
        *((JEQ, "self", 0, SELF_ONLY[name]) for name in ("tkill", "tgkill")),
        (RET, 0, 0, RET_ALLOW),
        ("label", "kill"), (LD_ABS, 0, 0, arg0), (JEQ, "allow", 0, 0), (JEQ, "allow", "deny", PID_PLACEHOLDER),
        ("label", "self"), (LD_ABS, 0, 0, arg0), (JEQ, "allow", "deny", PID_PLACEHOLDER),
        ("label", "prlimit"), (LD_ABS, 0, 0, arg2_low), (JEQ, 0, "deny", 0),
        (LD_ABS, 0, 0, arg2_high), (JEQ, "allow", "deny", 0),
        ("label", "allow"), (RET, 0, 0, RET_ALLOW),
        ("label", "deny"), (RET, 0, 0, RET_EPERM),
        ("label", "enosys"), (RET, 0, 0, RET_ENOSYS),
    ]
    return _assemble(body)


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


@dataclass
class SeccompFilter:
    """The assembled program in a ctypes buffer, ready to load after the pid is patched in."""

    buffer: ctypes.Array
    program: _Fprog
    pid_offsets: list[int]

    @classmethod
    def build(cls) -> SeccompFilter:
        template = seccomp_program()
        placeholder = struct.pack("=I", PID_PLACEHOLDER)
        offsets = [i for i in range(0, len(template), 8) if template[i + 4:i + 8] == placeholder]
        buffer = ctypes.create_string_buffer(template, len(template))
        return cls(buffer, _Fprog(len(template) // 8, ctypes.addressof(buffer)), [o + 4 for o in offsets])

    def load(self) -> None:
        pid = struct.pack("=I", os.getpid())
        for offset in self.pid_offsets:
            ctypes.memmove(ctypes.addressof(self.buffer) + offset, pid, 4)
        _check(_libc.syscall(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, 0, ctypes.byref(self.program)), "seccomp")


# --- Landlock ------------------------------------------------------------------

FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_ALL_V1 = (1 << 13) - 1
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2
RULE_PATH_BENEATH = 1
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 where there is none."""
    version = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, 0, 1)
    return max(0, int(version))


def _handled_fs(abi: int) -> int:
    rights = FS_ALL_V1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def readable_paths() -> list[str]:
    """What a submission may read: the standard library (not site-packages), numpy, shared libraries."""
    import numpy

    stdlib = sysconfig.get_paths()["stdlib"]
    paths = [entry.path for entry in os.scandir(stdlib) if entry.name not in ("site-packages", "dist-packages")]
    numpy_dir = os.path.dirname(numpy.__file__)
    paths += [numpy_dir, numpy_dir + ".libs"]
    multiarch = sysconfig.get_config_var("MULTIARCH") or f"{platform.machine()}-linux-gnu"
    paths += [f"/usr/lib/{multiarch}", f"/lib/{multiarch}", "/lib64", "/etc/ld.so.cache", "/dev/urandom"]
    return [path for path in paths if os.path.exists(path)]


def _landlock_ruleset(abi: int, scratch_root: str) -> int:
    """A ruleset fd: read-only Python and numpy, full access to the scratch root, no TCP, scoped signals."""
    handled = _handled_fs(abi)
    attr = struct.pack("=QQQ", handled, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                       SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _libc.syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.c_char_p(attr[:size]), size, 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    read_only = FS_READ_FILE | FS_READ_DIR | FS_EXECUTE
    rules = [(path, read_only) for path in readable_paths()]
    rules += [(scratch_root, handled), ("/dev/null", FS_READ_FILE | FS_WRITE_FILE)]
    for path, access in rules:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        try:
            if not os.path.isdir(path):
                access &= FILE_RIGHTS
            rule = struct.pack("=Qi", access & handled, fd)
            _check(_libc.syscall(SYS_LANDLOCK_ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.c_char_p(rule), 0),
                   f"landlock_add_rule {path}")
        finally:
            os.close(fd)
    return int(ruleset)


# --- preparing and entering --------------------------------------------------------


@dataclass
class Plan:
    """What a runner prepared once, to apply in every child."""

    scratch_root: str
    slot: int
    uid: int | None
    strict: bool
    seccomp: SeccompFilter | None = None
    landlock_fd: int | None = None
    keep_read_capability: bool = False
    """Whether the unprivileged child keeps CAP_DAC_READ_SEARCH (see ``_drop_privileges``)."""
    namespaces: int = 0
    """The namespaces this process (and so every child it forks) was moved into."""
    unavailable: dict[str, str] = field(default_factory=dict)
    """Layers that cannot be applied here, and why."""

    def portable(self) -> dict[str, Any]:
        """The plan as plain data for a spawned child, which inherits the ruleset fd and the namespaces."""
        fields = {name: getattr(self, name) for name in (
            "scratch_root", "slot", "uid", "strict", "landlock_fd", "keep_read_capability", "namespaces",
            "unavailable")}
        return {**fields, "seccomp": self.seccomp is not None}

    @classmethod
    def from_portable(cls, data: dict[str, Any]) -> Plan:
        """The runner's plan in a spawned child; only the seccomp buffer is rebuilt (no syscall)."""
        return cls(**{**data, "seccomp": SeccompFilter.build() if data["seccomp"] else None})


def _namespaces_work(flags: int) -> bool:
    pid = os.fork()
    if pid == 0:
        os._exit(0 if _libc.unshare(flags) == 0 else 1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


def probe() -> dict[str, str]:
    """The layers this machine cannot apply, each with the reason: empty when all are available."""
    missing = {}
    if sys.platform != "linux":
        return {layer: f"not available on {sys.platform}" for layer in LAYERS[3:]}
    if platform.machine() != "x86_64":
        missing["seccomp"] = f"filter written for x86_64, this is {platform.machine()}"
    elif _libc.prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0:
        missing["seccomp"] = "the kernel has no seccomp"
    abi = landlock_abi()
    if abi < 6:
        missing["landlock"] = f"the kernel offers Landlock ABI {abi}; 6 or newer is needed"
    flags = CLONE_NEWNET | CLONE_NEWIPC | (0 if os.geteuid() == 0 else CLONE_NEWUSER)
    if not _namespaces_work(flags):
        missing["namespaces"] = "network and IPC namespaces cannot be created here"
    return missing


def _scrub_environment(extra: dict[str, str]) -> None:
    """Make the environment exactly SAFE_ENVIRONMENT plus ``extra``, touching only what differs."""
    wanted = {**SAFE_ENVIRONMENT, **extra}
    for key in [key for key in os.environ if key not in wanted]:
        del os.environ[key]
    for key, value in wanted.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def prepare(scratch_root: str, slot: int, strict: bool) -> Plan:
    """Assemble the seccomp program and the Landlock ruleset once, in the runner.

    Also scrubs the runner's own environment, so each child has little left to
    change, and moves the runner into new network and IPC namespaces, which
    every child inherits: an empty network (loopback down) and no IPC shared
    with anything else, at no cost per child. Children of one runner share
    them, one at a time; seccomp keeps a child from leaving IPC objects behind.
    """
    _scrub_environment({})
    unavailable = probe()
    plan = Plan(scratch_root, slot, UID_BASE + slot if os.geteuid() == 0 else None, strict,
                unavailable=unavailable)
    if "seccomp" not in unavailable:
        plan.seccomp = SeccompFilter.build()
    if "landlock" not in unavailable:
        ruleset = _landlock_ruleset(landlock_abi(), scratch_root)
        # Far above the fds a child rearranges (0-3), so no dup2 in the child can replace it.
        plan.landlock_fd = fcntl.fcntl(ruleset, fcntl.F_DUPFD_CLOEXEC, RULESET_FD_MIN)
        os.close(ruleset)
        plan.keep_read_capability = not _python_is_world_readable()
    if "namespaces" not in unavailable:
        flags = CLONE_NEWNET | CLONE_NEWIPC | (0 if os.geteuid() == 0 else CLONE_NEWUSER)
        if _libc.unshare(flags) == 0:
            plan.namespaces = flags
        else:
            plan.unavailable["namespaces"] = f"unshare failed: {os.strerror(ctypes.get_errno())}"
    return plan


def _close_other_fds(keep: tuple[int, ...]) -> None:
    """Close every inherited descriptor except stdin/stdout/stderr and ``keep``."""
    low = 3
    for fd in sorted(keep):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, 1 << 16)


def _limit(kind: int, soft: int, hard: int | None = None) -> None:
    hard = soft if hard is None else hard
    _, current_hard = resource.getrlimit(kind)
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
        soft = min(soft, hard)
    resource.setrlimit(kind, (soft, hard))


def _apply_rlimits(limits: dict[str, Any]) -> None:
    """CPU seconds (hard just above soft), address space, file size, open files, no core dumps."""
    cpu = int(limits["cpu_seconds"])
    _limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _limit(resource.RLIMIT_AS, int(limits["memory_bytes"]))
    _limit(resource.RLIMIT_FSIZE, int(limits["file_bytes"]))
    _limit(resource.RLIMIT_NOFILE, 64)
    _limit(resource.RLIMIT_CORE, 0)


def _python_is_world_readable() -> bool:
    """Whether an unprivileged user can reach the standard library (not under /root, say)."""
    path = sysconfig.get_paths()["stdlib"]
    while path not in ("/", ""):
        if not os.stat(path).st_mode & 0o001:
            return False
        path = os.path.dirname(path)
    return True


def _drop_privileges(uid: int, scratch: str, keep: bool) -> None:
    """Become ``uid``, keeping CAP_DAC_READ_SEARCH if ``keep``.

    That one capability lets the child import standard-library modules from a
    Python installed under /root (mode 700). ``prepare`` asks for it only where
    Landlock confines reads: without Landlock it would open every file on the
    machine, so then it is dropped with the rest, and such a Python can only
    use the modules the runner already imported.
    """
    os.chown(scratch, uid, uid)
    if keep:
        _libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if keep:
        _capset(1 << CAP_DAC_READ_SEARCH)
        _libc.prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0)
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    _limit(resource.RLIMIT_NPROC, 0)


def _capset(capabilities: int) -> None:
    header = struct.pack("=Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = struct.pack("=IIIIII", capabilities, capabilities, 0, 0, 0, 0)  # effective, permitted, inheritable
    _check(_libc.syscall(SYS_CAPSET, ctypes.c_char_p(header), ctypes.c_char_p(data)), "capset")


def _drop_capabilities() -> None:
    _capset(0)
    _limit(resource.RLIMIT_NPROC, 0)


def _prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, value, 0, 0, 0), f"prctl {option}")


def enter(plan: Plan, limits: dict[str, Any], keep: tuple[int, ...]) -> dict[str, list[str]]:
    """Turn this process into the submission's sandbox; return which layers were applied.

    Expects fds 0, 1 and 2 already connected to empty stdin and the capture
    pipes, and ``keep`` holding the result pipe. The working directory becomes
    the scratch directory named in ``limits``. A layer that fails is recorded
    as missing, never fatal here: the caller decides (``STRICT_EXIT``).
    """
    applied: list[str] = []
    missing: dict[str, str] = dict(plan.unavailable)

    def layer(name: str, action) -> None:  # noqa: ANN001 - a no-argument callable
        if name in missing:
            return
        try:
            action()
            applied.append(name)
        except (OSError, ValueError) as problem:
            missing[name] = str(problem)

    if os.getpid() != os.getpgid(0):
        os.setsid()  # own process group: the runner kills the whole group
    keep_fds = keep + ((plan.landlock_fd,) if plan.landlock_fd is not None else ())
    _close_other_fds(keep_fds)
    applied.append("descriptors")
    scratch = limits["scratch"]
    _scrub_environment({"HOME": scratch, "TMPDIR": scratch})
    os.chdir(scratch)
    applied.append("environment")
    if plan.namespaces:
        applied.append("namespaces")  # entered by prepare(), inherited through the fork
    layer("rlimits", lambda: _apply_rlimits(limits))
    if plan.uid is not None:
        layer("unprivileged", lambda: _drop_privileges(plan.uid, scratch, plan.keep_read_capability))
    else:  # already not root; drop what a user namespace may have granted
        layer("unprivileged", _drop_capabilities)
    layer("no_new_privs", lambda: (_prctl(PR_SET_NO_NEW_PRIVS, 1), _prctl(PR_SET_DUMPABLE, 0)))
    if plan.landlock_fd is not None:
        layer("landlock", lambda: _check(_libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, plan.landlock_fd, 0),
                                         "landlock_restrict_self"))
        os.close(plan.landlock_fd)
    if plan.seccomp is not None:
        layer("seccomp", plan.seccomp.load)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=False)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
    return {"applied": applied, "missing": [f"{name}: {why}" for name, why in missing.items()]}


def _check(result: int, what: str) -> None:
    if result != 0:
        raise OSError(ctypes.get_errno(), what)
