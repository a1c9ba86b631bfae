"""The grader's side of the sandbox: run submissions on a fork server, read what they send back.

``Runner`` starts the fork server (``grader.sandbox.forkserver``) and a supervisor thread, and speaks
to the server in ``grader.sandbox.control``'s frames (importing nothing else of the server's). For
each submission it puts the source in an anonymous memory file, makes four pipes (results, stdout,
stderr, and the one the hidden cases go down), and passes the descriptors to the server, which
forks a child with them. The output and results flow from the child straight to this process,
which never forks a child itself: it enforces the deadline, caps what it keeps, sends the hidden
cases once the public one is reported, and answers with an ``Answer``: how the run ended, and the
child's raw output and result lines (validated later by ``grader.protocol``). When the server
dies, every child dies with it; each submission in flight is answered as ``runner_failed`` and the
server is started again.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import fcntl
import json
import os
import select
import subprocess
import tempfile
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Literal

from grader.sandbox import cleanup, control, launch
from grader.sandbox.job import Job, Plain, ServerConfig

Outcome = Literal["exited", "signaled", "timeout", "output_limit", "result_limit", "runner_failed"]
"""How a run ended: on its own (exited, signaled), stopped by the supervisor (timeout, output_limit,
result_limit), or never run to its end by the sandbox (runner_failed)."""


@dataclass(frozen=True)
class Answer:
    """One run as this process saw it: how it ended (the wait status comes from the fork server),
    and what the child sent, capped. The result lines are the child's own bytes, decoded: untrusted
    until ``grader.protocol`` has validated them."""

    outcome: Outcome
    exit_code: int | None = None
    signal: int | None = None
    stdout: str = ""
    stderr: str = ""
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    """How much the child wrote to stdout and stderr, kept or not."""
    results: tuple[str, ...] = ()
    """The complete result lines the child wrote, each as sent (the sandbox line first)."""
    duration_s: float = 0.0
    detail: str | None = None
    """Why the sandbox could not run it to its end (outcome runner_failed)."""


@dataclass
class _Job:
    """One submission in flight: its slot, pipes, what it sent so far and how it ended."""

    token: int
    slot: int
    future: Future[Answer]
    started: float
    deadline: float
    pipes: dict[str, int]
    hidden: int | None
    """The write end of the pipe the hidden cases go down, until they are sent."""
    cases: bytes
    """The hidden cases' inputs this run gets (JSON)."""
    kept: dict[str, bytearray] = field(default_factory=lambda: {"stdout": bytearray(), "stderr": bytearray(),
                                                                  "results": bytearray()})
    totals: dict[str, int] = field(default_factory=lambda: {"stdout": 0, "stderr": 0, "results": 0})
    result_lines: int = 0
    """Complete result lines kept so far (counted as they arrive, never by rescanning what is kept)."""
    status: int | None = None
    reason: Outcome | None = None
    """Why the grader stopped it: timeout, output_limit, result_limit."""
    failure: str | None = None
    """Why it never ran or never finished: the fork server failed."""
    killed: bool = False


class _Server:
    """A running fork server: the launcher process and the control socket."""

    def __init__(self, settings: bytes):
        self.scratch_root: str | None = None
        launcher = launch.take()  # started early by the command line, or now
        self.process, self.control = launcher.process, launcher.control
        launcher.configure(settings)
        header = self._receive(control.FRAME.size)
        kind, _, size = control.FRAME.unpack(header) if len(header) == control.FRAME.size else (b"", 0, 0)
        ready = control.Ready.decode(self._receive(size)) if kind == control.READY else None
        if ready is None:
            raise OSError(f"the fork server did not start ({self.ended()})")
        self.missing, self.scratch_root = ready.missing, ready.scratch_root
        self.control.setblocking(False)

    def _receive(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.control.recv(size - len(data))
            if not chunk:
                break
            data += chunk
        return data

    def ended(self) -> str:
        """How the server ended, once its control socket closed: said the same way whatever the timing."""
        code = self.process.wait()
        self.control.close()
        self.remove_scratch()
        return f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"

    def stop(self, wait: bool = True) -> None:
        """Close the control socket, so the server exits, and with it every child; then wait for it,
        unless told not to (it cannot outlive this process) and no host scratch folder is left to remove."""
        self.control.close()
        if not wait and not self.scratch_root:
            return
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.remove_scratch()

    def remove_scratch(self) -> None:
        """Without private mounts, children wrote to a host folder: remove it once the server is gone."""
        if self.scratch_root:
            cleanup.remove_tree(self.scratch_root)


class Runner:
    """Run submissions of one batch, ``slots`` at a time; use as a context manager.

    ``job`` holds the batch's settings (``grader.grade.job_settings``): the public case, the limits
    and whether to be strict. The hidden cases' inputs come with each submission (``submit``):
    only this process holds them, and each child gets them once its public case is reported. So
    the server starts before they are drawn, and prepares itself while they are. ``spawn`` starts
    a fresh interpreter per child instead of a fork.
    """

    def __init__(self, job: Job, slots: int = 1, spawn: bool = False):
        self.job, self.slots, self.limits = job, max(1, slots), job.limits
        self._settings = ServerConfig(job, self.slots, spawn).encode()
        self._queue: collections.deque[tuple[str, bytes, Future[Answer]]] = collections.deque()
        self._lock = threading.Lock()
        self._wake_read, self._wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._closing = self._aborting = False
        self._wait = True
        self._ended: str | None = None
        """Why no submission can run any more, once the supervisor thread has ended."""
        self._idle = True
        """Whether the supervisor may be waiting with a slot free (under ``_lock``): only then does a
        new submission wake it. With every slot busy it takes from the queue when a run ends, and a
        batch keeps its queue full, so most submissions would wake it for nothing."""
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._missing: dict[str, str] = {}
        self._loop: _Loop | None = None
        self._thread = threading.Thread(target=self._supervise, name="gdgrade-supervisor", daemon=True)
        self._thread.start()

    def missing(self) -> dict[str, str]:
        """The layers this machine cannot apply, with the reason: empty when every layer is in force."""
        self._started.wait()
        if self._start_error is not None:
            raise self._start_error
        return dict(self._missing)

    def server_pid(self) -> int | None:
        """The fork server's launcher process, while one runs."""
        server = self._loop.server if self._loop is not None else None
        return server.process.pid if server is not None else None

    def submit(self, source: str, hidden: bytes) -> Future[Answer]:
        """Queue one submission's source, with the hidden cases it runs on (``encode_hidden``, as many
        as the job says); its answer arrives when it has run."""
        future: Future[Answer] = Future()
        with self._lock:
            ended, idle = self._ended, self._idle
            if ended is None:
                self._queue.append((source, hidden, future))
        if ended is not None:  # nobody is left to run it: answer now rather than never
            future.set_running_or_notify_cancel()
            future.set_result(_failed(ended))
        elif idle:
            self._wake()
        return future

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_write, b"!")

    def close(self, abort: bool = False, wait: bool = True) -> None:
        """Stop once every queued submission has run (``abort``: kill what runs and drop the queue).
        ``wait=False``: do not wait for the server to end (a process that exits next)."""
        self._closing, self._aborting, self._wait = True, abort, wait
        self._wake()
        self._thread.join()
        os.close(self._wake_read)
        os.close(self._wake_write)

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        self.close(abort=kind is not None)

    # --- the supervisor thread --------------------------------------------------------------

    def _supervise(self) -> None:
        """Start the server from this thread (its parent-death signal follows this thread), then serve."""
        try:
            cleanup.remove_stale()
            server = _Server(self._settings)
        except BaseException as problem:  # noqa: BLE001 - reported to whoever waits for the start
            self._start_error = problem
            self._ended = f"the sandbox could not be started: {problem}"
            self._started.set()
            return
        self._missing = dict(server.missing)
        self._loop = _Loop(self, server)
        self._started.set()
        self._loop.run()


_Watched = Literal["wake", "control", "hidden"] | tuple["_Job", str]
"""What a watched descriptor is: the wake pipe, the server's socket, a pipe hidden cases are being
written to, or a child's output stream (its job and which stream)."""


_ENDED = select.EPOLLHUP | select.EPOLLERR
READ_BYTES = 1 << 16
"""What one read of a child's pipe asks for: a pipe's whole default capacity."""


class _Poll:
    """An epoll of descriptors, each with what it is: the selectors module's work without its key
    objects, as a batch watches and drops four descriptors per submission."""

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._watched: dict[int, _Watched] = {}

    def watch(self, fd: int, data: _Watched, write: bool = False) -> None:
        self._epoll.register(fd, select.EPOLLOUT if write else select.EPOLLIN)
        self._watched[fd] = data

    def drop(self, fd: int) -> None:
        self._epoll.unregister(fd)
        del self._watched[fd]

    def ready(self, timeout: float | None) -> list[tuple[int, _Watched, bool]]:
        """The descriptors ready within ``timeout`` seconds (None: however long it takes), each with
        whether its other end is closed (a hang-up or an error, which counts as ready, as it does for
        selectors)."""
        events = self._epoll.poll(-1 if timeout is None else timeout)
        return [(fd, self._watched[fd], bool(event & _ENDED)) for fd, event in events if fd in self._watched]

    def close(self) -> None:
        self._epoll.close()


class _Loop:
    """The supervisor thread's state: jobs in flight by token and by pipe, free slots, the server."""

    def __init__(self, sandbox: Runner, server: _Server):
        self.sandbox = sandbox
        self.server: _Server | None = server
        self.poll = _Poll()
        self.poll.watch(sandbox._wake_read, "wake")
        self.poll.watch(server.control.fileno(), "control")
        self.jobs: dict[int, _Job] = {}
        self.free = list(range(sandbox.slots))
        self.tokens = iter(range(1, 1 << 62))
        self.pending_frame = b""
        limits = sandbox.limits
        self.wall, self.keep, self.flood = limits.wall_seconds, limits.output_bytes, limits.flood_bytes
        self.result_cap = limits.result_bytes
        self.fault: str | None = None
        self.retired: list[int] = []
        """Slots whose host scratch folder a child left in a state that could not be emptied."""
        self.sending: dict[int, tuple[_Job, memoryview]] = {}
        """Hidden cases being written to a child's pipe, by its write end."""

    def run(self) -> None:
        """Serve until the runner is closed; however it ends, every submission is answered."""
        try:
            while self._round():
                pass
        except Exception as problem:  # noqa: BLE001 - a fault here must not leave submissions waiting forever
            self.fault = f"the sandbox's supervisor failed ({type(problem).__name__}: {problem})"
            raise
        finally:
            self._wind_down()

    def _round(self) -> bool:
        """Start what is queued, wait for the next event or deadline and act on it; False once closed
        with nothing left to run (at once when aborting)."""
        self._start_queued()
        if len(self.retired) == self.sandbox.slots:
            raise RuntimeError("no scratch folder is left: children left each one in a state that could "
                               "not be emptied")
        if self.sandbox._closing and not self.jobs and (self.sandbox._aborting or not self.sandbox._queue):
            return False
        if self.sandbox._aborting:
            for job in self.jobs.values():
                self._kill(job, None)
        timeout = min((job.deadline for job in self.jobs.values() if not job.killed), default=None)
        for fd, data, hung_up in self.poll.ready(None if timeout is None else max(0.0, timeout - time.monotonic())):
            self._dispatch(fd, data, hung_up)
        now = time.monotonic()
        for job in list(self.jobs.values()):
            if not job.killed and now >= job.deadline:
                self._kill(job, "timeout")
            self._finish_if_done(job)
        return True

    def _dispatch(self, fd: int, data: _Watched, hung_up: bool) -> None:
        """Act on one ready descriptor: the wake pipe, the server's socket, a pipe hidden cases are
        being written to, or a child's output (read to its end once the child has closed it)."""
        if data == "wake":
            self._drain_wake()
        elif data == "control":
            self._control()
        elif data == "hidden":
            if fd in self.sending:
                self._send_hidden(fd)
        else:
            job, stream = data
            if job.pipes.get(stream) == fd:  # not closed by an earlier event of this round
                self._read(job, stream, fd, to_end=hung_up)

    def _wind_down(self) -> None:
        """Answer what runs and what waits (a fault, or the runner closed before they finished), then stop
        the server."""
        for job in list(self.jobs.values()):
            self._complete(job, failure=self.fault or "the grader stopped before this submission finished")
        with self.sandbox._lock:
            self.sandbox._ended = self.fault or "the sandbox was closed"
            queued = list(self.sandbox._queue)
            self.sandbox._queue.clear()
        for _, _, future in queued:
            if self.fault and future.set_running_or_notify_cancel():
                future.set_result(_failed(self.fault))
            else:
                future.cancel()
        if self.server is not None:
            self.server.stop(self.sandbox._wait)
        self.poll.close()

    def _drain_wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self.sandbox._wake_read, 4096):
                pass

    def _start_queued(self) -> None:
        """Start queued submissions while a slot is free. Every round begins here, so a slot freed in
        a round is filled before the next wait: a submission queued meanwhile needs no wake."""
        while not self.sandbox._aborting:
            with self.sandbox._lock:
                self.sandbox._idle = bool(self.free)
                if not self.free or not self.sandbox._queue:
                    return
                source, cases, future = self.sandbox._queue.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            if self.server is None:
                try:
                    self.server = _Server(self.sandbox._settings)
                except OSError as problem:
                    future.set_result(_failed(f"the sandbox could not be started again: {problem}"))
                    continue
                self.poll.watch(self.server.control.fileno(), "control")
            self._start(source, cases, future)

    def _start(self, source: str, cases: bytes, future: Future[Answer]) -> None:
        """Hand the source and four pipes to the fork server; keep only the ends this process uses."""
        assert self.server is not None
        token, slot = next(self.tokens), self.free.pop()
        memory = _anonymous_file(source.encode("utf-8", "surrogateescape"))
        pipes = {name: os.pipe2(os.O_CLOEXEC) for name in ("results", "stdout", "stderr")}
        hidden_read, hidden_write = os.pipe2(os.O_CLOEXEC)
        now = time.monotonic()
        job = _Job(token, slot, future, now, now + self.wall, {name: ends[0] for name, ends in pipes.items()},
                   hidden_write, cases)
        try:
            self.server.control.setblocking(True)
            control.send_frame(self.server.control, control.START, token, slot,
                                  [memory, pipes["results"][1], pipes["stdout"][1], pipes["stderr"][1], hidden_read])
        except OSError:
            job.failure = "the fork server could not be reached"
        finally:
            if self.server.control.fileno() >= 0:
                self.server.control.setblocking(False)
            for fd in (memory, hidden_read, *(write_end for _, write_end in pipes.values())):
                os.close(fd)
        self.jobs[token] = job
        for name, fd in job.pipes.items():
            os.set_blocking(fd, False)
            self.poll.watch(fd, (job, name))
        if job.failure:
            self._server_died()

    def _read(self, job: _Job, stream: str, fd: int, to_end: bool = True) -> None:
        """Read what the child wrote to ``stream`` so far; ``to_end``: until the pipe is empty or closed,
        else until a read comes back short (the pipe was empty then: the poll tells when more comes,
        without a failed read to learn it)."""
        cap = self.result_cap + 1 if stream == "results" else self.keep
        while True:
            try:
                chunk = os.read(fd, READ_BYTES)
            except BlockingIOError:
                break
            if not chunk:
                self.poll.drop(fd)
                os.close(fd)
                del job.pipes[stream]
                break
            job.totals[stream] += len(chunk)
            room = cap - len(job.kept[stream]) if job.hidden is not None or stream == "results" else 0
            if room > 0:  # output is kept only until the public case is reported
                job.kept[stream] += chunk[:room]
                if stream == "results":
                    job.result_lines += chunk[:room].count(b"\n")
            if len(chunk) < READ_BYTES and not to_end:
                break
        if stream == "results" and job.hidden is not None and job.result_lines >= 2:
            self._public_done(job)
        if job.killed:
            return
        if job.totals["stdout"] + job.totals["stderr"] > self.flood:
            self._kill(job, "output_limit")
        elif job.totals["results"] > self.result_cap:
            self._kill(job, "result_limit")

    def _public_done(self, job: _Job) -> None:
        """The sandbox line and the public case's line are in: keep the output written so far (it is
        all in the pipes now), keep nothing after, and send the child its hidden cases."""
        for stream in ("stdout", "stderr"):
            if stream in job.pipes:
                self._read(job, stream, job.pipes[stream])
        fd, job.hidden = job.hidden, None
        assert fd is not None
        os.set_blocking(fd, False)
        self.sending[fd] = (job, memoryview(job.cases))
        self.poll.watch(fd, "hidden", write=True)
        self._send_hidden(fd)

    def _send_hidden(self, fd: int) -> None:
        job, rest = self.sending[fd]
        try:
            while rest:
                rest = rest[os.write(fd, rest):]
        except BlockingIOError:
            self.sending[fd] = (job, rest)
            return
        except OSError:  # the child is gone: nobody to send to
            pass
        self._stop_sending(fd)

    def _stop_sending(self, fd: int) -> None:
        del self.sending[fd]
        self.poll.drop(fd)
        os.close(fd)

    def _kill(self, job: _Job, reason: Outcome | None) -> None:
        job.killed, job.reason = True, job.reason or reason
        if self.server is not None:
            with contextlib.suppress(OSError):
                control.send_frame(self.server.control, control.KILL, job.token, 0)

    def _control(self) -> None:
        """Frames from the server: a child ended, or could not start; end of file: the server died."""
        assert self.server is not None
        while True:
            try:
                chunk = self.server.control.recv(control.FRAME.size - len(self.pending_frame))
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._server_died()
                return
            self.pending_frame += chunk
            if len(self.pending_frame) < control.FRAME.size:
                continue
            kind, token, number = control.FRAME.unpack(self.pending_frame)
            self.pending_frame = b""
            job = self.jobs.get(token)
            if job is None:
                continue
            if kind == control.EXITED:
                job.status = number
            elif kind == control.FAILED:
                job.failure = f"the fork server could not start it ({errno.errorcode.get(number, number)})"
            self._finish_if_done(job)

    def _server_died(self) -> None:
        """Every child died with the server: answer what was in flight, start a new server later."""
        assert self.server is not None
        self.poll.drop(self.server.control.fileno())
        how = self.server.ended()
        self.server, self.pending_frame = None, b""
        for job in list(self.jobs.values()):
            if job.status is None and job.failure is None:
                job.failure = f"the sandbox's fork server {how} while this submission ran"
            self._finish_if_done(job)

    def _finish_if_done(self, job: _Job) -> None:
        if job.failure is not None:
            self._complete(job, failure=job.failure)
        elif job.status is not None and not job.pipes:
            self._complete(job)

    def _complete(self, job: _Job, failure: str | None = None) -> None:
        if job.hidden is not None:
            os.close(job.hidden)
            job.hidden = None
        for fd in [fd for fd, (sending, _) in self.sending.items() if sending is job]:
            self._stop_sending(fd)
        for name, fd in list(job.pipes.items()):
            if failure is None:
                self._read(job, name, fd)
            if name in job.pipes:
                self.poll.drop(fd)
                os.close(fd)
        job.pipes.clear()
        del self.jobs[job.token]
        if self.server is not None and self.server.scratch_root and not cleanup.empty_folder(
                cleanup.slot_folder(self.server.scratch_root, job.slot)):
            self.retired.append(job.slot)  # never reused: what is left there would reach the next child
        else:
            self.free.append(job.slot)
        if job.future.done():
            return
        try:
            answer = self._answer(job, failure)
        except Exception as problem:  # answered however this fails: the job is no longer one the loop holds
            job.future.set_result(_failed(f"the sandbox's supervisor failed ({type(problem).__name__}: {problem})"))
            raise
        job.future.set_result(answer)

    def _answer(self, job: _Job, failure: str | None) -> Answer:
        outcome: Outcome = "runner_failed"
        exit_code = signal = None
        lines: list[bytes] = []
        if failure is None:
            status = job.status or 0
            outcome = job.reason or ("signaled" if os.WIFSIGNALED(status) else "exited")
            exit_code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
            signal = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
            # the sandbox's line, one per case and one more (a surplus is told as such); never the rest, which
            # a file writing "ab\n" 5 million times would make into as many strings in the grader's memory
            wanted = 3 + self.sandbox.job.hidden_cases
            lines = bytes(job.kept["results"][:self.result_cap]).split(b"\n", wanted)[:-1]
        return Answer(
            outcome=outcome, exit_code=exit_code, signal=signal,
            stdout=job.kept["stdout"].decode("utf-8", "replace"),
            stderr=job.kept["stderr"].decode("utf-8", "replace"),
            stdout_bytes=job.totals["stdout"],
            stderr_bytes=job.totals["stderr"],
            results=tuple(line.decode("utf-8", "replace") for line in lines),
            duration_s=time.monotonic() - job.started,
            detail=failure,
        )


def encode_hidden(hidden: list[dict[str, Plain]]) -> bytes:
    """Hidden cases' inputs as a child reads them from its pipe: encoded once per draw, not per run."""
    return json.dumps(hidden).encode()


def _failed(detail: str) -> Answer:
    return Answer("runner_failed", detail=detail)


def _anonymous_file(data: bytes) -> int:
    """A file in memory holding ``data``, with no name anywhere (memfd on Linux)."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("gdgrade-source", os.MFD_CLOEXEC)
    else:
        with tempfile.TemporaryFile() as stream:
            fd = os.dup(stream.fileno())
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    fcntl.fcntl(fd, fcntl.F_SETFD, fcntl.FD_CLOEXEC)
    return fd
