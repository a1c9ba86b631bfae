"""What the server lets in: fair turns at its one runner pool, a per-client rate, body size.

Everything here runs on the event loop's thread, so plain counters need no lock.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Full(Exception):
    """No room: the caller answers ``status`` (503: the queue is full or the server stops; 429: this
    client asks too often) with ``Retry-After: retry_after``."""

    def __init__(self, retry_after: int, status: int = 503, detail: str | None = None):
        why = detail or ("the grader is busy" if status == 503 else "too many requests from this client")
        super().__init__(f"{why}: try again in {retry_after} s")
        self.retry_after, self.status = retry_after, status


class Turns:
    """Who is graded next. ``slots`` attempts are graded at once; the rest wait, at most ``capacity``
    in all. Waiting attempts take the free slots in turn by key (a student, or an address where
    students are anonymous): one client's many attempts wait behind everyone else's next one, so
    no client can own the queue. A student has at most one attempt inside at a time.
    """

    def __init__(self, slots: int, capacity: int, seconds_each: float = 0.05):
        self.slots, self.capacity, self.seconds_each = max(1, slots), capacity, seconds_each
        self.busy = 0
        self.waiting: collections.OrderedDict[str, collections.deque[asyncio.Future[None]]] = \
            collections.OrderedDict()
        self.students: set[str] = set()
        self.stopping = False
        self._stopped: asyncio.Event | None = None
        """Set when the server begins to stop (made on the event loop, when first needed)."""

    @property
    def inside(self) -> int:
        """Attempts being graded or waiting."""
        return self.busy + sum(map(len, self.waiting.values()))

    @contextlib.asynccontextmanager
    async def turn(self, key: str, student: str) -> AsyncIterator[None]:
        """Wait for a slot for ``student``'s attempt (fairly, by ``key``), hold it, give it back."""
        if self.stopping:
            raise Full(10, detail="the server is stopping: your attempt was not graded")
        if student in self.students:
            raise Full(1, status=429, detail="your previous attempt is still being graded: wait for its answer")
        if self.inside >= self.capacity:
            raise Full(max(1, math.ceil(self.inside * self.seconds_each / self.slots)))
        self.students.add(student)
        try:
            await self._enter(key)
            try:
                yield
            finally:
                self._leave()
        finally:
            self.students.discard(student)

    async def _enter(self, key: str) -> None:
        if self.busy < self.slots and not self.waiting:
            self.busy += 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(key, collections.deque()).append(turn)
        try:
            await turn  # the slot is handed over, busy already counting it
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled() and turn.exception() is None:
                self._leave()  # handed a slot just as the client went: pass it on
            else:
                self._forget(key, turn)
            raise

    def _forget(self, key: str, turn: asyncio.Future[None]) -> None:
        queue = self.waiting.get(key)
        if queue is not None and turn in queue:
            queue.remove(turn)
            if not queue:
                del self.waiting[key]

    def _leave(self) -> None:
        """Hand the slot to the first waiting key, which then goes to the back of the line."""
        while self.waiting:
            key, queue = next(iter(self.waiting.items()))
            turn = queue.popleft()
            if queue:
                self.waiting.move_to_end(key)
            else:
                del self.waiting[key]
            if not turn.done():
                turn.set_result(None)
                return
        self.busy -= 1

    async def unless_stopping(self, work: Awaitable[T], grace: float) -> T:
        """``work``'s result; if the server begins to stop meanwhile, ``work`` has ``grace`` seconds
        more, then the attempt is answered 503 (never cut off without an answer)."""
        if self._stopped is None:
            self._stopped = asyncio.Event()
            if self.stopping:
                self._stopped.set()
        task = asyncio.ensure_future(work)
        stopped = asyncio.ensure_future(self._stopped.wait())
        try:
            await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                await asyncio.wait({task}, timeout=grace)
            if not task.done():
                raise Full(10, detail="the server stopped before your attempt was graded")
            return task.result()
        finally:
            stopped.cancel()

    def stop(self) -> None:
        """The server is stopping: every waiting attempt is answered now (503), none starts."""
        self.stopping = True
        if self._stopped is not None:
            self._stopped.set()
        for queue in self.waiting.values():
            for turn in queue:
                if not turn.done():
                    turn.set_exception(Full(10, detail="the server is stopping: your attempt was not graded"))
        self.waiting.clear()


@dataclass
class Rate:
    """A token bucket per client: ``per_second`` requests on average, ``burst`` at once. A client
    over its rate waits for its turn (is slowed), up to ``longest_wait`` seconds; beyond that it is
    told to come back (``Full``). ``per_second`` 0 turns the limit off."""

    per_second: float
    burst: int = 10
    longest_wait: float = 10.0
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Client -> (tokens, when counted)."""

    def wait(self, client: str, now: float | None = None) -> float:
        """Seconds this request must wait before it is served (0 to go at once); raises ``Full``."""
        if self.per_second <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        tokens, then = self.buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.per_second) - 1
        delay = 0.0 if tokens >= 0 else -tokens / self.per_second
        if delay > self.longest_wait:
            raise Full(math.ceil(delay), status=429)
        self.buckets[client] = (tokens, now)
        if len(self.buckets) > 100_000:  # forget clients whose bucket is full again
            self.buckets = {key: value for key, value in self.buckets.items()
                            if value[0] + (now - value[1]) * self.per_second < self.burst}
        return delay


class BodyCap:
    """ASGI middleware: a request body larger than ``limit`` is answered 413 before it is read whole."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(send, self.limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(send, self.limit)


class _TooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = f'{{"detail": "the request is larger than {limit} bytes"}}'.encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
