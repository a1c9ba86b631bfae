"""Debian's nginx, started by the suite in a temporary folder, in front of ``gdgrade serve``.

Everything nginx reads or writes (its configuration, pid file, logs, temporary files) is in its own
folder, so it needs nothing from the checkout's folders (which may be mode 0700) and nothing of the
machine's own nginx. It runs in the foreground (``daemon off``), listens on a free port of
127.0.0.1, and is stopped when the block ends. As root its worker runs as root too: a worker
dropped to www-data could not enter a temporary folder under /tmp/pytest-of-root (mode 0700).

The location block is the README's own (``readme_block``), so the README and the tests cannot drift.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NGINX_BLOCK = re.compile(r"```\n(# nginx[^\n]*\n(location [^\n]+\{\n.*?\n\}))\n```", re.DOTALL)
PROXY_PASS = re.compile(r"proxy_pass http://127\.0\.0\.1:8000/;")
DEADLINE = 60.0
"""Seconds nginx may take to listen on a loaded machine; only bounds one that never does."""


def readme_block(upstream: str) -> str:
    """The README's nginx location block, exactly as written, its ``proxy_pass`` sent to ``upstream``
    (``127.0.0.1:PORT``, or the name of an ``upstream`` block) instead of the README's 127.0.0.1:8000."""
    found = NGINX_BLOCK.findall((ROOT / "README.md").read_text())
    assert len(found) == 1, "the README has one nginx block, beginning '# nginx'"
    block = found[0][1]
    assert len(PROXY_PASS.findall(block)) == 1, "the README's block proxies to gdgrade on 127.0.0.1:8000"
    return PROXY_PASS.sub(f"proxy_pass http://{upstream}/;", block)


def location_prefix(block: str) -> str:
    """The path the block serves the page under (``/quiz/``)."""
    found = re.match(r"location (\S+) \{", block)
    assert found, block
    return found.group(1)


@dataclass
class Nginx:
    """A running nginx: ``url`` is its address (no trailing slash), ``folder`` holds all its files."""

    process: subprocess.Popen[bytes]
    url: str
    folder: Path

    def errors(self) -> str:
        return (self.folder / "error.log").read_text(errors="replace")

    def access(self) -> str:
        """Its access log: a request a line, as ``METHOD URI STATUS UPSTREAMS`` (each upstream tried)."""
        return (self.folder / "access.log").read_text(errors="replace")


def _configuration(folder: Path, port: int, server: str, http: str) -> str:
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temporary = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in
                          ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}daemon off;
master_process on;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} info;
events {{ worker_connections 512; }}
http {{
    log_format gdgrade '$request_method $request_uri $status $upstream_addr';
    access_log {folder / "access.log"} gdgrade;
{temporary}
{http}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
{server}
    }}
}}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def nginx(server: str, http: str = "") -> Iterator[Nginx]:
    """nginx with ``server`` inside its one server block (the README's location, say) and ``http``
    beside it (an ``upstream`` block, say); stopped, and its folder removed, when the block ends."""
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        pytest.fail("nginx is not installed: .ci/run installs Debian's nginx")
    folder = Path(tempfile.mkdtemp(prefix="nginx-suite-"))  # no gdgrade* name in /tmp: the hostile suite counts those
    try:
        for attempt in range(5):  # another program may take the free port before nginx does: pick again
            port = _free_port()
            (folder / "nginx.conf").write_text(_configuration(folder, port, server, http))
            process = subprocess.Popen([binary, "-p", f"{folder}/", "-c", str(folder / "nginx.conf"),
                                        "-e", str(folder / "error.log")],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + DEADLINE  # nginx writes its pid file once its sockets are bound
            while process.poll() is None and not (folder / "nginx.pid").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            if process.poll() is None and (folder / "nginx.pid").exists() and _listening(port):
                break
            _stop(process)
            assert "Address already in use" in (folder / "error.log").read_text(errors="replace") and attempt < 4, (
                (folder / "error.log").read_text(errors="replace"))
        try:
            yield Nginx(process, f"http://127.0.0.1:{port}", folder)
        finally:
            _stop(process)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # nginx's fast shutdown: the master takes its workers with it
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
