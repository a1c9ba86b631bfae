"""Several ``gdgrade serve`` replicas behind one nginx, as a class on several machines would use them.

``behind_one_nginx`` starts one server per entry of ``each`` (that entry its extra arguments: the
same ``--db postgresql://...`` for all, say), then nginx with one ``upstream`` holding them all and
the README's own location block proxying to it. ``proxy_next_upstream`` sends a request that a dead
replica could not take (refused, reset before an answer) to the next one; a request already sent
with a method that is not idempotent (a POST) is not sent twice, so an attempt is graded once.
nginx's access log names the replica that answered each request (``answered_by``).

In a test, through the ``replicas`` fixture (tests/serve/conftest.py)::

    both = replicas(["--db", url, "--jobs", "1"], ["--db", url, "--jobs", "1"])
    with student(both.url) as browser:          # tests/serve/students.py: session and token
        ...                                     # load from threads, each keeping what was answered
        both.kill(0)                            # SIGKILL: the other replica takes what follows
    # then open_store(url): every answered attempt is there
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .nginx import Nginx, location_prefix, nginx, readme_block
from .servers import Server, serving, stop

UPSTREAM = "gdgrade_replicas"


@dataclass
class Replicas:
    """Running replicas behind ``nginx``: ``url`` is the page's address through it (ending in /)."""

    nginx: Nginx
    servers: list[Server]
    prefix: str

    @property
    def url(self) -> str:
        return self.nginx.url + self.prefix

    def kill(self, index: int) -> None:
        """SIGKILL replica ``index``: no shutdown, no answer to what it was doing (a machine lost)."""
        stop(self.servers[index], signal.SIGKILL)

    def answered_by(self) -> list[int | None]:
        """For each request nginx logged, in order, the index of the replica that answered it (None:
        none did). A request nginx passed on after a failure ends with the replica that answered."""
        ports = {server.port: index for index, server in enumerate(self.servers)}
        answered: list[int | None] = []
        for line in self.nginx.access().splitlines():
            last = line.rsplit(" ", 1)[-1].split(",")[-1].strip()  # "$upstream_addr": tried, ..., answered
            port = last.rsplit(":", 1)[-1]
            answered.append(ports.get(int(port)) if port.isdigit() else None)
        return answered


def configuration(servers: Sequence[Server]) -> tuple[str, str]:
    """The http-level ``upstream``, and the server-level directives with the README's block, for ``servers``."""
    members = "\n".join(f"        server 127.0.0.1:{server.port} max_fails=1 fail_timeout=30s;" for server in servers)
    http = f"    upstream {UPSTREAM} {{\n{members}\n    }}"
    server = ("        proxy_next_upstream error timeout http_503;\n"
              "        proxy_connect_timeout 5s;\n"
              + "\n".join("        " + line for line in readme_block(UPSTREAM).splitlines()))
    return http, server


@contextlib.contextmanager
def behind_one_nginx(folder: Path, each: Sequence[Sequence[str]]) -> Iterator[Replicas]:
    """``len(each)`` replicas, replica ``i`` started with the extra arguments ``each[i]``, behind one
    nginx; every process is stopped when the block ends (the killed ones are already)."""
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(serving(folder / f"replica-{index}", arguments))
                   for index, arguments in enumerate(each)]
        http, server = configuration(servers)
        with contextlib.ExitStack() as front:
            proxy = front.enter_context(nginx(server, http))
            yield Replicas(proxy, servers, location_prefix(readme_block(UPSTREAM)))
