"""Connections no client can starve the server with: a deadline for headers, a cap on connections.

uvicorn waits for a request's headers as long as the client likes and takes every connection the
kernel hands it, so a thousand connections that never finish their headers hold the server's
descriptors and nobody else is answered. ``Guarded`` is uvicorn's own httptools protocol with two
rules more. A connection that is not working on a request has ``header_timeout`` seconds to send
its next request's headers (from when it opened, or from the previous answer), and a body may
pause no longer than that; past it the connection is closed. Past ``total`` open connections, or
``per_client`` from one address, a new connection is answered 503 and closed at once.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import ipaddress
import logging
import math
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.utils import get_remote_addr

from grader.serve.identity import LOOPBACK, Address, trusted

RESERVED_DESCRIPTORS = 256
"""Descriptors kept for everything but connections: the grader's pipes, records, logs."""
_BUSY = b"too many connections: try again shortly\n"
REFUSED = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nretry-after: 1\r\n"
           b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_BUSY), _BUSY))
"""What a connection past the caps is told before it is closed."""
LOG_EVERY = 60.0
"""Seconds between two warnings that connections are refused."""
logger = logging.getLogger("uvicorn.error")


@dataclass(frozen=True)
class Limits:
    """How long a client may take to send a request, and how many connections may be open."""

    header_timeout: float = 5.0
    body_timeout: float = 30.0
    """Seconds a request's body may take in all, however steadily it trickles in."""
    total: int = 1000
    per_client: int = 100
    proxies: tuple[Address, ...] = LOOPBACK
    """The trusted proxies (``--trusted-proxy``): every client behind one shares its address, so it
    has no per-client cap (the total still holds)."""


def per_client(total: int) -> int:
    """One address's share when only the total is given: a tenth, so ten clients cannot be starved by one."""
    return max(1, total // 10)


def fit_descriptors(limits: Limits) -> Limits:
    """``limits`` with a total the process's descriptors can hold: the soft limit is raised towards
    the hard one when needed (a server past its descriptors stops accepting anyone, capped or not)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = limits.total + RESERVED_DESCRIPTORS
    if soft != resource.RLIM_INFINITY and soft < needed:
        raised = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
        soft = raised
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return limits
    total = max(1, soft - RESERVED_DESCRIPTORS)
    return replace(limits, total=total, per_client=min(limits.per_client, total))


class Gate:
    """The open connections, counted in all and by client address. Only the event loop's thread
    touches it, so plain counters need no lock."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.open = 0
        self.by_client: collections.Counter[str] = collections.Counter()
        self.said_at = -math.inf

    def admit(self, client: str) -> bool:
        share = self.by_client[neighbourhood(client)]
        full = self.open >= self.limits.total or (
            share >= self.limits.per_client and not trusted(client, self.limits.proxies))
        if full:
            if time.monotonic() - self.said_at >= LOG_EVERY:  # an attack is a line a minute, not one per connection
                self.said_at = time.monotonic()
                logger.warning("refusing connections: %d open, %d of them from %s's network", self.open, share,
                               client)
            return False
        self.open += 1
        self.by_client[neighbourhood(client)] += 1
        return True

    def leave(self, client: str) -> None:
        self.open -= 1
        near = neighbourhood(client)
        self.by_client[near] -= 1
        if self.by_client[near] <= 0:
            del self.by_client[near]


def neighbourhood(address: str) -> str:
    """The share a client's address counts against: its /24 (IPv4) or /64 (IPv6), since one client
    commonly holds many addresses of one network, and ten of them must not take every connection."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 64}", strict=False))


class Guarded(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the header deadline and the connection caps of ``gate``."""

    def __init__(self, *args: Any, gate: Gate, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.gate = gate
        self.address: str | None = None
        """The client's address, once the gate let the connection in."""
        self.reading_body = False
        self.body_by = math.inf
        """When the body being read must be whole (the loop's clock)."""
        self.deadline: asyncio.TimerHandle | None = None

    # asyncio hands a stream protocol a Transport (its own or uvloop's); the base class names any BaseTransport
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        peer = get_remote_addr(transport)
        address = peer[0] if peer else ""
        if not self.gate.admit(address):
            self.transport = transport
            transport.write(REFUSED)
            transport.close()
            return
        self.address = address
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.address is None:
            return
        self.gate.leave(self.address)
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.address is None:
            return
        if self.reading_body:  # a body may arrive slowly, but not pause longer than the timeout
            self._arm()
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        self.reading_body = True
        self.body_by = self.loop.time() + self.gate.limits.body_timeout
        self._arm()

    def on_message_complete(self) -> None:
        self.reading_body = False
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        busy = bool(self.pipeline)  # a request already read starts now: no deadline while it runs
        super().on_response_complete()
        if not busy and not self.transport.is_closing():
            self._arm()

    def _arm(self) -> None:
        self._disarm()
        delay = self.gate.limits.header_timeout
        if self.reading_body:  # a pause, or the whole body's time, whichever ends first
            delay = max(0.0, min(delay, self.body_by - self.loop.time()))
        self.deadline = self.loop.call_later(delay, self._too_slow)

    def _disarm(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _too_slow(self) -> None:
        self.deadline = None
        if self.reading_body and self.flow.read_paused and self.loop.time() < self.body_by:  # we stopped reading
            self._arm()
            return
        if self.transport.get_write_buffer_size():  # an answer is still on its way: let it go first
            self.transport.close()
            self.deadline = self.loop.call_later(self.gate.limits.header_timeout, self.transport.abort)
            return
        self.transport.abort()


def protocol(limits: Limits) -> Callable[..., asyncio.Protocol]:
    """The HTTP protocol factory to give uvicorn (``Config(http=...)``): one gate for the server."""
    return functools.partial(Guarded, gate=Gate(limits))
