"""A student's browser as the API sees it: cookies, and the session's token; over the network, or
in this process through FastAPI's test client."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
from fastapi.testclient import TestClient

from grader.serve.identity import CSRF_HEADER


@contextlib.contextmanager
def student(base: str) -> Iterator[httpx.Client]:
    """A browser on the page at ``base`` (ending in /): its session started as the page starts it,
    its token sent with each POST, relative paths (``api/check``) resolved under ``base``."""
    with httpx.Client(base_url=base, timeout=120) as client:
        me = client.get("api/me")
        assert me.status_code == 200, me.text
        client.headers[CSRF_HEADER] = me.json()["csrf"]
        yield client


class Student(TestClient):
    """A browser on the page: its own cookies, the session's token sent with every POST."""

    def start(self) -> Student:
        me = self.get("/api/me")
        assert me.status_code == 200, me.text
        self.headers[CSRF_HEADER] = me.json()["csrf"]
        return self
