"""The fork server: the only process that forks children, and one that never holds a submission.

Started by ``grader.sandbox.launch`` as ``python -m grader.sandbox.forkserver PARENT CONTROL_FD``
(perhaps before the batch is known), it reads the batch's settings on stdin (a ``job.ServerConfig``).
The launcher moves into new pid, network, IPC and mount namespaces and forks the server, which is
process 1 there: if it dies, the kernel kills every child in the namespace, and it dies with the
launcher, which dies with the grader (parent-death signals).

The server has numpy imported already (every child inherits it), prepares what needs no settings
(``layers.prepare``: the private root, the seccomp program) while the grader that started it early is
still importing itself, then reads the settings, completes and verifies the plan (``layers.fit``,
``verify``), says it is ready (``R``, with a ``Ready``: the layers it cannot apply), and from then on
only answers fixed-size frames on the control socket (``grader.sandbox.control``):

- ``S``: start a child in a slot with five descriptors passed along (the source, the result pipe,
  stdout, stderr, the pipe the hidden cases will come on). The server forks and closes its copies;
  it never reads or writes them, so it never holds a submission's bytes, output or results for a
  later child to find in its memory. It does not hold the hidden cases either: only the public one.
- ``K``: kill a child (the grader enforces deadlines and output caps).

and reports ``E`` (a child ended, with its wait status) or ``F`` (it could not be started).
"""

from __future__ import annotations

import fcntl
import gc
import os
import selectors
import signal
import socket
import sys
import tempfile

import numpy  # noqa: F401 - imported once here so that every forked child has it

from grader.sandbox import child, launch, layers
from grader.sandbox.control import (
    DESCRIPTORS,
    EXITED,
    FAILED,
    FRAME,
    KILL,
    READY,
    RUNNER_FAILED,
    START,
    Ready,
    send_frame,
)
from grader.sandbox.job import Job, ServerConfig
from grader.sandbox.kernel import (
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWUSER,
    PR_SET_PDEATHSIG,
    prctl,
    unshare,
)

HIGH_FD = 100


def _die_with_parent(parent: int) -> None:
    """Get SIGKILL when the parent dies, and do not start at all if it already has."""
    if sys.platform == "linux":
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


def really_root() -> bool:
    """Root of the machine: uid 0 in the initial user namespace (whose map is the identity of every
    uid), not merely root inside a user namespace, where no other uid exists to drop children to."""
    if os.geteuid() != 0:
        return False
    try:
        with open("/proc/self/uid_map") as stream:
            return stream.read().split() == ["0", "0", "4294967295"]
    except OSError:
        return sys.platform != "linux"


def _enter_namespaces() -> tuple[str, str | None]:
    """New pid, network, IPC and mount namespaces (and a user namespace when not root)."""
    if sys.platform != "linux":
        return "", f"not available on {sys.platform}"
    root = really_root()
    uid, gid = os.geteuid(), os.getegid()
    try:
        unshare(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWNS | (0 if root else CLONE_NEWUSER))
    except OSError as problem:
        return "", f"namespaces cannot be created here ({problem})"
    if not root:  # map ourselves to root inside, so the server may mount; children keep our uid
        for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
            with open(f"/proc/self/{name}", "w") as stream:
                stream.write(text)
    return "pid net ipc mnt" + ("" if root else " user"), None


def main(argv: list[str]) -> None:
    """The launcher: namespaces, then the server as their process 1; exits as the server did."""
    parent, control_fd = int(argv[1]), int(argv[2])
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the grader's to handle
    namespaces, problem = _enter_namespaces()
    launcher = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = RUNNER_FAILED
        try:
            _die_with_parent(0 if "pid" in namespaces else launcher)  # 0: the parent is outside its pid namespace
            serve(socket.socket(fileno=control_fd), namespaces, problem)
            code = 0
        finally:
            os._exit(code)
    os.close(control_fd)
    status = os.waitpid(pid, 0)[1]
    if os.WIFSIGNALED(status):  # end the same way, so the grader can say how the server ended
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.waitstatus_to_exitcode(status))


def _config_file(job: Job, plan: layers.Plan) -> int:
    """The batch's job and the plan in an anonymous file, for spawned children to read at
    ``child.CONFIG_FD``."""
    with tempfile.TemporaryFile() as stream:
        stream.write(child.spawn_config(job, plan))
        stream.flush()
        return fcntl.fcntl(stream.fileno(), fcntl.F_DUPFD_CLOEXEC, HIGH_FD)  # clear of the fds a child sets


def _settings() -> ServerConfig | None:
    """The batch's settings, once the grader sends them on stdin (which is then /dev/null); None when
    it closed stdin without: started early by a command that ended before it needed a sandbox."""
    given = sys.stdin.buffer.read()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return ServerConfig.decode(given) if given else None


def serve(control: socket.socket, namespaces: str, problem: str | None) -> None:
    """Prepare the sandbox, report the missing layers, then fork, kill and reap on request.

    What needs no settings is prepared while the grader, started beside this, imports itself."""
    os.umask(0o022)  # the private root's folders must stay reachable by the dropped uids, whatever the user's umask
    plan = layers.prepare(namespaces, problem)
    settings = _settings()
    if settings is None:
        return
    job = settings.job
    layers.fit(plan, job.strict, settings.slots)
    layers.verify(plan, job.limits, settings.slots)
    config_fd = _config_file(job, plan) if settings.spawn else None
    ready = Ready(plan.unavailable, plan.scratch_root).encode()
    send_frame(control, READY, 0, len(ready))
    control.sendall(ready)
    del ready
    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    tokens: dict[int, int] = {}
    """Each running child's pid by job token, and the reverse below: only for children not yet reaped."""
    pids: dict[int, int] = {}
    gc.collect()
    gc.freeze()  # what every child inherits stays shared: the collector never touches it
    try:
        while True:
            for key, _ in selector.select():
                if key.fd == wake_read:
                    _reap(control, wake_read, pids, tokens)
                elif not _answer(control, plan, job, config_fd, pids, tokens):
                    return
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGKILL)


def _answer(control: socket.socket, plan: layers.Plan, job: Job, config_fd: int | None,
            pids: dict[int, int], tokens: dict[int, int]) -> bool:
    """Act on one frame from the grader; False when the grader has gone."""
    try:
        message, fds, _, _ = socket.recv_fds(control, FRAME.size, DESCRIPTORS)
    except OSError:
        return False
    if len(message) != FRAME.size:
        for fd in fds:
            os.close(fd)
        return False
    kind, token, number = FRAME.unpack(message)
    if kind == KILL:
        if token in tokens:
            os.kill(tokens[token], signal.SIGKILL)  # not reaped yet, so the pid is still this child's
        return True
    try:
        if kind != START or len(fds) != DESCRIPTORS:
            raise OSError(22, "malformed start request")
        pid = _start(plan, job, number, fds, config_fd)
        tokens[token], pids[pid] = pid, token
    except OSError as problem:
        send_frame(control, FAILED, token, problem.errno or 0)
    finally:
        for fd in fds:
            os.close(fd)
    return True


def _reap(control: socket.socket, wake_read: int, pids: dict[int, int], tokens: dict[int, int]) -> None:
    while True:
        try:
            os.read(wake_read, 4096)
        except BlockingIOError:
            break
    while pids:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        token = pids.pop(pid, None)
        if token is not None:
            del tokens[token]
            send_frame(control, EXITED, token, status)


def _start(plan: layers.Plan, job: Job, slot: int, fds: list[int], config_fd: int | None) -> int:
    """Fork a child for ``slot`` with the passed descriptors in place; the child never returns here."""
    server = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = RUNNER_FAILED
    try:
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)
        _die_with_parent(server)
        source, results, stdout, stderr, hidden = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, HIGH_FD) for fd in fds)
        devnull = os.open(os.devnull, os.O_RDONLY)
        for fd, target in ((devnull, 0), (stdout, 1), (stderr, 2), (results, child.RESULTS_FD),
                           (source, child.SOURCE_FD), (hidden, child.HIDDEN_FD)):
            os.dup2(fd, target)
        if config_fd is None:
            child.main(plan, job, slot)
        else:
            os.dup2(config_fd, child.CONFIG_FD)
            if plan.landlock_fds:
                os.set_inheritable(plan.landlock_fds[slot], True)
            environment = dict(launch.SAFE_ENVIRONMENT, PYTHONPATH=launch.package_root())
            os.chdir("/")  # with -P: nothing but the grader's own path to import from
            os.execve(sys.executable, [sys.executable, "-P", "-m", "grader.sandbox.child", str(slot)], environment)
        code = 0
    finally:
        os._exit(code)


if __name__ == "__main__":
    main(sys.argv)
