"""A request to a platform ends, whatever answers at its URL: a drip, an answer without end."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from grader.serve.lti import fetch

from .hostile import answer, dripping, endless, platform, request_of


def test_a_drip_ends_at_the_deadline_not_never():
    """httpx's timeouts are per read: a platform sending a byte every 10 ms was never cut off."""

    async def scenario() -> str:
        async with platform(dripping) as url, httpx.AsyncClient() as client:
            with pytest.raises(fetch.Unanswered) as refused:
                await fetch.request(client, "GET", url + "/jwks", deadline=0.5)
            return str(refused.value)

    assert "did not answer within" in asyncio.run(scenario())


def test_an_answer_past_the_cap_is_not_read_whole():
    async def scenario() -> str:
        async with platform(endless) as url, httpx.AsyncClient() as client:
            with pytest.raises(fetch.Unanswered) as refused:
                await fetch.request(client, "GET", url, deadline=60, limit=100_000)
            return str(refused.value)

    assert "answered more than 100000 bytes" in asyncio.run(scenario())




def test_a_platform_slower_than_httpx_default_still_answers_within_the_deadline():
    """The client kept httpx's 5 s per read under the 30 s deadline: an LMS taking 6 s to take a Score
    took it every time and was never counted as having taken it."""

    async def thinking(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await request_of(reader)
        await asyncio.sleep(6)
        writer.write(answer(200, b'{"ok": true}'))

    async def scenario() -> fetch.Answer:
        async with platform(thinking) as url, fetch.client() as client:
            return await fetch.request(client, "POST", url + "/scores", deadline=120)

    got = asyncio.run(scenario())
    assert got.ok and got.json() == {"ok": True}
