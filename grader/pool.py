"""Grader-side handle on runner processes: send jobs, get raw answers, survive runner death.

A ``Pool`` keeps ``size`` runner processes (``grader.runner``), each serving
one job at a time. A runner that dies or stops answering is replaced, and the
job it held is answered with outcome ``runner_failed``, so a batch never loses
a submission.
"""

from __future__ import annotations

import json
import os
import queue
import selectors
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from grader import sandbox

RUNNER_GRACE_SECONDS = 10.0
"""How long past the child's own deadline a runner may take before it is presumed dead."""


def _runner_environment() -> dict[str, str]:
    """The runner gets a minimal environment: secrets in the grader's never reach it."""
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(sandbox.__file__)))
    return dict(sandbox.SAFE_ENVIRONMENT, PYTHONPATH=package_root, PYTHONDONTWRITEBYTECODE="1")


class Runner:
    """One runner process and the line-based conversation with it."""

    def __init__(self, slot: int, spawn: bool, strict: bool):
        self.slot, self.spawn, self.strict = slot, spawn, strict
        self.process: subprocess.Popen[bytes] | None = None
        self.pending = b""

    def _start(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "grader.runner", "--slot", str(self.slot),
                   *(["--spawn"] if self.spawn else []), *(["--strict"] if self.strict else [])]
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_runner_environment(),
            bufsize=0,
        )
        self.pending = b""
        return self.process

    def kill(self) -> None:
        """Kill the runner process; a job it was running is answered as runner_failed."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()

    def _stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            for stream in (self.process.stdin, self.process.stdout):
                if stream is not None:
                    stream.close()
            self.process = None

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Send one job and wait for its answer; on any failure restart the runner."""
        process = self.process if self.process and self.process.poll() is None else self._start()
        deadline = time.monotonic() + float(job["limits"]["wall_seconds"]) + RUNNER_GRACE_SECONDS
        try:
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(json.dumps(job).encode() + b"\n")
            line = self._read_line(process.stdout.fileno(), deadline)
        except OSError:  # the runner closed its end: it is exiting
            line = b""
        if not line:
            return {"outcome": "runner_failed", "id": job["id"], "detail": self._failure(process, line)}
        return json.loads(line)

    def _failure(self, process: subprocess.Popen[bytes], line: bytes | None) -> str:
        """Why a runner gave no answer, said the same way however the kernel orders its exit.

        End of file means the runner is exiting: wait for its status rather than poll for it.
        No line by the deadline means it hangs: kill it.
        """
        if line is None:
            self._stop()
            return "the runner stopped answering before the deadline and was killed"
        try:
            code = process.wait(timeout=RUNNER_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self._stop()
            return "the runner closed its answer pipe but did not exit, and was killed"
        self._stop()
        how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
        return f"the runner {how} while grading this submission"

    def _read_line(self, fd: int, deadline: float) -> bytes | None:
        """The next answer line; b"" at end of file, None when the deadline passes first."""
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self.pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    return None
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return b""
                self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line

    def close(self) -> None:
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()  # end of input: the runner exits by itself
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self._stop()


class Pool:
    """``size`` runners serving jobs in parallel; use as a context manager."""

    def __init__(self, size: int = 1, spawn: bool = False, strict: bool = False):
        self.size = max(1, size)
        self.idle: queue.SimpleQueue[Runner] = queue.SimpleQueue()
        self.runners = [Runner(slot, spawn, strict) for slot in range(self.size)]
        for runner in self.runners:
            self.idle.put(runner)
        self.executor = ThreadPoolExecutor(self.size, thread_name_prefix="gdgrade-runner")

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run one job on whichever runner is free."""
        runner = self.idle.get()
        try:
            return runner.run(job)
        finally:
            self.idle.put(runner)

    def submit(self, job: dict[str, Any]) -> Future[dict[str, Any]]:
        """Queue one job; its answer arrives when a runner is free and has run it."""
        return self.executor.submit(self.run, job)

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        if kind is not None:  # interrupted: stop the runners now rather than wait for their jobs
            for runner in self.runners:
                runner.kill()
        self.executor.shutdown(wait=True, cancel_futures=True)
        for runner in self.runners:
            runner.close()
