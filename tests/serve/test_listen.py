"""gdgrade serve's start-up says only what is true (grader/serve/listen.py): a port in use is one
usage error line before anything starts, and the serving line comes once the page is served."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import pytest

from grader.serve.listen import CannotListen, bind

from .servers import serving


def test_a_port_in_use_is_one_clear_line_and_a_usage_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "grader", "serve", "--port", str(port)], capture_output=True,
                                text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (f"gdgrade: error: port {port} on 127.0.0.1 is in use: another program listens there "
                             "(stop it, or choose another port with --port)\n")  # and no "Serving ..." before it


@pytest.mark.parametrize("host, said", [("10.255.255.1", "cannot listen on port 8000 of 10.255.255.1: "),
                                        ("no-such-host.invalid", "cannot listen on no-such-host.invalid: ")])
def test_an_address_that_cannot_be_listened_on_is_a_usage_error(tmp_path, host, said):
    result = subprocess.run([sys.executable, "-m", "grader", "serve", "--host", host], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"gdgrade: error: {said}") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr and "warning" not in result.stderr  # not warned about serving: it does not


def test_the_serving_line_comes_once_the_page_answers_on_the_port_it_names(tmp_path):
    with serving(tmp_path, ["--jobs", "1"]) as server:  # --port 0: the line names the port the system gave
        assert server.port != 0
        assert httpx.get(f"{server.url}/api/quiz", timeout=60).status_code == 200  # at once, no retry
        assert server.said().count("Serving ") == 1


def test_bind_holds_one_port_on_every_address_a_name_gives():
    bound = bind("localhost", 0)
    try:
        assert len({listener.getsockname()[1] for listener in bound}) == 1
    finally:
        for listener in bound:
            listener.close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(CannotListen, match="is in use"):
            bind("127.0.0.1", taken.getsockname()[1])
