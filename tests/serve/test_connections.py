"""Connections a hostile client cannot starve the server with (grader/serve/connections.py):
a header deadline closes connections that never finish a request, and caps (in all, and per
client address) refuse connections past them with 503. The server runs contained; every attack
is a bounded number of sockets on loopback, and the tests wait for conditions, never for times."""

from __future__ import annotations

import contextlib
import ipaddress
import selectors
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from grader.serve.connections import REFUSED, Gate, Limits, per_client

from .servers import Server, serving

DEADLINE = 120.0
"""Seconds a condition may take on a loaded machine; only bounds a test that would otherwise hang."""
PARTIAL = b"GET /api/quiz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Never-Ends: "
UNFINISHED_BODY = (b"POST /api/run HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                   b"Content-Length: 1000\r\n\r\n{\"source\": \"")


@contextlib.contextmanager
def connections(server: Server, count: int, source: str = "127.0.0.1",
                send: bytes = b"") -> Iterator[list[socket.socket]]:
    """``count`` connections to ``server`` from the loopback address ``source``, each having sent ``send``."""
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            connection = socket.socket()
            opened.append(connection)
            connection.bind((source, 0))
            connection.connect(("127.0.0.1", server.port))
            if send:
                connection.sendall(send)
            connection.setblocking(False)
        yield opened
    finally:
        for connection in opened:
            connection.close()


def answers(opened: list[socket.socket], wanted: int) -> dict[socket.socket, bytes]:
    """What the server sent on each connection that it answered and closed, once ``wanted`` of
    them are (or the deadline passed): b"" for a connection closed without a word."""
    ended: dict[socket.socket, bytes] = {}
    got = {connection: b"" for connection in opened}
    with selectors.DefaultSelector() as selector:
        for connection in opened:
            selector.register(connection, selectors.EVENT_READ)
        deadline = time.monotonic() + DEADLINE
        while len(ended) < wanted and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=1):
                connection = key.fileobj
                try:
                    chunk = connection.recv(65536)  # type: ignore[union-attr]
                except ConnectionResetError:
                    chunk = b""
                if chunk:
                    got[connection] += chunk  # type: ignore[index]
                else:
                    ended[connection] = got[connection]  # type: ignore[index]
                    selector.unregister(connection)
    return ended


def refused(ended: dict[socket.socket, bytes]) -> int:
    return sum(1 for said in ended.values() if said == REFUSED)


def silent(opened: list[socket.socket], ended: dict[socket.socket, bytes]) -> int:
    """How many of the connections not ``ended`` are open with nothing said on them."""
    count = 0
    for connection in opened:
        if connection not in ended:
            with contextlib.suppress(BlockingIOError):
                connection.recv(1)
                continue
            count += 1
    return count


def test_connections_that_never_finish_their_headers_are_closed_and_honest_clients_answered(tmp_path):
    """300 connections that sent part of a request's headers (today's main keeps each open forever),
    one whose body stops halfway, and one that keeps sending a byte at a time: each is closed, and
    an honest request is answered meanwhile."""
    with serving(tmp_path, ["--jobs", "1", "--header-timeout", "2"], contained=True) as server:
        with (connections(server, 300, send=PARTIAL) as slow, connections(server, 1, send=PARTIAL) as dribbling,
              connections(server, 1, send=UNFINISHED_BODY) as unfinished):
            answer = httpx.get(f"{server.url}/api/quiz", timeout=60)
            assert answer.status_code == 200 and answer.json()["name"] == "gradient_descent"
            if not trickle_until_closed(dribbling[0]):  # a byte every 0.2 s: never a whole request
                pytest.fail("a connection sending its headers a byte at a time was never closed")
            closed = answers(slow, len(slow))
            assert len(closed) == 300 and set(closed.values()) == {b""}  # closed, nothing answered
            assert len(answers(unfinished, 1)) == 1
            assert httpx.get(f"{server.url}/api/quiz", timeout=60).status_code == 200


def trickle_until_closed(connection, most: int | None = None) -> bool:
    """Send ``connection`` a byte every 0.2 s (at most ``most``) until the server closes it: whether it
    did, within a generous ``DEADLINE``."""
    deadline, sent = time.monotonic() + DEADLINE, 0
    while time.monotonic() < deadline and (most is None or sent < most):
        try:
            connection.send(b"x")
            sent += 1
        except BlockingIOError:
            pass
        except OSError:
            return True  # closed by the server
        time.sleep(0.2)
        with contextlib.suppress(BlockingIOError):
            if connection.recv(1) == b"":
                return True
    return False


def test_connections_past_the_caps_are_refused_and_one_address_cannot_take_them_all(tmp_path):
    """--max-connections 100: ten per network (/24). Eight networks open 15 each: 5 of each are refused
    with 503. Then the honest client still gets in; the proxy's address (127.0.0.1, the only one
    trusted here) has no share, only the total, which holds."""
    with serving(tmp_path, ["--jobs", "1", "--max-connections", "100", "--header-timeout", "600",
                            "--trusted-proxy", "127.0.0.1"], contained=True) as server:
        with contextlib.ExitStack() as stack:
            per_address = [stack.enter_context(connections(server, 15, f"127.0.{1 + n}.2")) for n in range(8)]
            ended = [answers(opened, 5) for opened in per_address]
            assert [refused(each) for each in ended] == [5] * 8
            answer = httpx.get(f"{server.url}/api/quiz", timeout=60)  # 80 open: room for an honest client
            assert answer.status_code == 200
            assert [silent(opened, each) for opened, each in zip(per_address, ended)] == [10] * 8  # still held
            proxied = stack.enter_context(connections(server, 40))
            # 80 open, and the honest client's connection until the server has seen it close
            assert refused(answers(proxied, 20)) in (20, 21)


def test_a_body_that_trickles_in_is_closed_once_its_time_is_up(tmp_path):
    """A byte of body every 0.2 s never pauses long enough for the pause deadline: the body's own
    deadline (--body-timeout) closes it all the same, and an honest client is answered meanwhile."""
    with serving(tmp_path, ["--jobs", "1", "--header-timeout", "2", "--body-timeout", "3"], contained=True) as server:
        with connections(server, 1, send=UNFINISHED_BODY) as trickling:
            assert httpx.get(f"{server.url}/api/quiz", timeout=60).status_code == 200
            assert trickle_until_closed(trickling[0], most=990), "a trickling body was never closed"  # not 1000


def test_a_network_shares_one_clients_part(tmp_path):
    gate = Gate(Limits(total=100, per_client=2))
    assert [gate.admit("192.0.2.1"), gate.admit("192.0.2.2"), gate.admit("192.0.2.3")] == [True, True, False]
    assert gate.admit("198.51.100.1") is True  # another network
    assert [gate.admit("2001:db8::1"), gate.admit("2001:db8::ffff"), gate.admit("2001:db8::2")] == [True, True, False]
    gate.leave("192.0.2.2")
    assert gate.admit("192.0.2.9") is True


def test_the_gate_counts_each_address_and_the_total():
    gate = Gate(Limits(total=4, per_client=2, proxies=(ipaddress.ip_network("10.0.0.0/24"),)))
    assert [gate.admit("a"), gate.admit("a"), gate.admit("a")] == [True, True, False]
    assert [gate.admit("10.0.0.1"), gate.admit("10.0.0.1"), gate.admit("10.0.0.1")] == [True, True, False]
    assert gate.admit("b") is False  # the total is reached
    gate.leave("a")
    assert gate.admit("b") is True and gate.by_client == {"a": 1, "10.0.0.0/24": 2, "b": 1}
    for client in ("a", "10.0.0.1", "10.0.0.1", "b"):
        gate.leave(client)
    assert gate.open == 0 and not gate.by_client
    assert (per_client(1000), per_client(5)) == (100, 1)
