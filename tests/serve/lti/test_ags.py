"""Scores reach platforms one at a time and never take the tool along: a token no header can carry,
a platform whose token URL hangs while another's scores are owed, a line item off the platform."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from grader.serve.lti.ags import Scores, Undelivered
from grader.serve.lti.config import LtiConfig
from grader.serve.lti.keys import ToolKey
from grader.serve.store.lti import Outgoing

from .hostile import answer, platform, request_of
from .platform import rsa_pem


def config_for(*urls: str) -> LtiConfig:
    return LtiConfig.model_validate({"url": "https://tool.example", "platforms": [
        {"issuer": url, "client_id": "c", "deployment_ids": ["d"], "auth_login_url": url + "/auth",
         "token_url": url + "/token", "jwks_url": url + "/jwks"} for url in urls]})


def row(issuer: str, lineitem: str, subject: str = "s1") -> Outgoing:
    return Outgoing(id=1, user=f"lti:{issuer}|{subject}", issuer=issuer, client_id="c", lineitem=lineitem,
                    subject=subject, score=5, max_score=5, at=datetime(2026, 12, 7, tzinfo=UTC), tries=1, sent=None,
                    problem=None)


def test_a_hanging_platform_holds_up_only_its_own_scores(tmp_path):
    """One token lock for every platform once made platform B's score wait for platform A's token URL,
    however long A took. B's score now arrives while A's token request still hangs."""
    released = asyncio.Event()
    scored: list[bytes] = []

    async def hanging(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await request_of(reader)
        await released.wait()
        writer.write(answer(503, b"{}"))

    async def honest(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sent = await request_of(reader)
        if sent.startswith(b"POST /token"):
            writer.write(answer(200, b'{"access_token": "t", "expires_in": 3600}'))
        else:
            scored.append(sent)
            writer.write(answer(200, b"{}"))

    async def scenario() -> tuple[str, int]:
        async with platform(hanging) as a, platform(honest) as b:
            scores = Scores(config_for(a, b), ToolKey(rsa_pem().encode()))
            stuck = asyncio.create_task(scores.send(row(a, a + "/lineitems/1")))
            await asyncio.sleep(0)  # A's send begins first and takes its token lock
            await asyncio.wait_for(scores.send(row(b, b + "/lineitems/1")), 60)
            waiting = not stuck.done()
            released.set()
            with pytest.raises(Undelivered) as failed:
                await stuck
            await scores.close()
            return str(failed.value), int(waiting)

    why, a_still_waiting = asyncio.run(scenario())
    assert a_still_waiting == 1 and len(scored) == 1 and b"/lineitems/1/scores" in scored[0]
    assert "token URL answered 503" in why


@pytest.mark.parametrize("token", ['"t\\u00e9st"', '"a\\r\\nX-Evil: 1"', '""', "17", "null"])
def test_a_token_no_header_can_carry_is_a_failed_send_not_a_crash(token):
    """A token URL answering a non-ASCII token once raised UnicodeEncodeError out of the sender."""

    async def granting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await request_of(reader)
        writer.write(answer(200, b'{"access_token": %s}' % token.encode()))

    async def scenario() -> str:
        async with platform(granting) as url:
            scores = Scores(config_for(url), ToolKey(rsa_pem().encode()))
            with pytest.raises(Undelivered) as failed:
                await scores.send(row(url, url + "/lineitems/1"))
            await scores.close()
            return str(failed.value)

    assert "no access_token an HTTP header can carry" in asyncio.run(scenario())


def test_a_line_item_off_the_platform_is_never_sent_to():
    """A row whose line item is not at the platform's address (a launch from before the check, or a
    configuration changed since) is not sent: its token would go to whoever is there."""
    asked: list[bytes] = []

    async def recording(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        asked.append(await request_of(reader))
        writer.write(answer(200, b'{"access_token": "t"}'))

    async def scenario() -> str:
        async with platform(recording) as url, platform(recording) as elsewhere:
            scores = Scores(config_for(url), ToolKey(rsa_pem().encode()))
            with pytest.raises(Undelivered) as failed:
                await scores.send(row(url, elsewhere + "/internal/admin"))
            await scores.close()
            return str(failed.value)

    assert "is not at an address of" in asyncio.run(scenario()) and asked == []
