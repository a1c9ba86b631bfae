"""The layers a child enters before any student code runs, and the plan the fork server prepares
once so that entering them costs each child well under a millisecond.

docs/security.md describes each layer and what it stops.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import platform
import resource
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grader.sandbox import cleanup, landlock, mounts, seccomp
from grader.sandbox.job import Limits
from grader.sandbox.kernel import (
    PR_CAP_AMBIENT,
    PR_CAP_AMBIENT_CLEAR_ALL,
    PR_GET_SECCOMP,
    PR_SET_DUMPABLE,
    PR_SET_NO_NEW_PRIVS,
    capset,
    libc,
    prctl,
)
from grader.sandbox.launch import SAFE_ENVIRONMENT

LAYERS = ("descriptors", "environment", "namespaces", "filesystem", "rlimits", "unprivileged", "no_new_privs",
          "landlock", "seccomp")
"""Every layer, in the order a report lists them (``enter`` scrubs the environment once the scratch
folder it names is made)."""

UID_BASE = 64000
"""Root drops each child to uid/gid UID_BASE + its slot: children running at once cannot touch each other."""

RULESET_FD_MIN = 200
"""The Landlock ruleset fd lives at or above this, out of the way of the child's own descriptors."""


@dataclass(frozen=True)
class Entered:
    """What ``enter`` did: the layers in force, in ``LAYERS`` order, and those missing (``name: why``)."""

    applied: list[str]
    missing: list[str]


@dataclass
class Plan:
    """What the fork server prepared once, to apply in every child."""

    strict: bool
    drop_to_uid: bool
    """Whether children drop to UID_BASE + slot (the server runs as root)."""
    root: str | None = None
    """The children's private root (``mounts.build_root``), None when it could not be built."""
    scratch_root: str | None = None
    """Without a private root: the host folder holding one scratch folder per slot."""
    scratch_lock: int | None = None
    """The descriptor holding ``scratch_root``'s lock while the server lives."""
    seccomp: seccomp.Filter | None = None
    landlock_fds: list[int] = field(default_factory=list)
    """Without a private root: a prepared Landlock ruleset per slot, each allowing that slot's scratch alone."""
    namespaces: str = ""
    """The namespaces the fork server entered, which every child shares (pid, net, ipc)."""
    unavailable: dict[str, str] = field(default_factory=dict)
    """Layers that cannot be applied here, and why."""
    settled_environment: bool = False
    """The server's environment is already each forked child's (home and temporary folder the scratch);
    never so in a spawned child, which is not a copy of the server (``portable`` leaves it out)."""

    def portable(self) -> dict[str, Any]:
        """The plan as plain data for a spawned child, which inherits the ruleset fd and the namespaces."""
        fields = {name: getattr(self, name) for name in (
            "strict", "drop_to_uid", "root", "scratch_root", "landlock_fds", "namespaces", "unavailable")}
        return {**fields, "seccomp": self.seccomp is not None}

    @classmethod
    def from_portable(cls, data: dict[str, Any]) -> Plan:
        """The server's plan in a spawned child; only the seccomp buffer is rebuilt (no syscall)."""
        return cls(**{**data, "seccomp": seccomp.Filter.build() if data["seccomp"] else None})


def scrub_environment(extra: dict[str, str]) -> None:
    """Make the environment exactly SAFE_ENVIRONMENT plus ``extra``, touching only what differs."""
    wanted = {**SAFE_ENVIRONMENT, **extra}
    for key in [key for key in os.environ if key not in wanted]:
        del os.environ[key]
    for key, value in wanted.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _seccomp_missing() -> str | None:
    if platform.machine() != "x86_64":
        return f"filter written for x86_64, this is {platform.machine()}"
    if libc.prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0:
        return "the kernel has no seccomp"
    return None


def prepare(namespaces: str, namespace_problem: str | None) -> Plan:
    """In the fork server, once, before it knows the batch: the private root, the seccomp program,
    what Landlock offers (none of it depends on the batch, so it is done while the grader starts).

    ``namespaces`` are those the launcher entered (``namespace_problem`` says why not, if not).
    ``fit`` completes the plan for the batch.
    """
    scrub_environment({})
    # Root inside a user namespace maps no other uid: only the real root can drop children to theirs.
    plan = Plan(strict=False, drop_to_uid=os.geteuid() == 0 and "user" not in namespaces.split(),
                namespaces=namespaces)
    if sys.platform != "linux":
        plan.unavailable = {layer: f"not available on {sys.platform}" for layer in LAYERS[2:] if layer != "rlimits"}
    if namespace_problem:
        plan.unavailable["namespaces"] = namespace_problem
    if "filesystem" not in plan.unavailable:
        try:
            plan.root = mounts.build_root() if "mnt" in namespaces else None
            if plan.root is None:
                plan.unavailable["filesystem"] = "no private mount namespace"
        except (OSError, StopIteration) as problem:
            plan.unavailable["filesystem"] = f"the private root could not be built: {problem}"
    if "seccomp" not in plan.unavailable and (why := _seccomp_missing()):
        plan.unavailable["seccomp"] = why
    if "seccomp" not in plan.unavailable:
        plan.seccomp = seccomp.Filter.build()
    if "landlock" not in plan.unavailable:
        version = landlock.abi()
        if version < landlock.MINIMUM_ABI:
            plan.unavailable["landlock"] = (f"the kernel offers Landlock ABI {version}; "
                                            f"{landlock.MINIMUM_ABI} or newer is needed")
    if plan.root is not None:  # every child's home is its scratch, at one path: the environment is settled here
        scrub_environment(_home(mounts.SCRATCH))
        plan.settled_environment = True
    return plan


def fit(plan: Plan, strict: bool, slots: int) -> None:
    """The plan for a batch of ``slots`` children at once: without a private root, a scratch folder
    per slot is made on the host instead, each with a Landlock ruleset of its own."""
    plan.strict = strict
    if plan.root is None:
        _without_root(plan, slots, plan.unavailable.get("filesystem", "no private mount namespace"))


def _home(folder: str) -> dict[str, str]:
    return {"HOME": folder, "TMPDIR": folder}


def _without_root(plan: Plan, slots: int, why: str) -> None:
    """Give up the private root: a host scratch folder per slot, and Landlock's prepared ruleset."""
    plan.root = None
    plan.settled_environment = False
    plan.unavailable["filesystem"] = why
    plan.scratch_root, plan.scratch_lock = cleanup.create(slots, UID_BASE if plan.drop_to_uid else None)
    if "landlock" not in plan.unavailable:
        plan.landlock_fds = [_ruleset(cleanup.slot_folder(plan.scratch_root, slot)) for slot in range(slots)]


def _trial(plan: Plan, limits: Limits) -> dict[str, str]:
    """Enter every layer in a throwaway child; the layers that failed there, and why."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            os.write(write, json.dumps(enter(plan, limits, 0, keep=(write,)).missing).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as stream:
        data = stream.read()
    os.waitpid(pid, 0)
    failed = {}
    for entry in json.loads(data or b"[]"):
        layer, _, why = entry.partition(": ")
        failed[layer] = why
    return failed


def verify(plan: Plan, limits: Limits, slots: int) -> None:
    """Make the plan say the truth before any submission runs: enter it once in a throwaway child;
    if the private root fails there, fall back to host scratch folders and try again; record every
    layer that still fails as unavailable (``--sandbox strict`` then refuses up front)."""
    failed = _trial(plan, limits)
    if plan.root is not None and "filesystem" in failed:
        _without_root(plan, slots, f"the private root could not be entered: {failed['filesystem']}")
        failed = _trial(plan, limits)
    plan.unavailable.update(failed)


def _ruleset(scratch: str) -> int:
    """Without a private root, one slot's Landlock ruleset fd: read the libraries, write ``scratch``
    alone (children running at once may share a uid, and must not reach each other's slots). Built
    once, and moved far above the fds a child rearranges so no dup2 replaces it."""
    rules = [(path, landlock.READ_ONLY) for path in mounts.readable_paths()]
    rules += [(scratch, landlock.EVERYTHING), ("/dev/null", landlock.READ_WRITE_FILE)]
    fd = landlock.ruleset(rule for rule in rules if os.path.exists(rule[0]))
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, RULESET_FD_MIN)
    os.close(fd)
    return moved


def _restrict_to_root() -> None:
    """Inside the private root, after the scratch is mounted: read the root, write the scratch.

    Built here, in the child, because Landlock does not let a rule on a mount point cover what is
    mounted over it later: the rule must name the child's own scratch (31 us for three rules).
    """
    fd = landlock.ruleset([("/", landlock.READ_ONLY), (mounts.SCRATCH, landlock.EVERYTHING),
                           ("/dev/null", landlock.READ_WRITE_FILE)])
    try:
        landlock.restrict_self(fd)
    finally:
        os.close(fd)


def close_other_fds(keep: tuple[int, ...]) -> None:
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


def _apply_rlimits(limits: Limits) -> None:
    """CPU seconds (hard just above soft), address space, file size, open files, no core dumps."""
    cpu = limits.cpu_seconds
    _limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _limit(resource.RLIMIT_AS, limits.memory_bytes)
    _limit(resource.RLIMIT_FSIZE, limits.file_bytes)
    _limit(resource.RLIMIT_NOFILE, 64)
    _limit(resource.RLIMIT_CORE, 0)


def _drop_privileges(uid: int | None) -> None:
    """Become ``uid`` with no capability at all (or, not root, give up what a user namespace granted),
    and start no process."""
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)  # from root to another uid: every capability is cleared
    else:
        capset(0)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    _limit(resource.RLIMIT_NPROC, 0)


def _no_new_privileges() -> None:
    """Nothing exec'd from here on gains a privilege; the child cannot be traced or dump core."""
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_DUMPABLE, 0)


def enter(plan: Plan, limits: Limits, slot: int, keep: tuple[int, ...]) -> Entered:
    """Turn this process into the submission's sandbox; return which layers were applied and which not.

    Expects fds 0, 1 and 2 already connected to empty stdin and the capture pipes, and ``keep``
    holding the descriptors still needed (the result pipe, the source, the hidden cases' pipe). The
    working directory becomes the scratch folder. A layer that fails is recorded as missing, never
    fatal here: the caller decides (``control.STRICT_EXIT``).
    """
    applied: list[str] = []
    missing: dict[str, str] = dict(plan.unavailable)

    def layer(name: str, action: Callable[[], object]) -> None:
        if name in missing:
            return
        try:
            action()
            applied.append(name)
        except (OSError, ValueError) as problem:
            missing[name] = str(problem)

    if os.getpid() != os.getsid(0):
        os.setsid()  # own session and process group
    ruleset = plan.landlock_fds[slot] if plan.landlock_fds else None
    close_other_fds(keep + ((ruleset,) if ruleset is not None else ()))
    applied.append("descriptors")
    uid = UID_BASE + slot if plan.drop_to_uid else None
    if plan.namespaces:
        applied.append("namespaces")  # entered by the launcher, inherited through the fork
    if (root := plan.root) is not None:
        layer("filesystem", lambda: mounts.enter(root, limits.scratch_bytes, limits.scratch_files, uid))
    else:
        os.chdir(cleanup.slot_folder(plan.scratch_root or "/nonexistent", slot))
    if not (plan.settled_environment and "filesystem" in applied):
        scrub_environment(_home(os.getcwd()))
    applied.append("environment")
    layer("rlimits", lambda: _apply_rlimits(limits))
    layer("unprivileged", lambda: _drop_privileges(uid))
    layer("no_new_privs", _no_new_privileges)
    if ruleset is not None:
        layer("landlock", lambda: landlock.restrict_self(ruleset))
        os.close(ruleset)
    elif "filesystem" in applied:
        layer("landlock", _restrict_to_root)
    elif plan.root is not None and "landlock" not in missing:
        missing["landlock"] = "not applied: its rules are for the private root, which could not be entered"
    if plan.seccomp is not None:
        layer("seccomp", plan.seccomp.load)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=False)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
    order = {name: index for index, name in enumerate(LAYERS)}
    return Entered(sorted(applied, key=order.__getitem__), [f"{name}: {why}" for name, why in missing.items()])
