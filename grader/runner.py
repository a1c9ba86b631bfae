"""The runner process: imports numpy once, then runs each job in a fresh child.

Started by ``grader.pool`` as ``python -m grader.runner [--spawn]``. It reads
one JSON job per line on stdin and answers one JSON line per job on stdout.
It holds no expected values and never imports the reference: it only starts
the child, caps what comes back, enforces the wall-clock deadline and reports
how the child ended.

Fork path (default): ``os.fork`` of this process, which already has numpy
imported, costs a few milliseconds. Spawn path (``--spawn``, for Windows and
macOS, where forking after numpy's import is not safe): a fresh interpreter
runs ``grader.execute``. Both speak the same protocol.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy  # noqa: F401 - imported once here so every forked child has it

from grader import execute, sandbox


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_available(fd: int, sink: bytearray, limit: int) -> tuple[int, bool]:
    """Read what is in ``fd`` now; keep at most ``limit`` bytes in ``sink``.

    Returns the number of bytes read and whether the pipe reached end of file.
    """
    total = 0
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return total, False
        except OSError:
            return total, True
        if not chunk:
            return total, True
        total += len(chunk)
        room = limit - len(sink)
        if room > 0:
            sink += chunk[:room]


class Child:
    """One started child: its pid and the read ends of its three pipes."""

    def __init__(self, pid: int, stdout: int, stderr: int, results: int, process: Any = None):
        self.pid, self.stdout, self.stderr, self.results = pid, stdout, stderr, results
        self.process = process


def start_fork(job: dict[str, Any], pipes: dict[str, tuple[int, int]], plan: sandbox.Plan) -> Child:
    """Fork a child that enters the sandbox and runs the job."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never return into the runner loop
        code = 70
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(pipes["stdout"][1], 1)
            os.dup2(pipes["stderr"][1], 2)
            os.dup2(pipes["results"][1], 3)
            report = sandbox.enter(plan, job["limits"], keep=(3,))
            execute.run_cases(job, 3, report)
            code = 0
        finally:
            os._exit(code)
    return Child(pid, pipes["stdout"][0], pipes["stderr"][0], pipes["results"][0])


def start_spawn(job: dict[str, Any], pipes: dict[str, tuple[int, int]], plan: sandbox.Plan) -> Child:
    """Start a fresh interpreter running ``grader.execute`` and hand it the job and this runner's plan."""
    job_read, job_write = os.pipe()
    job = {**job, "plan": plan.portable()}
    inherited = (plan.landlock_fd,) if plan.landlock_fd is not None else ()
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(execute.__file__)))
    environment = dict(sandbox.SAFE_ENVIRONMENT, PYTHONPATH=package_root)
    results_write = pipes["results"][1]
    process = subprocess.Popen(
        [sys.executable, "-m", "grader.execute", str(results_write), str(job_read)],
        stdin=subprocess.DEVNULL,
        stdout=pipes["stdout"][1],
        stderr=pipes["stderr"][1],
        pass_fds=(results_write, job_read, *inherited),
        cwd=job["limits"]["scratch"],
        env=environment,
        start_new_session=True,
    )
    os.close(job_read)
    try:
        _write_all(job_write, json.dumps(job).encode())
    except BrokenPipeError:
        pass  # the child died before reading; supervision reports how
    finally:
        os.close(job_write)
    return Child(process.pid, pipes["stdout"][0], pipes["stderr"][0], pipes["results"][0], process)


def _kill_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


def supervise(child: Child, limits: dict[str, Any]) -> dict[str, Any]:
    """Collect the child's output and results until it exits or breaks a limit."""
    started = time.monotonic()
    deadline = started + float(limits["wall_seconds"])
    keep, flood = int(limits["output_bytes"]), int(limits["flood_bytes"])
    result_cap = int(limits["result_bytes"])
    captured = {child.stdout: bytearray(), child.stderr: bytearray()}
    totals = {child.stdout: 0, child.stderr: 0}
    results = bytearray()
    selector = selectors.DefaultSelector()
    for fd in (child.stdout, child.stderr, child.results):
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    pidfd = os.pidfd_open(child.pid) if hasattr(os, "pidfd_open") else None
    if pidfd is not None:
        selector.register(pidfd, selectors.EVENT_READ)
    open_fds = {child.stdout, child.stderr, child.results}
    reason = None
    status = None

    def drain_output() -> None:
        for fd in (child.stdout, child.stderr):
            if fd in open_fds:
                count, eof = _read_available(fd, captured[fd], keep)
                totals[fd] += count
                if eof:
                    selector.unregister(fd)
                    open_fds.discard(fd)

    def read_results() -> None:
        _, eof = _read_available(child.results, results, result_cap + 1)
        if eof:
            selector.unregister(child.results)
            open_fds.discard(child.results)

    while status is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            reason = "timeout"
            break
        for key, _ in selector.select(min(remaining, 0.05 if pidfd is None else remaining)):
            if key.fd == child.results:
                read_results()
            elif key.fd != pidfd:
                drain_output()
        if totals[child.stdout] + totals[child.stderr] > flood:
            reason = "output_limit"
            break
        if len(results) > result_cap:
            reason = "result_limit"
            break
        waited, raw = os.waitpid(child.pid, os.WNOHANG)
        if waited:
            status = raw
    _kill_group(child.pid)
    if status is None:
        status = os.waitpid(child.pid, 0)[1]
    if child.results in open_fds:
        read_results()
    drain_output()
    if child.process is not None:
        child.process.returncode = os.waitstatus_to_exitcode(status)
    selector.close()
    for fd in (child.stdout, child.stderr, child.results, *([pidfd] if pidfd is not None else [])):
        os.close(fd)
    lines = bytes(results[:result_cap]).split(b"\n")[:-1]
    return {
        "outcome": reason or ("signaled" if os.WIFSIGNALED(status) else "exited"),
        "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "stdout": captured[child.stdout].decode("utf-8", "replace"),
        "stderr": captured[child.stderr].decode("utf-8", "replace"),
        "stdout_bytes": totals[child.stdout],
        "stderr_bytes": totals[child.stderr],
        "results": [line.decode("utf-8", "replace") for line in lines],
        "duration_s": time.monotonic() - started,
    }


def run_job(job: dict[str, Any], plan: sandbox.Plan, spawn: bool) -> dict[str, Any]:
    """Run one job in a fresh child with a private scratch directory."""
    scratch = tempfile.mkdtemp(dir=plan.scratch_root)
    job["limits"]["scratch"] = scratch
    job["strict"] = plan.strict
    pipes = {name: os.pipe() for name in ("stdout", "stderr", "results")}
    try:
        child = (start_spawn if spawn else start_fork)(job, pipes, plan)
    finally:
        for _, write_end in pipes.values():
            os.close(write_end)
    try:
        return supervise(child, job["limits"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv: list[str]) -> None:
    """Serve jobs from stdin until it closes.

    Arguments: ``--slot N`` (this runner's index: its children's uid),
    ``--spawn``, ``--strict``.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the grader's to handle
    spawn, strict = "--spawn" in argv, "--strict" in argv
    slot = int(argv[argv.index("--slot") + 1]) if "--slot" in argv else 0
    answers = os.dup(1)
    os.dup2(2, 1)  # a stray print can never corrupt the protocol
    scratch_root = tempfile.mkdtemp(prefix="gdgrade-runner-")
    os.chmod(scratch_root, 0o711)  # children reach their own folder, list nobody's
    plan = sandbox.prepare(scratch_root, slot, strict)
    try:
        serve(plan, spawn, answers)
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)


def serve(plan: sandbox.Plan, spawn: bool, answers: int) -> None:
    """Answer one JSON line per job line on stdin."""
    with os.fdopen(0, "rb") as requests:
        for line in requests:
            job = json.loads(line)
            answer = run_job(job, plan, spawn)
            answer["id"] = job["id"]
            _write_all(answers, json.dumps(answer).encode() + b"\n")


if __name__ == "__main__":
    main(sys.argv)
