"""One request to a platform, bounded in time and in size, whatever the platform does.

A platform (or whoever answers at its URLs) may answer slowly, one byte at a time, or without end.
httpx's timeouts are per read, so a drip never trips them; here each request has one deadline for
the whole exchange and a cap on the bytes read, and anything that goes wrong is ``Unanswered``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import httpx

LIMIT = 256 * 1024
"""The most bytes of one answer that are read: a token, a JWKS or a Score's answer is far smaller."""


class Unanswered(Exception):
    """The request got no usable answer; ``str()`` says why, for a log line."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> object:
        """The body as JSON; Unanswered when it is not."""
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise Unanswered("the answer is not JSON") from None

    def excerpt(self) -> str:
        """The start of the body, for a log line."""
        return repr(self.body[:200].decode("utf-8", "replace"))


def client() -> httpx.AsyncClient:
    """A client for platforms: no proxy from the environment, no redirects followed (a platform's URLs
    are registered, not discovered), bodies not compressed (so the cap counts what is read), and no
    timeout of its own: ``request``'s deadline is the whole exchange's."""
    return httpx.AsyncClient(trust_env=False, follow_redirects=False, headers={"Accept-Encoding": "identity"},
                             timeout=None)  # the request's deadline is the one limit, not httpx's 5 s a read


async def request(client: httpx.AsyncClient, method: str, url: str, deadline: float, limit: int = LIMIT, *,
                  json: object = None, data: dict[str, str] | None = None,
                  headers: dict[str, str] | None = None) -> Answer:
    """``method url`` with ``client`` (sending ``json`` or form ``data``, and ``headers``): its status
    and at most ``limit`` bytes of its body, all within ``deadline`` seconds."""
    try:
        async with asyncio.timeout(deadline):
            async with client.stream(method, url, json=json, data=data, headers=headers) as answer:
                body = bytearray()
                async for chunk in answer.aiter_raw():
                    body += chunk
                    if len(body) > limit:
                        raise Unanswered(f"{url} answered more than {limit} bytes")
                return Answer(answer.status_code, bytes(body))
    except TimeoutError:
        raise Unanswered(f"{url} did not answer within {deadline:.0f} s") from None
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, UnicodeError) as problem:
        # ValueError and UnicodeError: a URL or header that cannot be sent at all
        raise Unanswered(f"{url} could not be reached: {type(problem).__name__} {problem}") from None
