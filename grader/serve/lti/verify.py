"""An LTI 1.3 launch's id_token, checked in full before anything in it is believed.

The signature against the platform's published keys (fetched, cached, fetched again when a launch
names a key not yet seen: the platform rotated its keys), then ``iss`` and ``aud``/``azp`` against
the registration, ``exp`` and ``iat``, the nonce the login stored, the deployment id, and the
message's type and version. PyJWT does the cryptography and the standard claims; LTI's own claims
are checked here.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import jwt
from jwt import PyJWK, PyJWKSet

from grader.serve.identity import Identity, Role
from grader.serve.lti import fetch
from grader.serve.lti.config import LtiConfig, Platform
from grader.serve.lti.keys import ALGORITHM

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DEEP_LINKING = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
RESOURCE_LINK, DEEP_LINKING_REQUEST = "LtiResourceLinkRequest", "LtiDeepLinkingRequest"
LEEWAY = 30
"""Seconds of clock difference allowed between the platform and this server."""
REFETCH_SECONDS = 10
"""A key id not in the cache fetches the platform's keys again at most this often: forged launches
naming random key ids cannot make the tool hammer the platform."""
TEACHING = ("http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
            "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper",
            "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator",
            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
            "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator")
"""Roles that see the instructor's view (and sub-roles of the membership ones, such as a teaching
assistant, ``membership/Instructor#TeachingAssistant``)."""


class Refused(Exception):
    """A launch that is not taken: ``str()`` is what the user's page says and the log records."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Claims:
    """What a verified launch says, read once."""

    platform: Platform
    deployment_id: str
    message_type: str
    subject: str
    identity: Identity
    quiz: str | None
    """The resource link's custom parameter ``quiz``."""
    lineitem: str | None
    """The AGS line item scores go to, when the platform lets the tool send scores."""
    return_url: str | None
    data: str | None


def printable(text: str) -> str:
    """``text`` without what no page, log or file name should carry: control characters, and lone
    surrogates (valid in JSON, not in UTF-8), which a platform may send in a name."""
    return "".join(char for char in text if char.isprintable() and not "\ud800" <= char <= "\udfff")


def quoted(value: object, most: int = 120) -> str:
    """A value from the launch, for a refusal's page and log line: quoted (a newline cannot start a
    line of its own) and cut short (a launch may be 64 KiB)."""
    shown = repr(value)
    return shown if len(shown) <= most else shown[:most] + "…"


def role_of(roles: object) -> Role:
    if not isinstance(roles, list):
        return "student"
    for role in roles:
        if isinstance(role, str) and (role in TEACHING or role.startswith(
                "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#") or role in ("Instructor",
                                                                                              "Administrator")):
            return "instructor"
    return "student"


class KeySets:
    """Each platform's public keys, fetched from its JWKS URL (bounded, as every request to a platform)
    and kept for ``lifespan`` seconds. Waiting for a slow platform holds no thread."""

    def __init__(self, lifespan: float = 3600, refetch: float = REFETCH_SECONDS, deadline: float = 10.0):
        self.lifespan, self.refetch, self.deadline = lifespan, refetch, deadline
        self._kept: dict[str, tuple[list[PyJWK], float]] = {}
        """JWKS URL -> its keys, and when they were fetched."""
        self._locks: dict[str, asyncio.Lock] = {}

    async def key(self, platform: Platform, kid: str | None) -> PyJWK:
        """The key the platform signed with; its keys fetched again once when ``kid`` is new."""
        url = platform.jwks_url
        async with self._locks.setdefault(url, asyncio.Lock()):
            keys, fetched = self._kept.get(url, ([], -1e9))
            age = time.monotonic() - fetched
            found = _match(keys, kid) if age < self.lifespan else None
            if found is None and (age >= self.lifespan or age >= self.refetch):
                keys = await self._fetch(url)
                self._kept[url] = (keys, time.monotonic())
                found = _match(keys, kid)
        if found is None:
            raise Refused("the launch is signed with a key the platform does not publish: it was not sent by "
                          f"{platform.issuer}", 401)
        return found

    async def _fetch(self, url: str) -> list[PyJWK]:
        """The keys at ``url``, over a connection of their own (fetches are rare; nothing is kept open)."""
        try:
            async with fetch.client() as http:
                answer = await fetch.request(http, "GET", url, self.deadline)
            if not answer.ok:
                raise fetch.Unanswered(f"it answered {answer.status}")
            published = answer.json()
            return [key for key in PyJWKSet.from_dict(published if isinstance(published, dict) else {}).keys
                    if key.public_key_use in (None, "sig")]
        except (fetch.Unanswered, jwt.PyJWKSetError, jwt.PyJWKError) as problem:
            raise Refused(f"the platform's keys could not be read from {url} ({problem})", 502) from None


def _match(keys: list[PyJWK], kid: str | None) -> PyJWK | None:
    if kid is None:
        return keys[0] if len(keys) == 1 else None
    return next((key for key in keys if key.key_id == kid), None)


def addressed(id_token: str, config: LtiConfig, issuer: str) -> tuple[Platform, str | None]:
    """The registration an id_token from ``issuer`` (the login's) is meant for, and the id of the key it
    says it is signed with; nothing in it is believed yet."""
    try:
        header = jwt.get_unverified_header(id_token)
        unverified = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise Refused("the launch's id_token is not a JWT") from None
    if unverified.get("iss") != issuer:
        raise Refused("the launch's issuer is not the platform its login came from", 401)
    audiences = _audiences(unverified)
    platform = next((one for one in config.platforms if one.issuer == issuer and one.client_id in audiences), None)
    if platform is None:
        raise Refused(f"this tool is not registered for {issuer} with the client id the launch names", 403)
    if header.get("alg") != ALGORITHM:
        raise Refused(f"the launch is signed with {header.get('alg')!r}; LTI 1.3 signs with {ALGORITHM}", 401)
    kid = header.get("kid")
    return platform, kid if isinstance(kid, str) else None


def _audiences(claims: dict[str, Any]) -> list[object]:
    audience = claims.get("aud")
    return [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []


async def verify(id_token: str, config: LtiConfig, keys: KeySets, issuer: str, nonce: str) -> Claims:
    """The claims of ``id_token`` from ``issuer`` (the login's), or Refused saying what is wrong."""
    platform, kid = addressed(id_token, config, issuer)
    return checked(id_token, platform, await keys.key(platform, kid), nonce)


def checked(id_token: str, platform: Platform, key: PyJWK, nonce: str) -> Claims:
    """The claims of ``id_token``, signed with ``key`` for ``platform`` and carrying ``nonce``, read once."""
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token, key, algorithms=[ALGORITHM], audience=platform.client_id, issuer=platform.issuer,
            leeway=LEEWAY, options={"require": ["iss", "aud", "exp", "iat", "nonce", "sub"]})
    except jwt.ExpiredSignatureError:
        raise Refused("the launch has expired: launch the activity again from the course", 401) from None
    except jwt.ImmatureSignatureError:
        raise Refused("the launch is dated in the future: the platform's clock is wrong", 401) from None
    except jwt.InvalidSignatureError:
        raise Refused(f"the launch's signature is not {platform.issuer}'s: it was forged or altered", 401) from None
    except jwt.MissingRequiredClaimError as problem:
        raise Refused(f"the launch lacks the {problem.claim!r} claim (an anonymous launch cannot be graded)") from None
    except jwt.PyJWTError as problem:
        raise Refused(f"the launch's id_token is not valid: {problem}", 401) from None
    if len(_audiences(claims)) > 1 and claims.get("azp") != platform.client_id or claims.get(
            "azp", platform.client_id) != platform.client_id:
        raise Refused("the launch is meant for another tool (azp)", 401)
    if not isinstance(claims["nonce"], str) or claims["nonce"] != nonce:
        raise Refused("the launch's nonce is not its login's: it was replayed", 401)
    return _claims(claims, platform)


def _claims(claims: dict[str, Any], platform: Platform) -> Claims:
    deployment = claims.get(LTI + "deployment_id")
    if deployment not in platform.deployment_ids:
        raise Refused(f"the launch comes from a deployment of the tool ({quoted(deployment)}) that is not registered "
                      "here: ask the LMS admin to add it to the tool's configuration", 403)
    kind = claims.get(LTI + "message_type")
    if kind not in (RESOURCE_LINK, DEEP_LINKING_REQUEST):
        raise Refused(f"the launch is a {quoted(kind)} message; this tool takes {RESOURCE_LINK} and "
                      f"{DEEP_LINKING_REQUEST}")
    if claims.get(LTI + "version") != "1.3.0":
        raise Refused(f"the launch is LTI version {quoted(claims.get(LTI + 'version'))}; this tool speaks 1.3.0")
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject or len(subject) > 255 or printable(subject) != subject:
        raise Refused("the launch names no user (sub)")
    name = claims.get("name") or " ".join(str(claims[part]) for part in ("given_name", "family_name")
                                          if isinstance(claims.get(part), str)) or claims.get("email")
    identity = Identity(f"lti:{platform.issuer}|{subject}", printable(str(name)[:200]) or None if name else None,
                        role_of(claims.get(LTI + "roles")))
    custom = claims.get(LTI + "custom")
    quiz = custom.get("quiz") if isinstance(custom, dict) and isinstance(custom.get("quiz"), str) else None
    endpoint = claims.get(AGS_ENDPOINT)
    lineitem = None
    if isinstance(endpoint, dict) and SCORE_SCOPE in (endpoint.get("scope") or []):
        lineitem = endpoint.get("lineitem") if isinstance(endpoint.get("lineitem"), str) else None
    if lineitem is not None and not platform.serves(lineitem):
        raise Refused(f"the launch's line item {quoted(lineitem)} is not an address of {platform.issuer}: if it is the "
                      "LMS's, the LMS admin adds its origin to the platform's frame_origins", 403)
    settings = claims.get(DEEP_LINKING)
    return_url = data = None
    if kind == DEEP_LINKING_REQUEST:
        if not isinstance(settings, dict) or not isinstance(settings.get("deep_link_return_url"), str):
            raise Refused("the Deep Linking request says nowhere to return the chosen quiz")
        accepted = settings.get("accept_types")
        if isinstance(accepted, list) and "ltiResourceLink" not in accepted:
            raise Refused("this place in the LMS takes no link to a tool (accept_types): add the quiz as an "
                          "activity or assignment instead")
        return_url = settings["deep_link_return_url"]
        if not platform.serves(return_url):
            raise Refused(f"the Deep Linking return URL {quoted(return_url)} is not an address of {platform.issuer}: "
                          "if it is the LMS's, the LMS admin adds its origin to the platform's frame_origins", 403)
        data = settings.get("data") if isinstance(settings.get("data"), str) else None
    return Claims(platform=platform, deployment_id=deployment, message_type=kind, subject=subject, identity=identity,
                  quiz=quiz, lineitem=lineitem, return_url=return_url, data=data)
