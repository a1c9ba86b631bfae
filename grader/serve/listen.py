"""Listening honestly: the socket is bound before anything starts, and the page is announced only
once it is served.

Left to itself uvicorn starts the grader, then finds the port taken, logs its own error and exits 3,
after gdgrade has already said where it serves. Here the address is bound first, so a port in use
is one clear line before any work (``CannotListen``), and ``serve`` calls ``on_ready`` only once
uvicorn listens on it with the grader started.
"""

from __future__ import annotations

import errno
import math
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from grader.errors import UserError
from grader.serve.connections import Limits, protocol


class CannotListen(UserError):
    """The address cannot be listened on: the message says which and why, in one line."""


def bind(host: str, port: int) -> list[socket.socket]:
    """Sockets bound to every address ``host`` names (as uvicorn would listen), all on one port
    (``port`` 0: one the system picks)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as problem:
        raise CannotListen(f"cannot listen on {host}: {problem.strerror}") from None
    bound: list[socket.socket] = []
    for family, kind, number, _, address in dict.fromkeys((info[0], info[1], info[2], None, info[4])
                                                          for info in found):
        if bound:  # the same port on every address, also when the system picked it
            address = (address[0], bound[0].getsockname()[1], *address[2:])
        listener = socket.socket(family, kind, number)
        try:
            # as asyncio does for uvicorn: a port left in TIME_WAIT is reused, one a program listens on is not
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            listener.bind(address)
        except OSError as problem:
            for each in (*bound, listener):
                each.close()
            if problem.errno == errno.EADDRINUSE:
                raise CannotListen(f"port {address[1]!s} on {address[0]!s} is in use: another program listens there "
                                   "(stop it, or choose another port with --port)") from None
            raise CannotListen(f"cannot listen on port {address[1]!s} of {address[0]!s}: {problem.strerror}") from None
        bound.append(listener)
    return bound


class _Server(uvicorn.Server):
    """uvicorn's server, saying so once it listens (its lifespan, the grader's start, done), and
    calling ``on_stop`` as soon as it is told to stop."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None], on_stop: Callable[[], None]):
        super().__init__(config)
        self.on_ready, self.on_stop = on_ready, on_stop

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.on_ready()

    def handle_exit(self, sig: int, frame: Any) -> None:
        self.on_stop()
        super().handle_exit(sig, frame)


def serve(app: Any, sockets: list[socket.socket], limits: Limits, *, on_ready: Callable[[], None],
          on_stop: Callable[[], None], stop_timeout: float) -> None:
    """Serve ``app`` on ``sockets`` (from ``bind``) until SIGINT or SIGTERM, with ``limits`` on
    connections; a stop waits ``stop_timeout`` seconds at most for requests in flight."""
    # uvicorn calls ``http`` to make each connection's protocol: a factory serves as well as the class it types
    config = uvicorn.Config(app, http=protocol(limits), proxy_headers=False,  # type: ignore[arg-type]
                            log_level="warning",
                            # the app answers what it cannot finish 503 at stop_timeout; uvicorn cuts off after
                            timeout_graceful_shutdown=math.ceil(stop_timeout) + 2)
    _Server(config, on_ready, on_stop).run(sockets=sockets)
