"""Assignment and Grade Services: one Score to a line item, with the OAuth 2 token it needs.

The token comes from the platform's token URL by the client-credentials grant, the tool proving
who it is with a JWT signed by its own key (IMS Security Framework 4.1); it is kept until shortly
before it expires. Any answer but a 2xx is ``Undelivered``: the outbox tries again later. Each
request has one deadline and a cap on what is read (``fetch``), and each platform its own token
lock, so one slow platform holds up only its own scores.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit, urlunsplit

from grader.serve.lti import fetch
from grader.serve.lti.config import LtiConfig, Platform
from grader.serve.lti.keys import ToolKey
from grader.serve.lti.verify import SCORE_SCOPE
from grader.serve.store.lti import Outgoing

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
EARLY = 60
"""Seconds before its expiry a token is no longer used."""
DEADLINE = 30.0
"""Seconds one request to a platform may take, all of it: a token, or a Score."""
REFUSAL_STANDS = 5.0
"""Seconds a token URL's failure is the answer for the other scores of that platform waiting on it."""


class Undelivered(Exception):
    """The score did not reach the LMS; ``str()`` says why, for the log and the outbox row."""


def scores_url(lineitem: str) -> str:
    """The line item's scores endpoint: ``/scores`` after its path, its query kept (AGS 3.4)."""
    parts = urlsplit(lineitem)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def score_body(row: Outgoing) -> dict[str, object]:
    """The Score: graded by the tool in full (``FullyGraded``); ``Completed`` once full marks leave
    nothing to do, ``Submitted`` while the student may submit again for more."""
    return {"userId": row.subject, "scoreGiven": row.score, "scoreMaximum": row.max_score,
            "activityProgress": "Completed" if row.score >= row.max_score else "Submitted",
            "gradingProgress": "FullyGraded", "timestamp": row.at.isoformat(timespec="microseconds")}


class Scores:
    """Sends scores to the platforms of ``config`` over one HTTP client."""

    def __init__(self, config: LtiConfig, key: ToolKey, deadline: float = DEADLINE):
        self.config, self.key, self.deadline = config, key, deadline
        self._http = fetch.client()
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._refused: dict[tuple[str, str], tuple[Undelivered, float]] = {}
        """Platform -> why its token URL last failed, until when that answer stands: the scores waiting
        for the token then fail at once, instead of each asking a platform that is down again."""

    @property
    def longest(self) -> float:
        """The longest a ``send`` can take: a token, then the Score."""
        return 2 * self.deadline

    async def send(self, row: Outgoing) -> None:
        platform = self.config.platform(row.issuer, row.client_id)
        if platform is None:
            raise Undelivered(f"{row.issuer} (client {row.client_id}) is no longer in the LTI configuration")
        if not platform.serves(row.lineitem):
            raise Undelivered(f"the line item {row.lineitem} is not at an address of {platform.issuer} (its "
                              "frame_origins in the LTI configuration)")
        token = await self._token(platform)
        answer = await self._call("POST", scores_url(row.lineitem), json=score_body(row), headers={
            "Authorization": f"Bearer {token}", "Content-Type": SCORE_TYPE})
        if answer.status == 401:
            self._tokens.pop((platform.issuer, platform.client_id), None)  # the next try asks for a new one
        if not answer.ok:
            raise Undelivered(f"the line item answered {answer.status}: {answer.excerpt()}")

    async def close(self) -> None:
        await self._http.aclose()

    async def _token(self, platform: Platform) -> str:
        which = (platform.issuer, platform.client_id)
        async with self._locks.setdefault(which, asyncio.Lock()):
            kept = self._tokens.get(which)
            if kept is not None and kept[1] > time.monotonic():
                return kept[0]
            refused = self._refused.get(which)
            if refused is not None and refused[1] > time.monotonic():
                raise refused[0]
            try:
                token, lifetime = await self._grant(platform)
            except Undelivered as problem:
                self._refused[which] = (problem, time.monotonic() + REFUSAL_STANDS)
                raise
            self._refused.pop(which, None)
            self._tokens[which] = (token, time.monotonic() + max(0.0, min(lifetime, 3600) - EARLY))
            return token

    async def _grant(self, platform: Platform) -> tuple[str, float]:
        """A new token from the platform's token URL, and its lifetime in seconds."""
        assertion = self.key.sign({"iss": platform.client_id, "sub": platform.client_id,
                                   "aud": platform.token_url})
        answer = await self._call("POST", platform.token_url, data={
            "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion, "scope": SCORE_SCOPE})
        if not answer.ok:
            raise Undelivered(f"the token URL answered {answer.status}: {answer.excerpt()}")
        return _granted(answer)


    async def _call(self, method: str, url: str, *, json: object = None, data: dict[str, str] | None = None,
                    headers: dict[str, str] | None = None) -> fetch.Answer:
        try:
            return await fetch.request(self._http, method, url, self.deadline, json=json, data=data, headers=headers)
        except fetch.Unanswered as problem:
            raise Undelivered(str(problem)) from None


def _granted(answer: fetch.Answer) -> tuple[str, float]:
    """The access token a token URL granted, and for how many seconds; Undelivered when there is none an
    HTTP header can carry."""
    lifetime = 0.0
    try:
        granted = answer.json()
        token = granted.get("access_token") if isinstance(granted, dict) else None
        lifetime = float(granted.get("expires_in", 3600)) if isinstance(granted, dict) else 0.0
    except (fetch.Unanswered, ValueError, TypeError):
        token = None
    if not isinstance(token, str) or not token or not token.isascii() or not token.isprintable():
        raise Undelivered("the token URL's answer holds no access_token an HTTP header can carry")
    return token, lifetime
