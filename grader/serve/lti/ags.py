"""Assignment and Grade Services: one Score to a line item, with the OAuth 2 token it needs.

The token comes from the platform's token URL by the client-credentials grant, the tool proving
who it is with a JWT signed by its own key (IMS Security Framework 4.1); it is kept until shortly
before it expires. Any answer but a 2xx is ``Undelivered``: the outbox tries again later.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit, urlunsplit

import httpx

from grader.serve.lti.config import LtiConfig, Platform
from grader.serve.lti.keys import ToolKey
from grader.serve.lti.verify import SCORE_SCOPE
from grader.serve.store.lti import Outgoing

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
EARLY = 60
"""Seconds before its expiry a token is no longer used."""


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

    def __init__(self, config: LtiConfig, key: ToolKey, timeout: float = 30.0):
        self.config, self.key = config, key
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10.0), trust_env=False,
                                       follow_redirects=False)
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._lock = asyncio.Lock()

    async def send(self, row: Outgoing) -> None:
        platform = self.config.platform(row.issuer, row.client_id)
        if platform is None:
            raise Undelivered(f"{row.issuer} (client {row.client_id}) is no longer in the LTI configuration")
        token = await self._token(platform)
        answer = await self._call("POST", scores_url(row.lineitem), json=score_body(row), headers={
            "Authorization": f"Bearer {token}", "Content-Type": SCORE_TYPE})
        if answer.status_code == 401:
            self._tokens.pop((platform.issuer, platform.client_id), None)  # the next try asks for a new one
        if not answer.is_success:
            raise Undelivered(f"the line item answered {answer.status_code}: {answer.text[:200]!r}")

    async def close(self) -> None:
        await self._http.aclose()

    async def _token(self, platform: Platform) -> str:
        which = (platform.issuer, platform.client_id)
        async with self._lock:
            kept = self._tokens.get(which)
            if kept is not None and kept[1] > time.monotonic():
                return kept[0]
            assertion = self.key.sign({"iss": platform.client_id, "sub": platform.client_id,
                                       "aud": platform.token_url})
            answer = await self._call("POST", platform.token_url, data={
                "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion, "scope": SCORE_SCOPE})
            if not answer.is_success:
                raise Undelivered(f"the token URL answered {answer.status_code}: {answer.text[:200]!r}")
            try:
                granted = answer.json()
                token, lifetime = str(granted["access_token"]), float(granted.get("expires_in", 3600))
            except (ValueError, KeyError, TypeError):
                raise Undelivered("the token URL's answer holds no access_token") from None
            self._tokens[which] = (token, time.monotonic() + max(0.0, min(lifetime, 3600) - EARLY))
            return token

    async def _call(self, method: str, url: str, *, json: object = None, data: dict[str, str] | None = None,
                    headers: dict[str, str] | None = None) -> httpx.Response:
        try:
            return await self._http.request(method, url, json=json, data=data, headers=headers)
        except httpx.HTTPError as problem:
            raise Undelivered(f"{url} could not be reached: {type(problem).__name__} {problem}") from None
