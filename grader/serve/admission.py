"""What the server lets in: a bounded queue for its one runner pool, a per-client rate, body size.

Everything here runs on the event loop's thread, so plain counters need no lock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Full(Exception):
    """No room: the caller answers ``status`` (503: the queue is full; 429: this client asks too
    often) with ``Retry-After: retry_after``."""

    def __init__(self, retry_after: int, status: int = 503):
        why = "the grader is busy" if status == 503 else "too many requests from this client"
        super().__init__(f"{why}: try again in {retry_after} s")
        self.retry_after, self.status = retry_after, status


@dataclass
class Queue:
    """At most ``capacity`` requests graded or waiting at once; ``seconds_each`` estimates a wait."""

    capacity: int
    seconds_each: float = 0.05
    inside: int = 0

    def enter(self) -> None:
        if self.inside >= self.capacity:
            raise Full(max(1, math.ceil(self.inside * self.seconds_each)))
        self.inside += 1

    def leave(self) -> None:
        self.inside -= 1


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
